/**
 * The wire format of the room's protocol: each message is one frame, a 4-byte big-endian length
 * and then that many bytes of UTF-8 JSON, a JSON object with a string `type`. Length-prefixed
 * rather than newline-delimited so a frame is read whole without scanning, and so a peer that
 * declares an absurd length is refused at once instead of being buffered.
 *
 * The decoder takes bytes as they come (split anywhere, several frames in one chunk) and stops
 * at the first broken frame: the bytes after it cannot be trusted to start a frame, so the
 * connection must end there (see stream-transport.ts), never resynchronise by guessing.
 */

/** The largest frame body a peer may send or declare: 16 MiB. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const HEADER_BYTES = 4;

/** One message on the wire: a JSON object with a string `type`; other fields by type. */
export interface Message {
  type: string;
  [field: string]: unknown;
}

/** The peer broke the protocol (or a message cannot be sent): the connection must end. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** A message too big for one frame: nothing of it was sent, and the connection goes on. */
export class FrameTooLargeError extends ProtocolError {
  override name = "FrameTooLargeError";
  constructor(
    message: string,
    /** The frame's body, bytes. */
    readonly bytes: number,
    /** The most a frame holds, bytes. */
    readonly limit: number,
  ) {
    super(message);
  }
}

/** A size as people read it: bytes under 1 MiB, else MiB to a tenth. */
export function mebibytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${bytes} bytes`;
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** One frame for `message`: header and body in one buffer, so it is written in one call. */
export function encodeFrame(message: Message, maxFrameBytes = MAX_FRAME_BYTES): Buffer {
  let json: string;
  try {
    json = JSON.stringify(message);
  } catch (error) {
    throw new ProtocolError(
      `a "${message.type}" message cannot be sent: it is not plain JSON (${(error as Error).message})`,
    );
  }
  const length = Buffer.byteLength(json, "utf8");
  if (length > maxFrameBytes) {
    throw new FrameTooLargeError(
      `a "${message.type}" message of ${mebibytes(length)} cannot be sent: a frame holds at most ${mebibytes(maxFrameBytes)}`,
      length,
      maxFrameBytes,
    );
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.write(json, HEADER_BYTES, "utf8");
  return frame;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The message in a frame body, or what is wrong with it. `ordinal` names the frame (1 = the
 * first the connection received) in the error, so a peer's author can find it.
 */
export function parseFrameBody(body: Uint8Array, ordinal: number): Message {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new ProtocolError(`frame ${ordinal} is not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError(
      `frame ${ordinal} is not valid JSON (${(error as Error).message}): it starts ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(`frame ${ordinal} is ${kindOf(value)}, not a JSON object (a message)`);
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || type === "") {
    throw new ProtocolError(
      `frame ${ordinal} has no "type" (a message is a JSON object with a string "type")`,
    );
  }
  return value as Message;
}

/** What a too-long header says when read as text: a peer that prints instead of framing. */
function textHint(header: Buffer): string {
  const text = header.toString("latin1");
  if (!/^[\t\n\r\x20-\x7e]{4}$/.test(text)) return "";
  return ` (the bytes read as text: ${JSON.stringify(text)}; the other side writes text, not Tower frames: does something print when it starts, a login script for example?)`;
}

export interface DecodeResult {
  /** The messages completed by this chunk, in order (also those before a broken frame). */
  messages: Message[];
  /** The first broken frame; once set, the decoder reads nothing more. */
  error: ProtocolError | null;
}

/** Turns a byte stream into messages; see the file comment. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** The body length of the frame being read, once its header is in. */
  private bodyBytes: number | null = null;
  private frames = 0;
  private failure: ProtocolError | null = null;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes held for a frame not yet complete (never more than one frame's worth). */
  get buffered(): number {
    return this.bufferedBytes;
  }

  get error(): ProtocolError | null {
    return this.failure;
  }

  push(chunk: Uint8Array): DecodeResult {
    const messages: Message[] = [];
    if (this.failure) return { messages, error: this.failure };
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.bufferedBytes += chunk.length;
    }
    for (;;) {
      if (this.bodyBytes === null) {
        if (this.bufferedBytes < HEADER_BYTES) break;
        const header = this.take(HEADER_BYTES);
        const length = header.readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          return this.fail(
            `frame ${this.frames + 1} declares ${length} bytes, more than the ${mebibytes(this.maxFrameBytes)} a frame may hold${textHint(header)}`,
            messages,
          );
        }
        this.bodyBytes = length;
      }
      if (this.bufferedBytes < this.bodyBytes) break;
      const body = this.take(this.bodyBytes);
      this.bodyBytes = null;
      this.frames += 1;
      try {
        messages.push(parseFrameBody(body, this.frames));
      } catch (error) {
        return this.fail((error as ProtocolError).message, messages);
      }
    }
    return { messages, error: null };
  }

  private fail(reason: string, messages: Message[]): DecodeResult {
    this.failure = new ProtocolError(reason);
    this.chunks = [];
    this.bufferedBytes = 0;
    return { messages, error: this.failure };
  }

  /** The next `count` bytes, copied only when they span chunks (so reading stays linear). */
  private take(count: number): Buffer {
    if (count === 0) return Buffer.alloc(0);
    this.bufferedBytes -= count;
    const first = this.chunks[0]!;
    if (first.length >= count) {
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const head = this.chunks[0]!;
      const part = Math.min(head.length, count - filled);
      head.copy(out, filled, 0, part);
      filled += part;
      if (part === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(part);
    }
    return out;
  }
}
