/**
 * A connection that carries messages, whatever is under it: an in-process pair, a unix socket,
 * or a child's stdin and stdout (`tower server --stdio` over SSH). All three behave alike:
 *
 * - `send(message)` queues a message; it returns `writable`, which is false while more than a
 *   high-water mark of bytes waits for the peer to read. A sender that can skip messages (the
 *   room skips intermediate pane frames for a slow client) waits for "drain" before sending
 *   more; past a hard limit the connection is closed rather than let memory grow: what waits is
 *   dropped and the peer, once it reads again, is told why in an "error" message.
 * - "message" gives each message received, in order; messages that arrive while no one listens
 *   are kept until a listener comes, so nothing is lost between a handshake and its session.
 * - "close" fires once, with why: the local `close(reason)`, a protocol error, the reason the
 *   peer gave in a bye, refused or error message before leaving, or how the connection dropped.
 *   A listener added after the close is called too.
 */
import { type Message, mebibytes } from "./framing.js";
import { quoted } from "./messages.js";

export interface TransportEvents {
  message: (message: Message) => void;
  drain: () => void;
  close: (reason: string) => void;
}

export interface Transport {
  /** Queues a message; returns `writable`. Throws a ProtocolError for one that cannot be sent. */
  send(message: Message): boolean;
  /** False while the peer is behind by more than the high-water mark; "drain" ends it. */
  readonly writable: boolean;
  readonly closed: boolean;
  /**
   * Whether the connection ended from the peer's side without a word (no bye, refusal or error
   * message first): its process was killed or crashed, or the link dropped.
   */
  readonly lost: boolean;
  /**
   * The bytes that were waiting for this side when the peer dropped it for reading too slowly
   * (its error message said so, code "too-slow"); undefined otherwise.
   */
  readonly droppedBehind: number | undefined;
  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void;
  /** Ends the connection after what was sent is flushed. Sends nothing itself: say bye first. */
  close(reason?: string): void;
}

/** Defaults shared by the transports. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
export const DEFAULT_MAX_BUFFERED = 64 * 1024 * 1024;

export interface TransportLimits {
  /** Bytes waiting for the peer above which `writable` is false (default 1 MiB). */
  highWaterMark?: number;
  /** Bytes waiting for the peer above which the connection is closed (default 64 MiB). */
  maxBuffered?: number;
  /** The largest frame body sent or accepted (default 16 MiB). */
  maxFrameBytes?: number;
}

/**
 * Past the hard limit: why this side closes the connection, and what the slow peer is told
 * after what it has not read yet (the messages that waited are dropped, not delivered).
 */
export function tooSlow(waitingBytes: number): { reason: string; told: Message } {
  const size = mebibytes(waitingBytes);
  return {
    reason: `the other side reads too slowly: ${size} were waiting for it`,
    told: {
      type: "error",
      message: `this side read too slowly (${size} were waiting for it): the other side dropped what waited and closed the connection; connect again to go on`,
      code: TOO_SLOW,
      waiting: waitingBytes,
    },
  };
}

/** The `code` of the error message that tells a peer it was dropped for reading too slowly. */
export const TOO_SLOW = "too-slow";

/** The reason a peer gave before leaving, from a bye, refused or error message. */
export function farewellReason(message: Message): string | null {
  const m = message as Record<string, unknown>;
  if (message.type === "bye") return typeof m.reason === "string" ? m.reason : "the peer said bye";
  if (message.type === "refused" && typeof m.reason === "string") return m.reason;
  if (message.type === "error" && typeof m.message === "string") return m.message;
  return null;
}

/** The listener bookkeeping every transport shares. */
export abstract class TransportBase implements Transport {
  private listeners: { [E in keyof TransportEvents]: Set<TransportEvents[E]> } = {
    message: new Set(),
    drain: new Set(),
    close: new Set(),
  };
  private waiting: Message[] = [];
  private closeReason: string | null = null;
  /** What the peer said it was leaving for, if it said. */
  protected peerFarewell: string | null = null;
  /** Set by a transport whose peer ended the connection without a farewell (see `lost`). */
  protected peerLost = false;
  private behind: number | undefined;

  abstract send(message: Message): boolean;
  abstract get writable(): boolean;
  abstract close(reason?: string): void;

  get closed(): boolean {
    return this.closeReason !== null;
  }

  get lost(): boolean {
    return this.peerLost;
  }

  get droppedBehind(): number | undefined {
    return this.behind;
  }

  on<E extends keyof TransportEvents>(event: E, listener: TransportEvents[E]): () => void {
    this.listeners[event].add(listener);
    if (event === "message" && this.waiting.length > 0) {
      queueMicrotask(() => this.flushWaiting());
    }
    if (event === "close" && this.closeReason !== null) {
      const reason = this.closeReason;
      queueMicrotask(() => (listener as TransportEvents["close"])(reason));
    }
    return () => {
      this.listeners[event].delete(listener);
    };
  }

  /** Hands the kept messages, oldest first, to the listeners that have come since. */
  private flushWaiting(): void {
    while (this.waiting.length > 0 && this.listeners.message.size > 0) {
      this.dispatch(this.waiting.shift()!);
    }
  }

  protected emitMessage(message: Message): void {
    const farewell = farewellReason(message);
    if (farewell !== null && this.peerFarewell === null) {
      this.peerFarewell = farewell;
      const { code, waiting } = message as { code?: unknown; waiting?: unknown };
      if (message.type === "error" && code === TOO_SLOW && typeof waiting === "number") {
        this.behind = waiting;
      }
    }
    // While older messages wait, a new one waits behind them, so the order holds.
    if (this.listeners.message.size === 0 || this.waiting.length > 0) {
      this.waiting.push(message);
      return;
    }
    this.dispatch(message);
  }

  /**
   * Hands a message to each listener. One that throws ends this connection, saying why to both
   * sides, and nothing else: on a server, a client whose message it failed on must not take the
   * server (and its agents) down with it.
   */
  private dispatch(message: Message): void {
    for (const listener of [...this.listeners.message]) {
      try {
        listener(message);
      } catch (error) {
        const problem = `it failed on a ${quoted(message.type, 40)} message: ${(error as Error)?.message ?? String(error)}`;
        if (!this.closed) {
          try {
            this.send({
              type: "error",
              message: `the other side ended the connection: ${problem}`,
            });
          } catch {}
          this.close(`this side ended the connection: ${problem}`);
        }
        return;
      }
    }
  }

  protected emitDrain(): void {
    for (const listener of [...this.listeners.drain]) listener();
  }

  /** Marks the transport closed and tells the listeners, once. */
  protected emitClose(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    for (const listener of [...this.listeners.close]) listener(reason);
  }
}
