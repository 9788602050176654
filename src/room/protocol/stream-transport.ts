/**
 * A transport over a byte stream: a unix socket, or a pair of pipes (a child's stdin and stdout,
 * or the server's own under `--stdio`). Frames are written whole; bytes read go through the
 * decoder, and a broken frame ends the connection with an "error" message naming the fault, so
 * one bad peer costs only its own connection.
 */
import type { Readable, Writable } from "node:stream";
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES, type Message } from "./framing.js";
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_BUFFERED,
  TransportBase,
  type TransportLimits,
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
    return this.streams.output.writableLength;
  }

  send(message: Message): boolean {
    if (this.closed || this.ending !== null) return false;
    const frame = encodeFrame(message, this.maxFrameBytes);
    this.streams.output.write(frame);
    const waiting = this.streams.output.writableLength;
    if (waiting > this.maxBuffered) {
      this.abort(
        `the other side reads too slowly: ${Math.round(waiting / (1024 * 1024))} MiB were waiting for it`,
      );
      return false;
    }
    if (waiting > this.highWaterMark) this.full = true;
    return this.writable;
  }

  close(reason = "closed"): void {
    if (this.closed || this.ending !== null) return;
    this.ending = reason;
    // Reading goes on (what arrives is dropped, see received) until the peer's end: a paused
    // socket would never see it, and, no longer active, let a server's process exit under it.
    this.streams.end();
    this.flushTimer = setTimeout(() => this.streams.destroy(), FLUSH_GRACE_MS);
    this.flushTimer.unref();
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
      const message = `the other side found a broken frame in what it received: ${error.message}`;
      this.streams.output.write(encodeFrame({ type: "error", message }));
      this.close(reason);
    }
  }

  private drained(): void {
    if (!this.full || this.streams.output.writableLength > this.highWaterMark) return;
    this.full = false;
    if (!this.closed && this.ending === null) this.emitDrain();
  }

  private abort(reason: string): void {
    this.ending = reason;
    this.streams.destroy();
  }
}
