/**
 * Emulator rows as UTF-8 bytes, for the agents' logs (src/pty/log.ts): logical lines assembled
 * from wrapped rows, trailing blanks dropped, each ending with a newline.
 *
 * A flooding agent scrolls thousands of rows a second through the log. Reading them with
 * xterm's `translateToString` builds each row one character at a time as a rope of strings,
 * which then has to be flattened and encoded again for the file: that cost as much CPU as the
 * emulator's own parsing. Here the cells are read from the row's own array (xterm's
 * `BufferLine._data`: three 32-bit words a cell, the first holding the code point, whether the
 * cell holds a combined string, and the width) and encoded straight into one reused buffer.
 * A row whose internals are not shaped so (another xterm version) is read with
 * `translateToString`, which gives the same text.
 */
import type { IBuffer, IBufferLine } from "@xterm/headless";

/** The parts of xterm's BufferLine that the fast path reads. */
interface RawLine {
  _data: Uint32Array;
  _combined: Record<number, string>;
  length: number;
}

const CODEPOINT_MASK = 0x1fffff;
const IS_COMBINED = 0x200000;
const WIDTH_SHIFT = 22;
/** The content word of a one-column cell with an ASCII code point or none, shifted right by 7. */
const ASCII_CELL = (1 << WIDTH_SHIFT) >>> 7;
const CELL_SIZE = 3;
const SPACE = 0x20;
const NEWLINE = 0x0a;

/** The lines of a buffer as xterm keeps them (`Buffer.lines`, a circular list of BufferLine). */
export interface RawLines {
  get(index: number): (RawLine & { isWrapped: boolean }) | undefined;
}

/** A buffer's lines by index: xterm's own (`RawLines`) or the public API's. */
export interface LineSource {
  get(index: number): ((IBufferLine | RawLine) & { isWrapped: boolean }) | undefined;
}

/** `buffer`'s lines, from xterm's own list when `buffer` is the normal one and it can be read. */
export function linesOf(terminal: unknown, buffer: IBuffer): LineSource {
  const normal = (terminal as { buffer?: { normal?: IBuffer } }).buffer?.normal;
  const raw = buffer === normal ? rawLines(terminal) : undefined;
  return raw ?? { get: (index) => buffer.getLine(index) };
}

/**
 * xterm's own list of the normal buffer's lines, when its rows are shaped as the fast path
 * reads them: reading them there saves the public API's wrapper object for every row.
 */
export function rawLines(terminal: unknown): RawLines | undefined {
  const lines = (terminal as { _core?: { buffers?: { normal?: { lines?: Partial<RawLines> } } } })
    ._core?.buffers?.normal?.lines;
  if (typeof lines?.get !== "function") return undefined;
  const first = lines.get(0);
  return first !== undefined && typeof first.isWrapped === "boolean" && isRaw(first)
    ? (lines as RawLines)
    : undefined;
}

function isRaw(raw: Partial<RawLine> | undefined): raw is RawLine {
  return (
    raw !== undefined &&
    raw._data instanceof Uint32Array &&
    typeof raw.length === "number" &&
    raw._data.length >= raw.length * CELL_SIZE &&
    typeof raw._combined === "object"
  );
}

function rawOf(line: IBufferLine): RawLine | undefined {
  const raw = (line as unknown as { _line?: Partial<RawLine> })._line;
  return isRaw(raw) ? raw : undefined;
}

export class LineBytes {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private len = 0;
  /** Where the logical line being assembled begins. */
  private lineStart = 0;

  /** Whether a logical line is being assembled (rows added since the last `endLine`). */
  get assembling(): boolean {
    return this.len > this.lineStart;
  }

  /** Bytes of complete lines waiting to be taken. */
  get complete(): number {
    return this.lineStart;
  }

  /**
   * Appends every cell of the row (an empty cell as a space) to the line being assembled: a
   * public API row, or one of xterm's own list (see `rawLines`).
   */
  row(line: IBufferLine | RawLine): void {
    const raw = isRaw(line as Partial<RawLine>) ? (line as RawLine) : rawOf(line as IBufferLine);
    if (raw === undefined) {
      this.text((line as IBufferLine).translateToString(false));
      return;
    }
    const { _data: data, length } = raw;
    this.reserve(length * 4);
    const buf = this.buf;
    let at = this.len;
    for (let x = 0; x < length; ) {
      const content = data[x * CELL_SIZE] as number;
      // Most cells: one column wide, no combined string, an ASCII code point (or none, an empty
      // cell): the content word is then the width (1 << 22) and seven bits.
      if (content >>> 7 === ASCII_CELL) {
        buf[at++] = content & 0x7f || SPACE;
        x++;
        continue;
      }
      const cp = content & CODEPOINT_MASK;
      if (content & IS_COMBINED) {
        this.len = at;
        this.text(raw._combined[x] ?? " ");
        at = this.len;
      } else if (cp === 0) buf[at++] = SPACE;
      else if (cp < 0x80) buf[at++] = cp;
      else if (cp < 0x800) {
        buf[at++] = 0xc0 | (cp >> 6);
        buf[at++] = 0x80 | (cp & 0x3f);
      } else if (cp < 0x10000) {
        buf[at++] = 0xe0 | (cp >> 12);
        buf[at++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[at++] = 0x80 | (cp & 0x3f);
      } else {
        buf[at++] = 0xf0 | (cp >> 18);
        buf[at++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[at++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[at++] = 0x80 | (cp & 0x3f);
      }
      x += content >> WIDTH_SHIFT || 1;
    }
    this.len = at;
  }

  /**
   * Plain lines as the emulator would have shown them (`lines`: printable ASCII, each line ending
   * "\r\n"; see ParseFeed's fast-forward): each a line of its own, trailing spaces dropped.
   * Ends a line being assembled first.
   */
  plainLines(lines: Uint8Array): void {
    if (this.assembling) this.endLine();
    this.reserve(lines.length);
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < lines.length; i++) {
      const b = lines[i] as number;
      if (b === 0x0d) continue;
      if (b === NEWLINE) while (at > this.lineStart && buf[at - 1] === SPACE) at--;
      buf[at++] = b;
      if (b === NEWLINE) this.lineStart = at;
    }
    this.len = at;
  }

  /** Ends the line being assembled: its trailing spaces dropped, a newline added. */
  endLine(): void {
    while (this.len > this.lineStart && this.buf[this.len - 1] === SPACE) this.len--;
    this.reserve(1);
    this.buf[this.len++] = NEWLINE;
    this.lineStart = this.len;
  }

  /**
   * Hands the complete lines to `sink` (a view of this buffer, valid only during the call: a
   * sink that keeps the bytes copies them), then drops them; the line being assembled stays.
   */
  handTo(sink: (bytes: Uint8Array) => void): void {
    if (this.lineStart === 0) return;
    sink(this.buf.subarray(0, this.lineStart));
    this.buf.copy(this.buf, 0, this.lineStart, this.len);
    this.len -= this.lineStart;
    this.lineStart = 0;
  }

  /** Forgets everything, the line being assembled too. */
  clear(): void {
    this.len = 0;
    this.lineStart = 0;
  }

  private text(text: string): void {
    this.reserve(Buffer.byteLength(text));
    this.len += this.buf.write(text, this.len);
  }

  private reserve(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + bytes));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}
