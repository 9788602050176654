/**
 * A pane's history, compact: xterm keeps a short scrollback of its own (`XTERM_SCROLLBACK`
 * lines), and each line it trims from the top of that goes into a packed store here instead of
 * staying an xterm line object. The pane's whole history is the store's lines, then xterm's
 * scrollback, then its screen; `getLine` reads them alike (a stored line is unpacked into one
 * reused xterm line), so the screen's frames, copy mode and search see one history.
 *
 * Why: an xterm line is an object with a typed array of three 32-bit words a cell, two more
 * objects and their headers; with eight agents and 5,000 lines each that was about 40 MB of the
 * server's memory, and once the scrollback is full xterm recycles its oldest line for every new
 * one, which is cold in the cache. A stored line is five words of header and the words of its
 * cells up to the last that differs from the cells after it (a blank tail costs nothing), copied
 * into large shared buffers: no object per line for the garbage collector to visit, and xterm's
 * ring stays short and warm. (Packing the colours as runs was measured too: about 40% of this
 * format's memory, but three times the time to store a line and 15% more of the server's CPU
 * under a mixed flood, time taken from the agents; this raw copy costs no CPU measurably.)
 *
 * Where lines leave xterm: its ring (`CircularList`) trims from the top when a line is pushed
 * into a full ring (a scroll), when a scroll region that starts at the top inserts a line, when
 * the scrollback is erased (ED 3: the store is erased too) and when a resize shrinks the ring.
 * Some of those overwrite the line before telling anyone, so the ring's methods are wrapped to
 * hand the lines over first (once per process, on the prototype; a ring with no history is only
 * a field check slower). A narrowing resize's reflow can drop lines without any of those: before
 * one, the lines it could push out are handed over (`beforeResize`). Stored lines keep the width
 * they had (a narrower pane cuts them, as a smaller client does).
 *
 * Everything here reads xterm 6's internals; when they are not shaped as expected, `compact` is
 * false and xterm keeps the whole scrollback, as before (slower, never wrong).
 */
import type { IBufferLine, IDisposable, Terminal } from "@xterm/headless";
import type { XtermLine } from "./emulator.js";

/** Lines of scrollback xterm keeps itself when the history is compact. */
export const XTERM_SCROLLBACK = 256;

/** xterm's line, with the method used here. */
interface XLine extends XtermLine {
  clone(): XLine;
}

/** xterm's ring of lines (CircularList). */
interface Ring {
  length: number;
  /** xterm's event: `count` lines left the ring's top. */
  onTrim?: (listener: (count: number) => void) => IDisposable;
  maxLength: number;
  get(index: number): XLine | undefined;
  trimStart(count: number): void;
  /** Set on a normal buffer's ring by its history: called before lines leave its top. */
  towerTrim?: (count: number) => void;
}

interface XBuffer {
  lines: Ring;
  ybase: number;
  ydisp: number;
  savedY: number;
}

interface Core {
  buffers?: { normal?: XBuffer };
}

type ViewClass = new (line: XLine) => IBufferLine;

/** The ring's methods that trim, wrapped (once per process): see the module comment. */
let ringClass: "wrapped" | "left as is" | undefined;

function wrapRing(ring: Ring): boolean {
  if (ringClass) return ringClass === "wrapped";
  const proto = Object.getPrototypeOf(ring) as Record<string, unknown>;
  const methods = ["push", "recycle", "splice", "trimStart"] as const;
  const shaped =
    methods.every((name) => typeof proto[name] === "function") &&
    typeof ring.length === "number" &&
    typeof ring.maxLength === "number" &&
    typeof ring.get === "function";
  if (!shaped) {
    ringClass = "left as is";
    return false;
  }
  const original = Object.fromEntries(methods.map((name) => [name, proto[name]])) as Record<
    (typeof methods)[number],
    (this: Ring, ...args: unknown[]) => unknown
  >;
  proto.push = function (this: Ring, value: unknown) {
    if (this.towerTrim && this.length === this.maxLength) this.towerTrim(1);
    return original.push.call(this, value);
  };
  proto.recycle = function (this: Ring) {
    if (this.towerTrim && this.length === this.maxLength) this.towerTrim(1);
    return original.recycle.call(this);
  };
  proto.splice = function (this: Ring, ...args: unknown[]) {
    if (this.towerTrim) {
      const start = Number(args[0]);
      const deleted = Number(args[1]);
      const over = this.length - deleted + (args.length - 2) - this.maxLength;
      // The lines above the splice that the ring will drop (its oldest).
      if (over > 0) this.towerTrim(Math.min(over, start));
    }
    return original.splice.apply(this, args);
  };
  proto.trimStart = function (this: Ring, count: number) {
    if (this.towerTrim) this.towerTrim(Math.min(count, this.length));
    return original.trimStart.call(this, count);
  };
  ringClass = "wrapped";
  return true;
}

/**
 * A stored line: its header (columns and flags; the cells stored; the content, foreground and
 * background words of the cell that fills it after those), then the cells' words as xterm
 * keeps them (three a cell).
 */
const HEADER = 5;
const WRAPPED = 0x80000000;
const EXTRA = 0x40000000;
const COLS = 0xffff;
const CHUNK_WORDS = 64 * 1024;

interface Chunk {
  data: Uint32Array;
  used: number;
  /** Where each of its lines starts. */
  starts: number[];
  /** The number of its first line (counted since the history began). */
  first: number;
}

/** A line's combined characters and extended attributes, when it has any. */
interface Extra {
  /** The line's number (counted since the history began). */
  number: number;
  combined: Record<number, string>;
  extended: Record<number, unknown>;
}

const EMPTY_COMBINED: Record<number, string> = {};
const EMPTY_EXTENDED: Record<number, unknown> = {};

export class PaneHistory {
  /** Whether lines past xterm's own scrollback are stored here (false: xterm keeps them all). */
  readonly compact: boolean;
  /** Lines stored at most. */
  readonly limit: number;
  private readonly terminal: Terminal;
  private readonly core: Core;
  private ring: Ring | undefined;
  private chunks: Chunk[] = [];
  /** The last chunk evicted, to be used again. */
  private spare: Chunk | undefined;
  /** Line numbers (counted since the history began) of the oldest line kept and the next. */
  private first = 0;
  private next = 0;
  /**
   * The stored lines' extras, in the order of their numbers, from `extrasHead` on: the oldest
   * leave by moving the head, and a line's is found by a binary search. (A map by number, whose
   * oldest were deleted by iterating its keys, walked past every entry it had deleted, kept as
   * holes until the table is rebuilt: a third of the history's time under a flood.)
   */
  private extras: Extra[] = [];
  private extrasHead = 0;
  /** ED 3 erases the scrollback: the ring's next trim drops its lines instead of storing them. */
  private dropNextTrim = false;
  /** Lines the ring dropped itself (erased by ED 3; all it trims when the history is not compact). */
  private ringDropped = 0;
  /** The ring whose trims are counted, when the history is not compact. */
  private counted: { ring: Ring; trims: IDisposable } | undefined;
  private scratch: XLine | undefined;
  private view: IBufferLine | undefined;
  private readonly disposables: IDisposable[] = [];

  /**
   * `scrollback`: the lines of history the pane keeps in all. The terminal must have been made
   * with `xtermScrollback(scrollback)` lines of its own.
   */
  constructor(terminal: Terminal, scrollback: number) {
    this.terminal = terminal;
    this.core = (terminal as unknown as { _core?: Core })._core ?? {};
    const ring = this.core.buffers?.normal?.lines;
    const line = ring?.get(0);
    const view = terminal.buffer.normal.getLine(0) as unknown as { _line?: unknown } | undefined;
    const shaped =
      scrollback > XTERM_SCROLLBACK * 2 &&
      ring !== undefined &&
      line?._data instanceof Uint32Array &&
      typeof line.clone === "function" &&
      view?._line === line &&
      wrapRing(ring);
    this.compact = shaped;
    this.limit = shaped ? scrollback - XTERM_SCROLLBACK : 0;
    if (!shaped) {
      if (terminal.options.scrollback !== scrollback) terminal.options.scrollback = scrollback;
      this.countTrims();
      return;
    }
    this.scratch = (line as XLine).clone();
    const View = (view as object).constructor as ViewClass;
    this.view = new View(this.scratch);
    this.attach();
    this.disposables.push(
      // A reset replaces the buffers (and says so): hook the new ring.
      terminal.buffer.onBufferChange(() => this.attach()),
      // ED 3 erases the history (xterm's own handler trims its scrollback after this one).
      terminal.parser.registerCsiHandler({ final: "J" }, (params) => {
        const normal = this.core.buffers?.normal;
        if (params[0] === 3 && terminal.buffer.active.type === "normal" && normal) {
          this.clear();
          this.dropNextTrim = normal.lines.length - terminal.rows > 0;
        }
        return false;
      }),
      // RIS: xterm replaces its buffers; the history goes with them.
      terminal.parser.registerEscHandler({ final: "c" }, () => {
        this.clear();
        return false;
      }),
    );
  }

  /** Lines of scrollback to make the terminal with for a history of `scrollback` lines. */
  static xtermScrollback(scrollback: number): number {
    return scrollback > XTERM_SCROLLBACK * 2 ? XTERM_SCROLLBACK : scrollback;
  }

  /**
   * Lines gone from the top of the normal buffer's history since it began (past the limit, or
   * erased): a line `y` (as `getLine` counts) is line `y - d` once `d` more have gone, as long
   * as it stays. Copy mode and a scrolled view follow their lines by it.
   */
  get dropped(): number {
    if (!this.compact) this.countTrims();
    return this.first + this.ringDropped;
  }

  /** Lines stored here (above xterm's own scrollback). */
  get stored(): number {
    return this.next - this.first;
  }

  /** Stored lines that keep their combined characters or extended attributes (xterm's objects). */
  get extraLines(): number {
    return this.extras.length - this.extrasHead;
  }

  /** Bytes the stored lines take (their chunks). */
  get bytes(): number {
    let sum = 0;
    for (const chunk of this.chunks) sum += chunk.data.byteLength;
    return sum;
  }

  /** Lines of history above the active screen (none on the alternate screen). */
  get length(): number {
    const buffer = this.terminal.buffer.active;
    return buffer.type === "normal" ? this.stored + buffer.baseY : buffer.baseY;
  }

  /**
   * Line `y` of the active buffer's whole history, counted from its top (the screen starts at
   * `length`). A stored line comes back in one reused object: read it before asking for another.
   */
  getLine(y: number): IBufferLine | undefined {
    const buffer = this.terminal.buffer.active;
    if (buffer.type !== "normal" || !this.compact) return buffer.getLine(y);
    this.attach();
    const stored = this.stored;
    if (y >= stored) return buffer.getLine(y - stored);
    if (y < 0) return undefined;
    return this.unpack(this.first + y);
  }

  /**
   * Before a resize to `cols` x `rows`: when it narrows the pane, xterm's reflow rewraps its
   * scrollback into more rows and drops what no longer fits in its ring; those lines come here
   * first.
   */
  beforeResize(cols: number, rows: number): void {
    const normal = this.core.buffers?.normal;
    if (!this.compact || !normal || cols >= this.terminal.cols) return;
    this.attach();
    const factor = Math.ceil(this.terminal.cols / cols);
    const fits = Math.floor((XTERM_SCROLLBACK + rows) / factor) - this.terminal.rows;
    const take = normal.ybase - Math.max(0, fits);
    if (take <= 0) return;
    // As xterm's own ED 3 and resize move the top of the ring (markers follow its trim event).
    normal.lines.trimStart(take);
    normal.ybase -= take;
    normal.ydisp = Math.max(0, normal.ydisp - take);
    normal.savedY = Math.max(0, normal.savedY - take);
  }

  /** Forgets every stored line (the history was erased). */
  clear(): void {
    this.chunks = [];
    this.spare = undefined;
    this.first = this.next;
    this.extras = [];
    this.extrasHead = 0;
  }

  dispose(): void {
    if (this.ring?.towerTrim) this.ring.towerTrim = undefined;
    this.counted?.trims.dispose();
    this.counted = undefined;
    this.ring = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.clear();
  }

  /** Hooks the normal buffer's ring (again after a reset replaced it). */
  private attach(): void {
    const ring = this.core.buffers?.normal?.lines;
    if (ring === this.ring || ring === undefined) return;
    if (this.ring) this.ring.towerTrim = undefined;
    this.ring = ring;
    ring.towerTrim = (count) => this.take(ring, count);
  }

  /**
   * Not compact: xterm keeps the whole history and drops its oldest lines itself; counted from
   * its ring's trim event (hooked again after a reset replaced the ring).
   */
  private countTrims(): void {
    const ring = this.core.buffers?.normal?.lines;
    if (ring === this.counted?.ring || typeof ring?.onTrim !== "function") return;
    this.counted?.trims.dispose();
    this.counted = {
      ring,
      trims: ring.onTrim((count) => {
        this.ringDropped += count;
      }),
    };
  }

  /** The ring's oldest `count` lines are leaving it. */
  private take(ring: Ring, count: number): void {
    if (this.dropNextTrim) {
      this.dropNextTrim = false;
      this.ringDropped += count;
      return;
    }
    for (let i = 0; i < count; i++) {
      const line = ring.get(i);
      if (line) this.store(line);
    }
  }

  private store(line: XLine): void {
    const data = line._data;
    const cols = Math.min(line.length, COLS);
    // Trailing cells like the last one are not stored: they come back as that cell.
    const lastAt = (cols - 1) * 3;
    const fillContent = cols > 0 ? (data[lastAt] ?? 0) : 0;
    const fillFg = cols > 0 ? (data[lastAt + 1] ?? 0) : 0;
    const fillBg = cols > 0 ? (data[lastAt + 2] ?? 0) : 0;
    let cells = cols;
    while (
      cells > 0 &&
      data[(cells - 1) * 3] === fillContent &&
      data[(cells - 1) * 3 + 1] === fillFg &&
      data[(cells - 1) * 3 + 2] === fillBg
    ) {
      cells--;
    }
    // Written in place at the end of the last chunk: the header, then the cells' words as
    // xterm keeps them (a copy, which costs less than any packing of them).
    const number = this.next++;
    // The whole line is copied (no view of its first cells to make), the rest left to the next.
    const chunk = this.room(number, HEADER + data.length);
    const out = chunk.data;
    const start = chunk.used;
    out.set(data, start + HEADER);
    const at = start + HEADER + cells * 3;
    let combined = EMPTY_COMBINED;
    let extended = EMPTY_EXTENDED;
    for (const _ in line._combined) {
      combined = line._combined;
      break;
    }
    for (const _ in line._extendedAttrs) {
      extended = line._extendedAttrs;
      break;
    }
    const extra = combined !== EMPTY_COMBINED || extended !== EMPTY_EXTENDED;
    out[start] = cols | (line.isWrapped ? WRAPPED : 0) | (extra ? EXTRA : 0);
    out[start + 1] = cells;
    out[start + 2] = fillContent;
    out[start + 3] = fillFg;
    out[start + 4] = fillBg;
    chunk.starts.push(start);
    chunk.used = at;
    if (extra) {
      // The line's own objects, not copies: a line leaving the ring is dropped, or used again
      // with new objects in place of the ones that held anything (xterm's `copyFrom`, and
      // `copyLine` in emulator.ts, which keeps only empty ones).
      this.extras.push({ number, combined, extended });
    }
    this.evict();
  }

  /** The chunk line `number` goes in, with room for `words` more words. */
  private room(number: number, words: number): Chunk {
    const last = this.chunks[this.chunks.length - 1];
    if (last && last.used + words <= last.data.length) return last;
    // A chunk given up by the oldest lines is used again: a new one is memory the system has to
    // find and clear (a quarter of a megabyte every thousand lines or so under a flood).
    const spare = this.spare;
    this.spare = undefined;
    const chunk: Chunk =
      spare && spare.data.length >= words
        ? { data: spare.data, used: 0, starts: spare.starts, first: number }
        : {
            data: new Uint32Array(Math.max(CHUNK_WORDS, words)),
            used: 0,
            starts: [],
            first: number,
          };
    chunk.starts.length = 0;
    this.chunks.push(chunk);
    return chunk;
  }

  /** Keeps `limit` lines: whole chunks go once every line of theirs is past it. */
  private evict(): void {
    const oldest = this.next - this.limit;
    if (oldest <= this.first) return;
    this.first = oldest;
    let drop = 0;
    while (drop < this.chunks.length - 1) {
      const following = this.chunks[drop + 1];
      if (!following || following.first > oldest) break;
      drop++;
    }
    if (drop > 0) this.spare = this.chunks.splice(0, drop).pop();
    const extras = this.extras;
    let head = this.extrasHead;
    while (head < extras.length && (extras[head] as Extra).number < oldest) head++;
    if (head > 1024 && head * 2 > extras.length) {
      this.extras = extras.slice(head);
      head = 0;
    }
    this.extrasHead = head;
  }

  /** Line `number`'s extras (it has some: its EXTRA flag says so). */
  private extraOf(number: number): Extra | undefined {
    const extras = this.extras;
    let low = this.extrasHead;
    let high = extras.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = (extras[mid] as Extra).number;
      if (at === number) return extras[mid];
      if (at < number) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  private unpack(number: number): IBufferLine | undefined {
    const scratch = this.scratch;
    if (!scratch || number < this.first || number >= this.next) return undefined;
    let chunk: Chunk | undefined;
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const c = this.chunks[i];
      if (c && c.first <= number) {
        chunk = c;
        break;
      }
    }
    const start = chunk?.starts[number - (chunk?.first ?? 0)];
    if (!chunk || start === undefined) return undefined;
    const d = chunk.data;
    const head = d[start] ?? 0;
    const cols = head & COLS;
    if (scratch._data.length !== cols * 3) scratch._data = new Uint32Array(cols * 3);
    const out = scratch._data;
    const cells = d[start + 1] as number;
    out.set(d.subarray(start + HEADER, start + HEADER + cells * 3));
    let x = cells;
    const fill = [d[start + 2] ?? 0, d[start + 3] ?? 0, d[start + 4] ?? 0] as const;
    for (; x < cols; x++) {
      out[x * 3] = fill[0];
      out[x * 3 + 1] = fill[1];
      out[x * 3 + 2] = fill[2];
    }
    scratch.length = cols;
    scratch.isWrapped = (head & WRAPPED) !== 0;
    const extra = (head & EXTRA) !== 0 ? this.extraOf(number) : undefined;
    scratch._combined = extra?.combined ?? EMPTY_COMBINED;
    scratch._extendedAttrs = extra?.extended ?? EMPTY_EXTENDED;
    return this.view;
  }
}
