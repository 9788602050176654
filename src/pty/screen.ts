/**
 * Screen rows: the emulator's screen (or a window scrolled back into its history) as rows of
 * styled text that a UI can place side by side.
 *
 * A row holds SGR sequences only (no cursor movement, no erase), is exactly `cols` columns wide
 * in the emulator's Unicode 11 widths, and ends with a reset. Colours stay as the program sent
 * them: the 16 and 256 palette colours as palette indices (so the user's own theme applies),
 * truecolor as RGB.
 *
 * Rows are cached: a frame rebuilds only the rows the emulator reported changed since the last
 * frame (its dirty-row ranges), plus every row after a scroll, a resize, a switch between the
 * normal and alternate screens, and the rows the cursor left and entered. While the program has
 * synchronized output on (DEC mode 2026) the last complete frame is shown again, for at most
 * `syncTimeoutMs`, as terminals do, so that a program that never turns it off cannot freeze it.
 */
import type {
  IBufferCell,
  IBufferLine,
  IBufferNamespace,
  IDisposable,
  Terminal,
} from "@xterm/headless";

export const RESET = "\x1b[0m";

/** The cursor as a frame shows it (screen coordinates, 0-based). */
export interface CursorPosition {
  x: number;
  y: number;
  visible: boolean;
}

export interface Frame {
  /** One styled string per screen row. */
  rows: readonly string[];
  cols: number;
  /** Lines scrolled back from the bottom (0: the live screen). */
  offset: number;
  cursor: CursorPosition;
  /** Rows built for this frame; the rest came from the cache. */
  rebuilt: number;
  /** True when this is the last complete frame, held because synchronized output is on. */
  held: boolean;
}

export interface FrameOptions {
  /** Lines to scroll back from the bottom; clamped to the history there is. Default 0. */
  offset?: number;
  /** Show the cursor (as an inverse cell) when the program has it visible. Default true. */
  cursor?: boolean;
  /**
   * Cells to mark, by line (counted from the top of the history) and column: copy mode's
   * cursor and selection (inverse), search matches (black on yellow, the current one bright).
   * With marks the frame is built from the buffer each time (no cache), even at offset 0.
   */
  marks?: (line: number) => ((x: number) => CellMark | undefined) | undefined;
}

export type CellMark = "select" | "match" | "current";

/**
 * Where a screen reads the history above its screen: the pane's compact history (history.ts)
 * or, by default, the emulator's active buffer. Lines count from the history's top; the screen
 * starts at `length`.
 */
export interface HistorySource {
  /** Lines above the active screen. */
  readonly length: number;
  getLine(y: number): IBufferLine | undefined;
}

export interface ScreenOptions {
  /** Where the history is read (default: the emulator's active buffer). */
  history?: HistorySource;
  /** How long synchronized output may hold the last frame (default 1,000 ms). */
  syncTimeoutMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Attribute bits of a cell's style, in SGR order. */
const ATTRS: readonly [number, string, (cell: IBufferCell) => number | boolean][] = [
  [1, "1", (c) => c.isBold()],
  [2, "2", (c) => c.isDim()],
  [4, "3", (c) => c.isItalic()],
  [8, "4", (c) => c.isUnderline()],
  [16, "5", (c) => c.isBlink()],
  [32, "7", (c) => c.isInverse()],
  [64, "8", (c) => c.isInvisible()],
  [128, "9", (c) => c.isStrikethrough()],
  [256, "53", (c) => c.isOverline()],
];
const INVERSE = 32;

/** Colour modes as xterm reports them (`getFgColorMode()`). */
const CM_P16 = 0x1000000;
const CM_P256 = 0x2000000;
const CM_RGB = 0x3000000;

function colorParams(mode: number, color: number, base: number): string | undefined {
  switch (mode) {
    case CM_P16:
      return color < 8 ? String(base + color) : String(base + 60 + (color - 8));
    case CM_P256:
      return `${base + 8};5;${color}`;
    case CM_RGB:
      return `${base + 8};2;${(color >>> 16) & 255};${(color >>> 8) & 255};${color & 255}`;
    default:
      return undefined;
  }
}

export interface Style {
  attrs: number;
  fgMode: number;
  fg: number;
  bgMode: number;
  bg: number;
}

function styleOf(cell: IBufferCell, into: Style): Style {
  let attrs = 0;
  if (!cell.isAttributeDefault()) {
    for (const [bit, , test] of ATTRS) if (test(cell)) attrs |= bit;
  }
  into.attrs = attrs;
  // Default colours report -1 as their value: only the mode matters then.
  into.fgMode = cell.getFgColorMode();
  into.fg = into.fgMode === 0 ? 0 : cell.getFgColor();
  into.bgMode = cell.getBgColorMode();
  into.bg = into.bgMode === 0 ? 0 : cell.getBgColor();
  return into;
}

function sameStyle(a: Style, b: Style): boolean {
  return (
    a.attrs === b.attrs &&
    a.fgMode === b.fgMode &&
    a.fg === b.fg &&
    a.bgMode === b.bgMode &&
    a.bg === b.bg
  );
}

/** The SGR sequence that sets `style` from any state (it starts with a reset). */
export function sgr(style: Style): string {
  const params = ["0"];
  for (const [bit, param] of ATTRS) if (style.attrs & bit) params.push(param);
  const fg = colorParams(style.fgMode, style.fg, 30);
  if (fg !== undefined) params.push(fg);
  const bg = colorParams(style.bgMode, style.bg, 40);
  if (bg !== undefined) params.push(bg);
  return `\x1b[${params.join(";")}m`;
}

const VS16 = "\ufe0f";

/**
 * One buffer line as a styled row of exactly `cols` columns. `cursorX`, when given, is drawn as
 * an inverse cell.
 */
export function renderLine(
  line: IBufferLine | undefined,
  cols: number,
  cell: IBufferCell,
  cursorX?: number,
  mark?: (x: number) => CellMark | undefined,
): string {
  const blank: Style = { attrs: 0, fgMode: 0, fg: 0, bgMode: 0, bg: 0 };
  const current: Style = { ...blank };
  const next: Style = { ...blank };
  let out = "";
  let cursorAt = cursorX;
  if (line !== undefined && cursorAt !== undefined && cursorAt > 0) {
    // The cursor on the right half of a wide character shows on the character.
    if (line.getCell(cursorAt, cell)?.getWidth() === 0) cursorAt -= 1;
  }
  for (let x = 0; x < cols; x++) {
    const got = line?.getCell(x, cell);
    let chars = " ";
    let width = 1;
    if (got === undefined) {
      Object.assign(next, blank);
    } else {
      width = got.getWidth();
      if (width === 0) continue; // right half of a wide character, already drawn
      styleOf(got, next);
      chars = got.getChars() || " ";
      // A narrow cell holding a character plus VS16 (emoji presentation) would be drawn two
      // columns wide by many terminals: drop the selector so the row keeps its width.
      if (width === 1 && chars.length > 1 && chars.includes(VS16)) {
        chars = chars.replaceAll(VS16, "") || " ";
      }
    }
    if (x === cursorAt) next.attrs ^= INVERSE;
    const marked = mark?.(x);
    if (marked === "select") next.attrs ^= INVERSE;
    else if (marked) {
      // Black on yellow (bright yellow for the current match), whatever the cell's colours.
      next.attrs &= ~INVERSE;
      next.fgMode = CM_P16;
      next.fg = 0;
      next.bgMode = CM_P16;
      next.bg = marked === "current" ? 11 : 3;
    }
    if (width === 2 && x + 1 >= cols) {
      // Cannot happen in xterm's buffer; kept so a row is never wider than `cols`.
      chars = " ";
      width = 1;
    }
    if (!sameStyle(current, next)) {
      out += sgr(next);
      Object.assign(current, next);
    }
    out += chars;
  }
  return out + RESET;
}

/** The internal event xterm's renderer uses to learn which rows changed (not public API). */
interface RefreshSource {
  onRequestRefreshRows?: (
    listener: (range?: { start: number; end: number }) => void,
  ) => IDisposable;
}

function refreshSource(terminal: Terminal): RefreshSource | undefined {
  const core = (terminal as unknown as { _core?: { _inputHandler?: RefreshSource } })._core;
  const source = core?._inputHandler;
  return typeof source?.onRequestRefreshRows === "function" ? source : undefined;
}

/**
 * Turns one emulator's screen into rows. It listens to the emulator from construction on: make
 * it right after the terminal, before anything is written.
 */
export class Screen {
  private readonly terminal: Terminal;
  /** `terminal.buffer`, kept: the getter checks options on every call. */
  private readonly buffers: IBufferNamespace;
  private readonly disposables: IDisposable[] = [];
  private readonly cell: IBufferCell;
  private readonly history: HistorySource;
  private readonly syncTimeoutMs: number;
  private readonly now: () => number;
  private cache: (string | undefined)[] = [];
  private dirty: boolean[] = [];
  private allDirty = true;
  private cursorShown: { x: number; y: number } | undefined;
  private cursorVisibleFlag = true;
  private lastLive: Frame | undefined;
  private syncSince: number | undefined;
  /** True when xterm's dirty-row ranges are available (otherwise every frame rebuilds). */
  readonly incremental: boolean;
  /** Rows built since this screen was made, for tests and benchmarks. */
  rowsBuilt = 0;

  constructor(terminal: Terminal, options: ScreenOptions = {}) {
    this.terminal = terminal;
    this.buffers = terminal.buffer;
    const buffers = this.buffers;
    this.history = options.history ?? {
      get length() {
        return buffers.active.baseY;
      },
      getLine: (y) => buffers.active.getLine(y),
    };
    this.syncTimeoutMs = options.syncTimeoutMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.cell = terminal.buffer.active.getNullCell();
    this.resetCache();
    const source = refreshSource(terminal);
    this.incremental = source !== undefined;
    const all = () => {
      this.allDirty = true;
    };
    if (source?.onRequestRefreshRows) {
      this.disposables.push(
        source.onRequestRefreshRows((range) => {
          if (range === undefined) this.allDirty = true;
          else this.markRows(range.start, range.end);
        }),
      );
    } else {
      this.disposables.push(terminal.onWriteParsed(all));
    }
    // A scroll needs no listener of its own: xterm marks the scrolled region dirty, and the
    // rows come in the next dirty range (without ranges, every write rebuilds everything).
    this.disposables.push(
      terminal.onResize(() => this.resetCache()),
      terminal.buffer.onBufferChange(all),
      terminal.onWriteParsed(() => this.trackSync()),
      // Cursor visibility (DECTCEM), which xterm's public API does not expose. Returning false
      // lets xterm's own handler run as well.
      terminal.parser.registerCsiHandler({ prefix: "?", final: "h" }, (params) => {
        if (params.includes(25)) this.cursorVisibleFlag = true;
        return false;
      }),
      terminal.parser.registerCsiHandler({ prefix: "?", final: "l" }, (params) => {
        if (params.includes(25)) this.cursorVisibleFlag = false;
        return false;
      }),
      terminal.parser.registerCsiHandler({ intermediates: "!", final: "p" }, () => {
        this.cursorVisibleFlag = true; // DECSTR, soft reset
        return false;
      }),
      terminal.parser.registerEscHandler({ final: "c" }, () => {
        this.cursorVisibleFlag = true; // RIS, full reset
        return false;
      }),
    );
  }

  /** Whether the program has the cursor visible (DECTCEM). */
  get cursorVisible(): boolean {
    return this.cursorVisibleFlag;
  }

  /** Whether the program has synchronized output (mode 2026) on. */
  get synchronized(): boolean {
    return this.terminal.modes.synchronizedOutputMode;
  }

  /** Forget every cached row (the next frame rebuilds them all). */
  invalidate(): void {
    this.allDirty = true;
  }

  /** After `terminal.reset()`, which bypasses the parser. */
  reset(): void {
    this.cursorVisibleFlag = true;
    this.syncSince = undefined;
    this.lastLive = undefined;
    this.resetCache();
  }

  /** The screen as styled rows; see the module comment. */
  frame(options: FrameOptions = {}): Frame {
    const offset = this.clampOffset(options.offset ?? 0);
    const showCursor = options.cursor ?? true;
    const last = this.lastLive;
    if (
      offset === 0 &&
      !options.marks &&
      last !== undefined &&
      last.cols === this.terminal.cols &&
      last.rows.length === this.terminal.rows &&
      this.holding()
    ) {
      return { ...last, rebuilt: 0, held: true };
    }
    if (offset !== 0 || options.marks) return this.scrolledFrame(offset, options.marks);
    const frame = this.liveFrame(showCursor);
    this.lastLive = frame;
    return frame;
  }

  /**
   * The same rows as plain text: the characters of every cell, wide characters once, trailing
   * blanks (empty cells and spaces) removed unless `trimRight` is false.
   */
  text(options: { offset?: number; trimRight?: boolean } = {}): string[] {
    const history = this.history;
    const top = history.length - this.clampOffset(options.offset ?? 0);
    const trim = options.trimRight ?? true;
    const rows: string[] = [];
    for (let y = 0; y < this.terminal.rows; y++) {
      const text = history.getLine(top + y)?.translateToString(trim) ?? "";
      rows.push(trim ? text.replace(/ +$/, "") : text.padEnd(this.terminal.cols));
    }
    return rows;
  }

  /** Every line from the top of the scrollback to the bottom of the screen, as plain text. */
  allText(trimRight = true): string[] {
    const history = this.history;
    const lines: string[] = [];
    const end = history.length + this.terminal.rows;
    for (let y = 0; y < end; y++) {
      const text = history.getLine(y)?.translateToString(trimRight) ?? "";
      lines.push(trimRight ? text.replace(/ +$/, "") : text);
    }
    return lines;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private holding(): boolean {
    this.trackSync();
    return this.syncSince !== undefined && this.now() - this.syncSince < this.syncTimeoutMs;
  }

  private trackSync(): void {
    if (!this.terminal.modes.synchronizedOutputMode) this.syncSince = undefined;
    else if (this.syncSince === undefined) this.syncSince = this.now();
  }

  private clampOffset(offset: number): number {
    return Math.max(0, Math.min(Math.floor(offset), this.history.length));
  }

  private resetCache(): void {
    const rows = this.terminal.rows;
    this.cache = new Array<string | undefined>(rows).fill(undefined);
    this.dirty = new Array<boolean>(rows).fill(true);
    this.allDirty = true;
    this.cursorShown = undefined;
  }

  private markRows(start: number, end: number): void {
    const last = Math.min(end, this.dirty.length - 1);
    for (let y = Math.max(0, start); y <= last; y++) this.dirty[y] = true;
  }

  private cursorNow(): CursorPosition {
    const buffer = this.buffers.active;
    return {
      x: Math.min(buffer.cursorX, this.terminal.cols - 1),
      y: buffer.cursorY,
      visible: this.cursorVisibleFlag,
    };
  }

  private liveFrame(showCursor: boolean): Frame {
    const { rows, cols } = this.terminal;
    if (this.cache.length !== rows) this.resetCache();
    const cursor = this.cursorNow();
    const drawn = showCursor && cursor.visible ? { x: cursor.x, y: cursor.y } : undefined;
    const before = this.cursorShown;
    if (before?.x !== drawn?.x || before?.y !== drawn?.y) {
      if (before) this.markRows(before.y, before.y);
      if (drawn) this.markRows(drawn.y, drawn.y);
    }
    this.cursorShown = drawn;
    const buffer = this.buffers.active;
    let rebuilt = 0;
    for (let y = 0; y < rows; y++) {
      if (!this.allDirty && !this.dirty[y] && this.cache[y] !== undefined) continue;
      const cursorX = drawn?.y === y ? drawn.x : undefined;
      this.cache[y] = renderLine(buffer.getLine(buffer.baseY + y), cols, this.cell, cursorX);
      this.dirty[y] = false;
      rebuilt++;
    }
    this.allDirty = false;
    this.rowsBuilt += rebuilt;
    return {
      rows: this.cache.map((row) => row ?? ""),
      cols,
      offset: 0,
      cursor,
      rebuilt,
      held: false,
    };
  }

  private scrolledFrame(offset: number, marks?: FrameOptions["marks"]): Frame {
    const { rows, cols } = this.terminal;
    const history = this.history;
    const top = history.length - offset;
    const out: string[] = [];
    for (let y = 0; y < rows; y++) {
      const mark = marks?.(top + y);
      out.push(renderLine(history.getLine(top + y), cols, this.cell, undefined, mark));
    }
    this.rowsBuilt += rows;
    // The live cache stays valid: dirty rows keep accumulating while scrolled back.
    return { rows: out, cols, offset, cursor: this.cursorNow(), rebuilt: rows, held: false };
  }
}
