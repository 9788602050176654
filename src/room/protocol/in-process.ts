/**
 * Two transports joined in memory: the room hosted in the control room's own process, and tests.
 * Each message goes through the same encoding as on a socket (so a message that could not
 * cross a socket, too big or not plain JSON, fails here too, and the receiver gets its own copy)
 * and arrives asynchronously, in order. An end can be paused to play a client that reads
 * slowly: what is sent to it waits, and the sender sees `writable` false and "drain" as on a
 * socket.
 */
import { encodeFrame, MAX_FRAME_BYTES, type Message, parseFrameBody } from "./framing.js";
import {
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_BUFFERED,
  TransportBase,
  type TransportLimits,
  tooSlow,
} from "./transport.js";

export class InProcessTransport extends TransportBase {
  peer!: InProcessTransport;
  /** Frames sent to this end, not yet delivered. */
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  private paused = false;
  private scheduled = false;
  private frames = 0;
  /** Why this end closed the connection. */
  private ending: string | null = null;
  /** The other end closed it: this end reads what is in its inbox, then closes too. */
  private peerClosed = false;
  private full = false;
  private readonly highWaterMark: number;
  private readonly maxBuffered: number;
  private readonly maxFrameBytes: number;

  constructor(limits: TransportLimits) {
    super();
    this.maxFrameBytes = limits.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.highWaterMark = limits.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.maxBuffered = Math.max(limits.maxBuffered ?? DEFAULT_MAX_BUFFERED, this.highWaterMark);
  }

  get writable(): boolean {
    return this.ending === null && !this.peerClosed && !this.closed && !this.full;
  }

  /** Bytes sent by this end that the other has not yet taken. */
  get buffered(): number {
    return this.peer.inboxBytes;
  }

  send(message: Message): boolean {
    if (this.ending !== null || this.peerClosed || this.closed) return false;
    const frame = encodeFrame(message, this.maxFrameBytes);
    this.peer.inbox.push(frame);
    this.peer.inboxBytes += frame.length;
    this.peer.schedule();
    if (this.peer.inboxBytes > this.maxBuffered) {
      // What waits is dropped; the peer reads what it was given before, then why.
      const { reason, told } = tooSlow(this.peer.inboxBytes);
      const farewell = encodeFrame(told);
      this.peer.inbox = [farewell];
      this.peer.inboxBytes = farewell.length;
      this.end(reason);
      return false;
    }
    if (this.peer.inboxBytes > this.highWaterMark) this.full = true;
    return this.writable;
  }

  close(reason = "closed"): void {
    this.end(reason);
  }

  /** Stops delivering messages to this end (they wait), as a client that does not read. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  private end(reason: string): void {
    if (this.ending !== null || this.closed) return;
    this.ending = reason;
    this.peer.peerClosed = true;
    // This end stops reading at once; the other reads what was sent, then sees the close.
    this.inbox = [];
    this.inboxBytes = 0;
    this.emitClose(reason);
    this.peer.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    while (!this.paused && !this.closed && this.inbox.length > 0) {
      const frame = this.inbox.shift()!;
      this.inboxBytes -= frame.length;
      this.frames += 1;
      this.emitMessage(parseFrameBody(frame.subarray(4), this.frames));
    }
    this.peer.senderDrained();
    if (this.inbox.length === 0 && this.peerClosed) {
      if (!this.closed && this.peerFarewell === null) this.peerLost = true;
      this.emitClose(this.peerFarewell ?? "the other side closed the connection");
    }
  }

  private senderDrained(): void {
    if (!this.full || this.peer.inboxBytes > this.highWaterMark) return;
    this.full = false;
    if (this.writable) this.emitDrain();
  }
}

/** Two ends of one connection in memory. */
export function inProcessPair(
  limits: TransportLimits = {},
): [InProcessTransport, InProcessTransport] {
  const a = new InProcessTransport(limits);
  const b = new InProcessTransport(limits);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
