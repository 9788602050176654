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
 * goes ahead of the turns. While someone types (a keystroke into any feed within `TYPING_MS`),
 * turns are shorter (`TYPING_BUDGET_MS`, slices of `TYPING_SLICE_BYTES`): the keystroke itself
 * (a socket) and its echo (a pty) are read only between two turns, and with seven panes
 * flooding, a turn of 4 ms ran to 4-6 ms (its last slice), which each of the two waited behind.
 * And the turn due right after a keystroke waits for one pass of the event loop: the echo is
 * there to read by then (a terminal's own echo is made as the input is written; a program's
 * comes soon after), and it would otherwise wait behind that turn too.
 *
 * Parsing at once is xterm's own path for a keystroke typed into it (`handleUserInput` on its
 * write buffer: the next write is parsed before `write` returns). Where xterm is not shaped so,
 * a feed writes straight to the emulator, as before (slower under a flood, never wrong).
 *
 * Fast-forward (a feed given `FastForward`): when a flood of plain text waits (printable ASCII in
 * lines ending "\r\n", nothing else), the lines that the rest of it would scroll past the pane's
 * whole history are not parsed: they could never be seen again, and the emulator ends with the
 * same screen, history and cursor as if it had parsed them. The owner is told of them first (the
 * agent's log takes them as the scroll would have handed them over). Only from a state where
 * plain text does nothing but print and scroll: the normal screen, the cursor at the start of a
 * blank bottom row, a scroll region of the whole screen, autowrap on, insert mode off, no
 * character set mapping, the parser at rest between sequences. The rows the rest takes are
 * counted from the line lengths (printable ASCII is one column a character).
 */
import type { Terminal } from "@xterm/headless";
import { parsed } from "./emulator.js";

/** Parsing in one turn before the event loop gets to read its sockets and ptys again. */
export const TURN_BUDGET_MS = 4;
/** The most of one feed's output parsed in one go (about half a millisecond of xterm's work). */
export const SLICE_BYTES = 16 * 1024;
/** A turn while someone types (see the module comment), */
export const TYPING_BUDGET_MS = 1;
/** its slices, */
export const TYPING_SLICE_BYTES = 4 * 1024;
/** and how long after a keystroke the typing lasts. */
export const TYPING_MS = 1_000;
/** Fast-forward is looked for when this much output waits, */
export const FAST_FORWARD_AT = 16 * 1024;
/** and again once this much has been parsed since (a look reads the waiting plain text once). */
export const FAST_FORWARD_EVERY = 64 * 1024;
/**
 * A feed whose waiting output is plain text to its end, too little yet to fast-forward well
 * (less of it to leave unparsed than to parse), waits this long for more, again while more
 * comes, up to `GATHER_MAX_MS` in all or until `FastForward.gatherBytes` wait, before it is
 * parsed. Typing into the pane ends the wait.
 */
export const GATHER_MS = 10;
export const GATHER_MAX_MS = 60;
/** Rows beyond the history and the screen that the parsed rest must fill: a margin. */
const FAST_FORWARD_MARGIN_ROWS = 8;

/** A feed whose emulator may be spared plain text that would only scroll past its history. */
export interface FastForward {
  /** Rows the pane keeps above its screen, in all (xterm's own and any kept beside it). */
  historyRows: number;
  /**
   * Plain text let wait for more before it is parsed, at most (below the owner's backpressure
   * mark, so that the program goes on printing meanwhile).
   */
  gatherBytes: number;
  /**
   * Told of the lines left unparsed, before the rest is parsed: printable ASCII, each line
   * ending "\r\n". When it is called, the emulator has parsed everything before them.
   */
  onSkip(lines: Buffer): void;
}

/** The turns while someone types: see TYPING_BUDGET_MS, TYPING_SLICE_BYTES, TYPING_MS. */
export interface TypingTurns {
  budgetMs: number;
  sliceBytes: number;
  /** How long after a keystroke. */
  forMs: number;
}

export interface ParseQueueOptions {
  budgetMs?: number;
  sliceBytes?: number;
  typing?: TypingTurns;
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
  readonly typing: TypingTurns;
  private readonly now: () => number;
  /** When a feed was last typed into (the queue's clock). */
  private typedAt = Number.NEGATIVE_INFINITY;
  /** The next turn lets the event loop read first (a keystroke was just sent). */
  private readFirst = false;
  /** Feeds with output to hand over and none being parsed, in turn order. */
  private ready: ParseFeed[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Turns run so far (for the tests). */
  turns = 0;

  constructor(options: ParseQueueOptions = {}) {
    this.budgetMs = options.budgetMs ?? TURN_BUDGET_MS;
    this.sliceBytes = options.sliceBytes ?? SLICE_BYTES;
    this.typing = options.typing ?? {
      budgetMs: TYPING_BUDGET_MS,
      sliceBytes: TYPING_SLICE_BYTES,
      forMs: TYPING_MS,
    };
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * A feed for `terminal`; `onParsed` is told each time some of its output has been parsed (or
   * fast-forwarded past, given `fastForward`).
   */
  feed(
    terminal: Terminal,
    onParsed: (bytes: number) => void = () => {},
    fastForward?: FastForward,
  ): ParseFeed {
    return new ParseFeed(this, terminal, onParsed, writeBufferOf(terminal), fastForward);
  }

  /** `feed` has output to hand over: it goes at the end of the turn order. */
  enlist(feed: ParseFeed): void {
    if (this.ready.includes(feed)) return;
    this.ready.push(feed);
    this.scheduled ??= setImmediate(() => this.turn());
  }

  /** Someone typed into a feed: shorter turns for a while (see the module comment). */
  typed(): void {
    this.typedAt = this.now();
    this.readFirst = true;
  }

  withdraw(feed: ParseFeed): void {
    const at = this.ready.indexOf(feed);
    if (at >= 0) this.ready.splice(at, 1);
  }

  private turn(): void {
    if (this.readFirst) {
      // An immediate set during this phase runs after the next pass reads the ptys and sockets.
      this.readFirst = false;
      this.scheduled = setImmediate(() => this.turn());
      return;
    }
    this.scheduled = undefined;
    this.turns++;
    const start = this.now();
    const typing = start - this.typedAt < this.typing.forMs;
    const end = start + (typing ? this.typing.budgetMs : this.budgetMs);
    const slice = typing ? this.typing.sliceBytes : this.sliceBytes;
    // Round and round the ready feeds, a slice each, until the budget is spent; one that still
    // has output goes to the back, so the next turn starts with the feed after the last served.
    while (this.ready.length > 0) {
      const feed = this.ready.shift() as ParseFeed;
      if (feed.handSlice(slice)) this.ready.push(feed);
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
  /** Bytes parsed since fast-forward was last looked for. */
  private sinceLook = FAST_FORWARD_EVERY;
  /** Bytes taken from the head of the waiting output so far (handed over or skipped). */
  private taken = 0;
  /**
   * The end of the last look's plain run, and `taken` then. Output taken since came off its
   * front: what is left of the run is still plain, in whole lines.
   */
  private lastRun: { taken: number; end: number } | undefined;
  /** Set while plain text waits for more (see GATHER_MS). */
  private gatherTimer: NodeJS.Timeout | undefined;
  /** Since when plain text has been let wait for more (performance.now()), and how much waited. */
  private gatherStart: number | undefined;
  private gatherWaiting = 0;
  /** Bytes left unparsed by fast-forward so far. */
  skipped = 0;

  constructor(
    private readonly queue: ParseQueue,
    private readonly terminal: Terminal,
    private readonly onParsed: (bytes: number) => void,
    /** Absent: xterm cannot parse at once, and output goes straight to it. */
    private readonly writeBuffer: WriteBuffer | undefined,
    private readonly fastForward: FastForward | undefined,
  ) {}

  /** Whether plain text waits for more before it is parsed (see GATHER_MS). */
  get gathering(): boolean {
    return this.gatherTimer !== undefined;
  }

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
    if (this.gatherTimer !== undefined) {
      if (this.waiting >= (this.fastForward?.gatherBytes ?? 0)) this.stopGathering();
    } else if (this.inFlight === 0) this.queue.enlist(this);
  }

  /** The user typed into this emulator's program: its next output is parsed as it arrives. */
  typed(): void {
    this.urgent = true;
    this.queue.typed();
    if (this.gatherTimer !== undefined) this.stopGathering();
  }

  /**
   * Hands the emulator up to `max` bytes of the waiting output, parsed at once; returns whether
   * output still waits for a later turn.
   */
  handSlice(max: number): boolean {
    if (
      this.fastForward !== undefined &&
      this.waiting >= FAST_FORWARD_AT &&
      this.sinceLook >= FAST_FORWARD_EVERY
    ) {
      this.sinceLook = 0;
      const look = this.tryFastForward(this.fastForward, max);
      if (look === "handed") return this.waiting > 0 && this.inFlight === 0;
      if (look === "gather") return false;
    }
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
    this.taken += slice.length;
    this.sinceLook += slice.length;
    this.hand(slice);
    // A slice still being parsed (an asynchronous handler of xterm's) enlists the feed again
    // when it is done.
    return this.waiting > 0 && this.inFlight === 0;
  }

  /**
   * Looks for plain text to fast-forward past (see the module comment). When there is some, hands
   * the emulator the output up to its first line end (at most `max` bytes), then, if that left
   * the emulator where plain text only prints and scrolls, tells the owner of the lines and drops
   * them ("handed"). When the output is plain text to its end but too little yet, lets it wait
   * for more ("gather": the feed is out of the turns until `stopGathering`).
   */
  private tryFastForward(fastForward: FastForward, max: number): "handed" | "gather" | "no" {
    const data = this.joined();
    const needRows = fastForward.historyRows + 2 * this.terminal.rows + FAST_FORWARD_MARGIN_ROWS;
    const known = this.lastRun && this.lastRun.end - (this.taken - this.lastRun.taken);
    const plan = planFastForward(data, this.terminal.cols, needRows, max, known);
    this.lastRun = plan && { taken: this.taken, end: plan.end };
    // Less to leave unparsed than to parse: worth waiting for more, if more is coming.
    if (plan !== undefined && plan.to - plan.from < data.length - plan.to) {
      const now = performance.now();
      const more =
        this.gatherStart === undefined ||
        (this.waiting > this.gatherWaiting && now - this.gatherStart < GATHER_MAX_MS);
      if (plan.open && more && this.waiting < fastForward.gatherBytes) {
        this.gatherStart ??= now;
        this.gatherWaiting = this.waiting;
        this.gatherTimer = setTimeout(() => this.stopGathering(), GATHER_MS);
        return "gather";
      }
    }
    this.gatherStart = undefined;
    if (plan === undefined || plan.to === plan.from) return "no";
    this.chunks = [data.subarray(plan.from)];
    this.waiting -= plan.from;
    this.taken += plan.from;
    this.hand(data.subarray(0, plan.from));
    if (this.inFlight > 0 || !printsAndScrolls(this.terminal)) return "handed";
    fastForward.onSkip(data.subarray(plan.from, plan.to));
    const skipped = plan.to - plan.from;
    this.chunks = [data.subarray(plan.to)];
    this.waiting -= skipped;
    this.taken += skipped;
    this.skipped += skipped;
    this.onParsed(skipped);
    return "handed";
  }

  /** The wait for more plain text is over: the feed takes its turns again, looking first. */
  private stopGathering(): void {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    this.sinceLook = FAST_FORWARD_EVERY;
    if (!this.closed && this.waiting > 0 && this.inFlight === 0) this.queue.enlist(this);
  }

  /** The waiting output as one buffer, which becomes the only chunk. */
  private joined(): Buffer {
    const first = this.chunks[0] as Buffer;
    const data =
      this.chunks.length === 1
        ? first.subarray(this.offset)
        : Buffer.concat([first.subarray(this.offset), ...this.chunks.slice(1)]);
    this.chunks = [data];
    this.offset = 0;
    return data;
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
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    this.queue.withdraw(this);
    this.chunks = [];
    this.waiting = 0;
    this.inFlight = 0;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from("\r\n");

/**
 * Where plain text in `data` can be fast-forwarded past: output waiting for an emulator of `cols`
 * columns whose history and screen take `needRows` rows. From the first line end on (which must
 * come within `maxHead` bytes: the emulator parses up to there first), the longest run of plain
 * text (printable ASCII, and "\r\n" line ends) in whole lines; of that, everything but the last
 * lines that fill `needRows` rows. `from` to `to`: the lines to leave unparsed (none when the
 * run is too short: `to` is `from`); `open`: the run goes on to the end of `data` (more of it may
 * come); `end`: the end of the run's last whole line. Undefined: no line end in reach.
 * `knownEnd`: where a run found by an earlier look ends in `data` (the output since taken off its
 * front, more come after it): the scan goes on from there.
 */
export function planFastForward(
  data: Buffer,
  cols: number,
  needRows: number,
  maxHead: number,
  knownEnd?: number,
): { from: number; to: number; open: boolean; end: number } | undefined {
  const first = data.indexOf(CRLF);
  if (first < 0 || first + 2 > maxHead) return undefined;
  const from = first + 2;
  const n = data.length;
  let end = knownEnd !== undefined && knownEnd > from && knownEnd <= n ? knownEnd : from;
  let i = end;
  while (i < n) {
    const b = data[i] as number;
    if (b >= 0x20 && b <= 0x7e) i++;
    else if (b === CR && data[i + 1] === LF) {
      i += 2;
      end = i;
    } else if (b === CR && i + 1 === n) i++;
    else break;
  }
  const open = i === n;
  // Back from the run's end, line by line, until the lines counted fill `needRows` rows.
  let rows = 0;
  let to = end;
  while (to > from && rows < needRows) {
    // The line ending at `to` begins after the line end before it (the first one, at worst).
    const start = data.lastIndexOf(CRLF, to - 3) + 2;
    const length = to - 2 - start;
    rows += length === 0 ? 1 : Math.ceil(length / cols);
    to = start;
  }
  return { from, to: rows >= needRows ? to : from, open, end };
}

interface CoreShape {
  buffer?: {
    x?: number;
    y?: number;
    ybase?: number;
    scrollTop?: number;
    scrollBottom?: number;
  };
  buffers?: { normal?: unknown };
  coreService?: { modes?: { insertMode?: boolean }; decPrivateModes?: { wraparound?: boolean } };
  _inputHandler?: {
    _parser?: { currentState?: number };
    _parseStack?: { paused?: boolean };
    _utf8Decoder?: { interim?: Uint8Array };
    _charsetService?: { charset?: unknown };
  };
}

/**
 * Whether plain text parsed by `terminal` now would only print from the start of a blank bottom
 * row and scroll the whole normal screen into the history (see the module comment). False
 * whenever xterm is not shaped as read here.
 */
export function printsAndScrolls(terminal: Terminal): boolean {
  const core = (terminal as unknown as { _core?: CoreShape })._core;
  const buffer = core?.buffer;
  const input = core?._inputHandler;
  const rows = terminal.rows;
  if (
    buffer === undefined ||
    buffer !== core?.buffers?.normal ||
    buffer.x !== 0 ||
    buffer.y !== rows - 1 ||
    buffer.scrollTop !== 0 ||
    buffer.scrollBottom !== rows - 1 ||
    core?.coreService?.decPrivateModes?.wraparound !== true ||
    core.coreService.modes?.insertMode !== false ||
    input?._parser?.currentState !== 0 ||
    input._parseStack?.paused !== false ||
    input._utf8Decoder?.interim?.[0] !== 0 ||
    input._charsetService === undefined ||
    input._charsetService.charset !== undefined
  ) {
    return false;
  }
  const normal = terminal.buffer.normal;
  const row = normal.getLine(normal.baseY + normal.cursorY);
  return row !== undefined && !row.isWrapped && row.translateToString(true) === "";
}

/** The process's queue: every session's emulator parses on it unless given its own. */
export const sharedParseQueue = new ParseQueue();
