/**
 * Every emulator's parsing in one process, on one clock.
 *
 * Given output, xterm parses it on a timer, up to 12 ms at a time for each terminal, and every
 * terminal's timer fires in the same phase of Node's event loop: with seven agents printing,
 * the server parsed for 5-55 ms at a stretch without reading a socket (a CPU profile under the
 * latency benchmark's flood: 536 stretches over 5 ms in 16 s, 78% of their time in xterm's
 * parser), and a keystroke, its echo and every client's frame waited behind all of it.
 *
 * Here each session's output waits in its own queue (`ParseFeed`), and one turn at a time
 * (`setImmediate`: the ptys and sockets are read between two turns) hands the emulators slices
 * of it in turn, each parsed at once, until the turn's budget is spent; the feeds that still
 * have output go on in the next turn from where this one stopped, so that a pane with little to
 * parse is never behind one with megabytes. A feed that was just typed into (`typed`) has its
 * next output parsed as it arrives when nothing of its own is waiting: the echo of a keystroke
 * goes ahead of the turns.
 *
 * Parsing at once is xterm's own path for a keystroke typed into it (`handleUserInput` on its
 * write buffer: the next write is parsed before `write` returns). Where xterm is not shaped so,
 * a feed writes straight to the emulator, as before (slower under a flood, never wrong).
 */
import type { Terminal } from "@xterm/headless";
import { parsed } from "./emulator.js";

/** Parsing in one turn before the event loop gets to read its sockets and ptys again. */
export const TURN_BUDGET_MS = 4;
/** The most of one feed's output parsed in one go (about half a millisecond of xterm's work). */
export const SLICE_BYTES = 16 * 1024;

export interface ParseQueueOptions {
  budgetMs?: number;
  sliceBytes?: number;
  /** The clock (milliseconds); tests give one that counts slices. */
  now?: () => number;
}

interface WriteBuffer {
  handleUserInput(): void;
}

/** xterm's write buffer, when it can parse the next write at once (xterm 6). */
function writeBufferOf(terminal: Terminal): WriteBuffer | undefined {
  const buffer = (terminal as unknown as { _core?: { _writeBuffer?: Partial<WriteBuffer> } })._core
    ?._writeBuffer;
  return typeof buffer?.handleUserInput === "function" ? (buffer as WriteBuffer) : undefined;
}

export class ParseQueue {
  readonly budgetMs: number;
  readonly sliceBytes: number;
  private readonly now: () => number;
  /** Feeds with output to hand over and none being parsed, in turn order. */
  private ready: ParseFeed[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Turns run so far (for the tests). */
  turns = 0;

  constructor(options: ParseQueueOptions = {}) {
    this.budgetMs = options.budgetMs ?? TURN_BUDGET_MS;
    this.sliceBytes = options.sliceBytes ?? SLICE_BYTES;
    this.now = options.now ?? (() => performance.now());
  }

  /** A feed for `terminal`; `onParsed` is told each time some of its output has been parsed. */
  feed(terminal: Terminal, onParsed: (bytes: number) => void = () => {}): ParseFeed {
    return new ParseFeed(this, terminal, onParsed, writeBufferOf(terminal));
  }

  /** `feed` has output to hand over: it goes at the end of the turn order. */
  enlist(feed: ParseFeed): void {
    if (this.ready.includes(feed)) return;
    this.ready.push(feed);
    this.scheduled ??= setImmediate(() => this.turn());
  }

  withdraw(feed: ParseFeed): void {
    const at = this.ready.indexOf(feed);
    if (at >= 0) this.ready.splice(at, 1);
  }

  private turn(): void {
    this.scheduled = undefined;
    this.turns++;
    const end = this.now() + this.budgetMs;
    // Round and round the ready feeds, a slice each, until the budget is spent; one that still
    // has output goes to the back, so the next turn starts with the feed after the last served.
    while (this.ready.length > 0) {
      const feed = this.ready.shift() as ParseFeed;
      if (feed.handSlice(this.sliceBytes)) this.ready.push(feed);
      if (this.now() >= end) break;
    }
    if (this.ready.length > 0) this.scheduled = setImmediate(() => this.turn());
  }
}

/** One emulator's output on its way to the parser. */
export class ParseFeed {
  /** Output not handed to the emulator yet; the first chunk from `offset` on. */
  private chunks: Buffer[] = [];
  private offset = 0;
  /** Bytes not handed to the emulator yet. */
  private waiting = 0;
  /** Bytes handed to the emulator and not parsed yet. */
  private inFlight = 0;
  private urgent = false;
  private closed = false;
  /** Set while a slice is handed over (it is parsed before `write` returns, as a rule). */
  private handing = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly queue: ParseQueue,
    private readonly terminal: Terminal,
    private readonly onParsed: (bytes: number) => void,
    /** Absent: xterm cannot parse at once, and output goes straight to it. */
    private readonly writeBuffer: WriteBuffer | undefined,
  ) {}

  /** Bytes given and not parsed yet. */
  get unparsed(): number {
    return this.waiting + this.inFlight;
  }

  /** Output for the emulator, in order. */
  push(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    if (this.writeBuffer === undefined) {
      this.hand(data);
      return;
    }
    if (this.urgent && this.waiting === 0 && this.inFlight === 0) {
      // The echo of what was just typed: nothing of this feed is ahead of it.
      this.urgent = false;
      this.hand(data);
      return;
    }
    this.chunks.push(data);
    this.waiting += data.length;
    if (this.inFlight === 0) this.queue.enlist(this);
  }

  /** The user typed into this emulator's program: its next output is parsed as it arrives. */
  typed(): void {
    this.urgent = true;
  }

  /**
   * Hands the emulator up to `max` bytes of the waiting output, parsed at once; returns whether
   * output still waits for a later turn.
   */
  handSlice(max: number): boolean {
    const first = this.chunks[0];
    if (first === undefined) return false; // a closed feed has none
    const rest = first.length - this.offset;
    let slice: Buffer;
    if (rest <= max) {
      slice = this.offset === 0 ? first : first.subarray(this.offset);
      this.chunks.shift();
      this.offset = 0;
    } else {
      slice = first.subarray(this.offset, this.offset + max);
      this.offset += max;
    }
    this.waiting -= slice.length;
    this.hand(slice);
    // A slice still being parsed (an asynchronous handler of xterm's) enlists the feed again
    // when it is done.
    return this.waiting > 0 && this.inFlight === 0;
  }

  private hand(data: Buffer): void {
    this.inFlight += data.length;
    this.handing = true;
    try {
      this.writeBuffer?.handleUserInput();
      this.terminal.write(data, () => this.parsedSome(data.length));
    } finally {
      this.handing = false;
    }
  }

  private parsedSome(bytes: number): void {
    this.inFlight -= bytes;
    if (this.closed) return;
    this.onParsed(bytes);
    if (this.inFlight > 0) return;
    // Parsed during `hand`: the turn (or `push`) that handed it decides what comes next.
    if (this.waiting > 0 && !this.handing) this.queue.enlist(this);
    else if (this.waiting === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** Resolves once everything pushed so far has been parsed. */
  async drained(): Promise<void> {
    if (this.waiting > 0 || this.inFlight > 0) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    }
    if (this.closed) return;
    // Whatever was written to the emulator by anyone else before now.
    await parsed(this.terminal);
  }

  /** Drops the waiting output (the emulator is going away); `drained` waiters resolve. */
  close(): void {
    this.closed = true;
    this.queue.withdraw(this);
    this.chunks = [];
    this.waiting = 0;
    this.inFlight = 0;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}

/** The process's queue: every session's emulator parses on it unless given its own. */
export const sharedParseQueue = new ParseQueue();
