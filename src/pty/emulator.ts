/**
 * The terminal emulator behind each session: an `@xterm/headless` terminal with Unicode 11
 * widths (the addon the UI's widths are matched against), a bounded scrollback, and nothing
 * that renders.
 *
 * `@xterm/headless` 6 ships one webpack bundle with no ES exports, so it is imported as a
 * CommonJS default and its class taken from there; its typings describe that class.
 */
import { Unicode11Addon } from "@xterm/addon-unicode11";
import xtermHeadless, { type IDisposable, type Terminal } from "@xterm/headless";

export type { Terminal } from "@xterm/headless";

/** Lines kept above the screen unless a session is told otherwise. */
export const DEFAULT_SCROLLBACK = 5_000;

export interface EmulatorOptions {
  cols: number;
  rows: number;
  /** Lines of scrollback kept above the screen (default 5,000). */
  scrollback?: number;
}

export function createEmulator(options: EmulatorOptions): Terminal {
  const terminal = new xtermHeadless.Terminal({
    cols: options.cols,
    rows: options.rows,
    scrollback: options.scrollback ?? DEFAULT_SCROLLBACK,
    // `unicode` (the addon's API) and the parser hooks are "proposed" API in xterm.
    allowProposedApi: true,
    // Keep the emulator quiet: a program's stray sequences are not Tower's errors.
    logLevel: "off",
  });
  terminal.loadAddon(new Unicode11Addon());
  terminal.unicode.activeVersion = "11";
  reuseLineObjects(terminal);
  return terminal;
}

/** xterm's line (BufferLine): its fields, which its `copyFrom` copies (xterm 6). */
export interface XtermLine {
  _data: Uint32Array;
  length: number;
  _combined: Record<number, string>;
  _extendedAttrs: Record<number, unknown>;
  isWrapped: boolean;
}

interface LineInternals extends XtermLine {
  copyFrom(line: LineInternals): void;
}

/** Whether xterm's line class has been given `copyLine` (once per process). */
let lineClass: "patched" | "left as is" | undefined;

/**
 * When the scrollback is full, xterm recycles the oldest line for each new one and copies a
 * blank line into it with `BufferLine.copyFrom`, which gives the line two new empty objects (its
 * combined characters and extended attributes) every time. Under a flood that is hundreds of
 * thousands of objects a second, each living as long as its line stays in the history: tens of
 * milliseconds, long enough for V8 to move it to the old generation, where it waits for a full
 * collection. The heap then saw-tooths through about 100 MB of garbage with eight agents.
 *
 * `copyLine` copies the same fields but keeps the line's own objects while they are empty (as
 * they nearly always are). It replaces xterm's method only where a line has exactly the fields
 * that method copies (xterm 6); any other shape is left alone, which is only slower.
 * Returns what was done, for the tests.
 */
export function reuseLineObjects(terminal: Terminal): "patched" | "left as is" {
  if (lineClass) return lineClass;
  const core = (
    terminal as unknown as { _core?: { buffer?: { lines?: { get(i: number): unknown } } } }
  )._core;
  const line = core?.buffer?.lines?.get(0) as Partial<LineInternals> | undefined;
  const proto = line ? (Object.getPrototypeOf(line) as Partial<LineInternals>) : undefined;
  const shaped =
    line !== undefined &&
    typeof proto?.copyFrom === "function" &&
    proto.copyFrom.length === 1 &&
    line._data instanceof Uint32Array &&
    typeof line.length === "number" &&
    typeof line._combined === "object" &&
    typeof line._extendedAttrs === "object" &&
    Object.getOwnPropertyDescriptor(line, "isWrapped")?.writable === true;
  if (shaped && proto) {
    proto.copyFrom = copyLine;
    lineClass = "patched";
  } else lineClass = "left as is";
  return lineClass;
}

function copyLine(this: LineInternals, line: LineInternals): void {
  if (this.length !== line.length) this._data = new Uint32Array(line._data);
  else this._data.set(line._data);
  this.length = line.length;
  this._combined = refill(this._combined, line._combined);
  this._extendedAttrs = refill(this._extendedAttrs, line._extendedAttrs);
  this.isWrapped = line.isWrapped;
}

/**
 * `from`'s entries in `own` if it is empty, else in a new object (as xterm does). `from` is
 * nearly always a blank line's, with nothing to copy (and `Object.assign` costs a call into the
 * runtime even then).
 */
function refill<T>(own: Record<number, T>, from: Record<number, T>): Record<number, T> {
  let target = own;
  for (const _ in own) {
    target = {};
    break;
  }
  for (const _ in from) return Object.assign(target, from);
  return target;
}

/** Resolves once everything written to `terminal` so far has been parsed. */
export function parsed(terminal: Terminal): Promise<void> {
  return new Promise((resolve) => terminal.write("", resolve));
}

let widthTerminal: Terminal | undefined;

interface UnicodeService {
  getStringCellWidth(text: string): number;
}

/**
 * Columns `text` takes in the emulator (Unicode 11 widths: East Asian wide characters and most
 * emoji two, combining marks none), for a UI that lays out text next to the rows. Emoji with a
 * variation selector (e.g. "⚠️") count one, as the emulator places them.
 */
export function displayWidth(text: string): number {
  widthTerminal ??= createEmulator({ cols: 2, rows: 1, scrollback: 0 });
  const core = (widthTerminal as unknown as { _core?: { unicodeService?: UnicodeService } })._core;
  const service = core?.unicodeService;
  if (typeof service?.getStringCellWidth === "function") return service.getStringCellWidth(text);
  return [...text].length;
}

/**
 * Calls `listener` at every line the emulator scrolls. xterm's own event, when it is there: the
 * public `onScroll` is a second event in front of it, which made every scrolled line cost two
 * events and an object (a flood scrolls hundreds of thousands of lines).
 */
export function onEveryScroll(terminal: Terminal, listener: () => void): IDisposable {
  const core = (
    terminal as unknown as {
      _core?: { _bufferService?: { onScroll?: (listener: () => void) => IDisposable } };
    }
  )._core;
  const internal = core?._bufferService?.onScroll;
  if (typeof internal === "function") return internal.call(core?._bufferService, listener);
  return terminal.onScroll(listener);
}
