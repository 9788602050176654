/**
 * A transport over a byte stream: a unix socket, or a pair of pipes (a child's stdin and stdout,
 * or the server's own under `--stdio`). Frames are written whole; bytes read go through the
 * decoder, and a broken frame ends the connection with an "error" message naming the fault, so
 * one bad peer costs only its own connection.
 *
 * The stream is given frames up to the high-water mark; later ones wait here, whole, until it
 * drains. A peer that falls behind by the hard limit is told why it is dropped: the frames
 * waiting here (never begun on the stream) are dropped and an "error" message follows what the
 * stream already holds, so the peer reads an unbroken prefix, then the reason, and does not
 * take the end for a crash. The stream may wait for a stopped peer as long as it lives: what it
 * holds then is bounded by the high-water mark, not by what was sent.
 */
import type { Readable, Writable } from "node:stream";
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES, type Message } from "./framing.js";
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_BUFFERED,
  TransportBase,
  type TransportLimits,
  tooSlow,
} from "./transport.js";

/** How long a closing connection may take to flush before it is cut. */
const FLUSH_GRACE_MS = 5_000;

export interface ByteStreams {
  input: Readable;
  output: Writable;
  /** Ends the connection once the output is flushed (socket.end, stdin.end). */
  end(): void;
  /** Ends it now (socket.destroy, child.kill). */
  destroy(): void;
}

export class StreamTransport extends TransportBase {
  private readonly decoder: FrameDecoder;
  private readonly highWaterMark: number;
  private readonly maxBuffered: number;
  private readonly maxFrameBytes: number;
  private full = false;
  private ending: string | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Frames sent while the stream held more than the high-water mark, oldest first. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    private readonly streams: ByteStreams,
    limits: TransportLimits = {},
  ) {
    super();
    this.maxFrameBytes = limits.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.highWaterMark = limits.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.maxBuffered = Math.max(
      limits.maxBuffered ?? DEFAULT_MAX_BUFFERED,
      this.highWaterMark,
      this.maxFrameBytes + 4,
    );
    this.decoder = new FrameDecoder(this.maxFrameBytes);
    streams.input.on("data", (chunk: Buffer) => this.received(chunk));
    streams.output.on("drain", () => this.drained());
    // An error (EPIPE, ECONNRESET) ends the connection; the owner, who sees how it ended (a
    // socket's close, a child's exit code and stderr), reports it through gone().
    const failed = (error: Error) => {
      this.streamError ??= error.message;
      this.streams.destroy();
    };
    streams.input.on("error", failed);
    streams.output.on("error", failed);
  }

  /** The error that broke the streams, if one did. */
  streamError: string | null = null;

  get writable(): boolean {
    return !this.closed && this.ending === null && !this.full;
  }

  /** Bytes sent but not yet taken by the operating system. */
  get buffered(): number {
    return this.streams.output.writableLength + this.heldBytes;
  }

  send(message: Message): boolean {
    if (this.closed || this.ending !== null) return false;
    const frame = encodeFrame(message, this.maxFrameBytes);
    if (this.held.length === 0 && !this.pastMark()) {
      this.streams.output.write(frame);
    } else {
      this.held.push(frame);
      this.heldBytes += frame.length;
    }
    const waiting = this.buffered;
    if (waiting > this.maxBuffered) {
      this.abort(waiting);
      return false;
    }
    // Not writable until the stream says "drain" (a stream that will not is taking them).
    if (waiting > this.highWaterMark && (this.held.length > 0 || this.pastMark())) this.full = true;
    return this.writable;
  }

  close(reason = "closed"): void {
    if (this.closed || this.ending !== null) return;
    this.release();
    this.end(reason, FLUSH_GRACE_MS);
  }

  /**
   * Ends the stream once flushed, cut after `graceMs` if given. Reading goes on (what arrives is
   * dropped, see received) until the peer's end: a paused socket would never see it, and, no
   * longer active, let a server's process exit under it.
   */
  private end(reason: string, graceMs?: number): void {
    this.ending = reason;
    this.streams.end();
    if (graceMs === undefined) return;
    this.flushTimer = setTimeout(() => this.streams.destroy(), graceMs);
    this.flushTimer.unref();
  }

  /**
   * Whether frames wait here rather than go to the stream: it holds more than the mark and will
   * say "drain" (a write past its own buffer returned false; with a mark below that buffer, a
   * stream that will not say it takes them, as before the mark).
   */
  private pastMark(): boolean {
    const output = this.streams.output;
    return output.writableLength > this.highWaterMark && output.writableNeedDrain;
  }

  /** Hands the stream the frames that wait here, up to the high-water mark (all with `all`). */
  private release(all = true): void {
    while (this.held.length > 0) {
      if (!all && this.pastMark()) return;
      const frame = this.held.shift()!;
      this.heldBytes -= frame.length;
      this.streams.output.write(frame);
    }
  }

  /** The owner saw the connection end (socket or child closed); `how` if no one said why. */
  gone(how: string): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (!this.closed && this.ending === null && this.peerFarewell === null) this.peerLost = true;
    this.emitClose(this.ending ?? this.peerFarewell ?? how);
  }

  private received(chunk: Buffer): void {
    if (this.ending !== null || this.closed) return;
    const { messages, error } = this.decoder.push(chunk);
    for (const message of messages) this.emitMessage(message);
    if (error) {
      const reason = `protocol error: ${error.message}`;
      this.farewell(`the other side found a broken frame in what it received: ${error.message}`);
      this.end(reason, FLUSH_GRACE_MS);
    }
  }

  private drained(): void {
    if (this.ending === null) this.release(false);
    // Still past the mark: the stream says "drain" again.
    if (!this.full || this.held.length > 0 || this.pastMark()) return;
    this.full = false;
    if (!this.closed && this.ending === null) this.emitDrain();
  }

  /** The peer is `waiting` bytes behind: it is told so after what the stream holds, then dropped. */
  private abort(waiting: number): void {
    const { reason, told } = tooSlow(waiting);
    this.farewell(told);
    // No cut: a stopped peer reads the reason whenever it runs again. For this side the
    // connection is over now.
    this.end(reason);
    this.emitClose(reason);
  }

  /** Drops the frames waiting here and queues an "error" message after what the stream holds. */
  private farewell(message: string | Message): void {
    this.held = [];
    this.heldBytes = 0;
    const error = typeof message === "string" ? { type: "error", message } : message;
    this.streams.output.write(encodeFrame(error));
  }
}
