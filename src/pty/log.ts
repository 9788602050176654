/**
 * Agent output logs: `logs/agent-<ID>.log` in the state directory, plain text.
 *
 * The lines come from the emulator, not from the raw stream: a line is logged as the screen shows
 * it (colours and every other escape sequence gone, a spinner redrawn in place logged once, a
 * wrapped line joined back into one) when it scrolls off the top of the normal screen, or within
 * about a second once it is complete on screen and stops changing, and the rest of the screen
 * when the process exits (see ScreenLogger). Full-screen programs drawing on the alternate screen
 * leave nothing there to log until they return to the normal screen.
 *
 * The file is capped: when the next write would take it past `maxBytes`, it is renamed to
 * `agent-<ID>.log.1` (replacing the older one) and a new file begun. The file stays open between
 * writes (a flooding agent flushes dozens of times a second) until `close()`.
 */
import { constants, promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import type { IBuffer, IBufferNamespace, IDisposable, Terminal } from "@xterm/headless";
import { checkStateFolder, openStateFile } from "../engine/state/safe-fs.js";
import { onEveryScroll } from "./emulator.js";
import { LineBytes, type LineSource, linesOf } from "./line-bytes.js";

/** Default size cap of one log file. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

const FLUSH_DELAY_MS = 200;
const NEWLINE_BYTE = 0x0a;
/** A logger hands its lines to the log at least this often (bytes). */
const HAND_AT_BYTES = 32 * 1024;
const FLUSH_AT_BYTES = 64 * 1024;
/** The smallest buffer a log queues its bytes in (grown by doubling as needed). */
const MIN_BUFFER_BYTES = 4 * 1024;
/** Written buffers a log keeps for its next bytes: the one being written, and one more. */
const SPARE_BUFFERS = 2;
const EMPTY = Buffer.alloc(0);

export interface AgentLogOptions {
  /** The log file (rotated to `<file>.1`). */
  file: string;
  maxBytes?: number;
}

/** An append-only text file with a size cap and one rotated predecessor. */
export class AgentLog {
  readonly file: string;
  readonly maxBytes: number;
  /**
   * Bytes queued for the file: the first `pendingBytes` of `pending`. The buffer is the log's
   * own and is used again once written (see `flush`), so a flooding agent's log allocates
   * nothing as it goes: before, every hand-over was a new buffer outside V8's heap, and the
   * ones that outlived a young-generation collection (held by a write on the thread pool) piled
   * up until a full collection (tens of MB under a flood).
   */
  private pending: Buffer = EMPTY;
  private pendingBytes = 0;
  /** Buffers written out, ready for use again (at most SPARE_BUFFERS). */
  private readonly spare: Buffer[] = [];
  /** The open file's size (set when it is opened). */
  private size = 0;
  private handle: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;

  constructor(options: AgentLogOptions) {
    this.file = options.file;
    this.maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_LOG_MAX_BYTES);
  }

  /** The first write error, if any (logging never throws into the session). */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * Queues bytes (copied: the caller may reuse `data`); they are written within 200 ms, or at
   * once when much has piled up.
   */
  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.reserve(data.length);
    this.pending.set(data, this.pendingBytes);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= FLUSH_AT_BYTES) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Room in `pending` for `more` bytes after what it holds. */
  private reserve(more: number): void {
    const need = this.pendingBytes + more;
    if (need <= this.pending.length) return;
    let size = Math.max(MIN_BUFFER_BYTES, this.pending.length);
    while (size < need) size *= 2;
    const grown = this.spare.pop() ?? EMPTY;
    const next = grown.length >= need ? grown : Buffer.allocUnsafeSlow(size);
    this.pending.copy(next, 0, 0, this.pendingBytes);
    this.pending = next;
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pendingBytes > 0) {
      const full = this.pending;
      const data = full.subarray(0, this.pendingBytes);
      this.pending = this.spare.pop() ?? EMPTY;
      this.pendingBytes = 0;
      this.chain = this.chain
        .then(() => this.append(data))
        .catch((error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => {
          if (this.spare.length < SPARE_BUFFERS) this.spare.push(full);
        });
    }
    return this.chain;
  }

  /** Writes what is queued and closes the file (a later write opens it again). */
  async close(): Promise<void> {
    await this.flush();
    // A closed log (its agent exited) keeps no buffers; a restart's output makes new ones.
    this.spare.length = 0;
    if (this.pendingBytes === 0) this.pending = EMPTY;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
  }

  private async open(): Promise<FileHandle> {
    if (this.handle === undefined) {
      // The log and its folder are never followed through a link out of the state directory.
      await checkStateFolder(path.dirname(this.file));
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      await checkStateFolder(path.dirname(this.file));
      this.handle = await openStateFile(
        this.file,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
      );
      this.size = (await this.handle.stat()).size;
    }
    return this.handle;
  }

  private async append(data: Buffer): Promise<void> {
    let rest = data;
    while (rest.length > 0) {
      await this.open();
      let room = this.maxBytes - this.size;
      if (room <= 0 || (rest.length > room && this.size > 0 && !hasLineEnd(rest, room))) {
        await this.rotate();
        room = this.maxBytes;
      }
      let piece = rest.subarray(0, Math.min(room, rest.length));
      if (piece.length < rest.length) {
        // Cut after the last whole line that fits; a single line longer than the cap is cut.
        const cut = piece.lastIndexOf(0x0a);
        if (cut >= 0) piece = piece.subarray(0, cut + 1);
      }
      await (await this.open()).write(piece);
      this.size += piece.length;
      rest = rest.subarray(piece.length);
    }
  }

  private async rotate(): Promise<void> {
    const old = this.handle;
    this.handle = undefined;
    await old?.close();
    await fsp.rename(this.file, `${this.file}.1`).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
}

function hasLineEnd(data: Buffer, within: number): boolean {
  const at = data.indexOf(0x0a);
  return at >= 0 && at < within;
}

interface CoreBuffer {
  scrollTop?: number;
  ybase?: number;
}

/** xterm's own terminal: its buffers, the active one as `buffer` (xterm 6). */
interface Core {
  buffer?: CoreBuffer;
  buffers?: { normal?: CoreBuffer };
}

/** An event of xterm's list of lines: a listener in, a disposable out. */
type LinesEvent<T> = (listener: (value: T) => void) => IDisposable;

/** The lines of the emulator's normal buffer as xterm keeps them, and what they tell of moves. */
interface CoreLines {
  onTrim: LinesEvent<number>;
  onInsert: LinesEvent<{ index: number; amount: number }>;
  onDelete: LinesEvent<{ index: number; amount: number }>;
}

/** The emulator's normal buffer as xterm keeps it. */
interface CoreBuffers {
  normal?: { lines?: Partial<CoreLines> };
}

/** Where the log has got to: a mark that moves with its line (see `lineMark`). */
type Mark = { line: number; isDisposed: boolean; dispose(): void };

/** How often, while output arrives, the lines complete on screen are looked at. */
export const LOG_TICK_MS = 500;
/**
 * Ticks a logged row that changed must then look the same before it is logged again early (3 s):
 * longer than a status line's clock ("Working (12s)") takes to tick, so that one is not logged
 * every second; it is logged, as it ended, when it scrolls off or at the exit.
 */
const RELOG_TICKS = 6;

interface Seen {
  key: string;
  ticks: number;
}

/**
 * Feeds an `AgentLog` from an emulator, one logical line at a time (wrapped rows joined), in the
 * order the lines appear, each line once:
 * - a line that scrolls from the top of the normal screen into the history is logged then;
 * - a line that is complete on screen (above the cursor's line) is logged without waiting for
 *   it to scroll, once it has looked the same at two ticks of `LOG_TICK_MS` (so within about a
 *   second), and the file is written at once: a Tower killed with kill -9 or hung up leaves what
 *   its agents showed. A line still changing (a spinner or a progress bar redrawn in place) is
 *   logged when it stops changing. The cursor's line is logged when the cursor leaves it;
 * - `flushScreen()` logs the rest of the screen (at exit).
 *
 * Where the log has got to is a mark on the first line not logged yet (`lineMark`): it moves
 * with scrolling, the history's trimming, a resize's reflow and lines inserted or deleted above
 * it, so a line logged early is not logged again when it scrolls off, nor when a resize moves
 * lines between the screen and the history; a line inserted above it (a scroll region's, as
 * Codex inline writes its transcript above its input) is logged at the next look. Rows above
 * the mark that change after they were logged (a screen cleared and drawn anew, a line
 * rewritten) move the mark back up: what they show now is logged too, with the lines below
 * them, once it has looked the same for `RELOG_TICKS` (or when it scrolls off, or at the exit),
 * so that a status line redrawn every second is not logged every second. What a screen drawn
 * anew shows again (the lines of those rows, and after a resize or a clear the lines logged
 * last; an agent CLI redraws so, often a row or two lower or its whole transcript) is not
 * logged twice (see `remember`).
 *
 * Scrolled lines are counted as they go and read from the history in one go when the emulator
 * has parsed a chunk (or when many are waiting, before they could leave the history), which
 * costs far less than reading each at its scroll. Whatever would change the history first (a
 * resize's reflow, erasing the scrollback, a reset) collects the waiting lines before.
 */
export class ScreenLogger {
  private readonly terminal: Terminal;
  /** `terminal.buffer`, kept: the getter checks options on every call. */
  private readonly buffers: IBufferNamespace;
  private readonly log: AgentLog;
  private readonly sink = (bytes: Uint8Array) => this.log.write(bytes);
  private readonly disposables: IDisposable[] = [];
  /** Lines scrolled into the history and not yet logged (the last ones there). */
  private waiting = 0;
  private readonly limit: number;
  /** Lines logged and not yet handed to the log, and the logical line being assembled. */
  private readonly bytes = new LineBytes();
  /** The first line of the normal buffer not logged yet. */
  private mark: Mark | undefined;
  /** Each row of the screen above the mark as it was logged: rows [mark - logged.length, mark). */
  private logged: string[] = [];
  /**
   * Rows from the mark down as the ticks saw them, rows [mark, mark + seen.length): each row's
   * text and how many ticks in a row it has looked so.
   */
  private seen: Seen[] = [];
  /** Rows from the mark down that were logged once and changed since (see `RELOG_TICKS`). */
  private relog = 0;
  /**
   * Lines (rows joined) logged before the program drew them anew, or may have (see `remember`),
   * each with how many times it was logged; and how many rows more may be logged while they are
   * looked for. A line drawn that is one of them is not logged again (once for each time).
   */
  private before: { lines: Map<string, number>; rows: number } | undefined;
  /** The rows last read by `expectRedraw`. */
  private expected: { from: number; mark: number } | undefined;
  /** Whether the line being added is one of `before` (its rows are not logged). */
  private again = false;
  /** Lines inserted or deleted above the mark: `logged` keeps to the rows it describes. */
  private readonly moves: MarkMoves = {
    // Rows not logged, among rows logged (a scroll region's new bottom line, IL, a scroll down):
    // they differ from what `logged` has there, so the next look logs them.
    inserted: (index, amount) => {
      const first = this.markLine() - this.logged.length;
      if (index < first || index < this.buffers.normal.baseY) return;
      this.logged.splice(index - first, 0, ...new Array<string>(amount).fill(NOT_LOGGED));
    },
    deleted: (index, amount) => {
      const mark = this.markLine();
      const first = mark - this.logged.length;
      const from = Math.max(index, first);
      const to = Math.min(index + amount, mark);
      if (to > from) this.logged.splice(from - first, to - from);
    },
  };
  private timer: NodeJS.Timeout | undefined;
  /** xterm's own terminal, read at every scroll when it is shaped as expected. */
  private readonly core: Core | undefined;

  constructor(terminal: Terminal, log: AgentLog) {
    this.terminal = terminal;
    this.buffers = terminal.buffer;
    const core = (terminal as unknown as { _core?: Core })._core;
    const normal = core?.buffers?.normal;
    this.core =
      normal !== undefined &&
      core?.buffer === normal &&
      typeof normal.ybase === "number" &&
      typeof normal.scrollTop === "number"
        ? core
        : undefined;
    this.log = log;
    const scrollback = terminal.options.scrollback ?? 1000;
    this.limit = Math.max(1, Math.min(1024, Math.floor(scrollback / 2)));
    this.disposables.push(
      onEveryScroll(terminal, () => this.scrolled()),
      terminal.onWriteParsed(() => {
        this.collect();
        this.tickSoon();
      }),
      // Session.resize calls `beforeResize` first; the reflow moves the mark with its line, and
      // the rows above it are then what was logged.
      terminal.onResize(() => {
        this.logged = this.rowsAboveMark();
        this.seen = [];
        this.expectRedraw(this.terminal.rows);
      }),
    );
    this.markLine(); // before any output: everything from the first line on is to be logged
    this.disposables.push(
      // ED 3 erases the history: log what waits there first. ED 2 and 3 clear the screen to
      // draw it anew, as a rule.
      terminal.parser.registerCsiHandler({ final: "J" }, (params) => {
        const what = params[0];
        if (what !== 2 && what !== 3) return false;
        if (this.buffers.active === this.buffers.normal) {
          this.catchUp(); // the rows above the mark are then what was logged
          // Erasing the history too, a program draws its whole transcript again (Codex after a
          // resize): as far back as the log collects at a time.
          this.expectRedraw(
            what === 3 ? Math.max(this.limit, this.terminal.rows) : this.terminal.rows,
          );
        } else if (what === 3) {
          this.collect();
        }
        return false;
      }),
      // RIS resets everything: the screen is gone after it, so log it as at an exit.
      terminal.parser.registerEscHandler({ final: "c" }, () => {
        this.flushScreen();
        this.reset();
        return false;
      }),
    );
  }

  /** Logs the lines waiting in the history (call before resetting the emulator). */
  collect(): void {
    const count = this.waiting;
    this.waiting = 0;
    const buffer = this.buffers.normal;
    if (count > 0) this.checkLogged(Math.max(0, buffer.baseY - count), buffer.baseY);
    const mark = this.markLine();
    if (mark >= buffer.baseY) return;
    // Rows in the history from the mark on: a line that goes on below the history stays the
    // line being assembled until its last row is logged.
    const lines = linesOf(this.terminal, buffer);
    for (let y = mark; y < buffer.baseY; y++) this.add(lines, y, buffer.length);
    this.advance(buffer.baseY - mark);
    this.setMark(buffer.baseY);
    this.hand();
  }

  /**
   * Before a resize: logs the lines waiting in the history and looks for rows that changed
   * since they were logged (the reflow would hide the change).
   */
  beforeResize(): void {
    this.catchUp();
  }

  /** Logs the screen's remaining lines, down to the last one that is not blank. */
  flushScreen(): void {
    this.catchUp();
    const buffer = this.buffers.normal;
    let last = -1;
    for (let y = this.terminal.rows - 1; y >= 0; y--) {
      if (buffer.getLine(buffer.baseY + y)?.translateToString(true) !== "") {
        last = y;
        break;
      }
    }
    this.logRowsTo(buffer.baseY + last + 1);
    if (this.bytes.assembling) this.bytes.endLine();
    this.hand();
  }

  /**
   * Plain lines the emulator is spared (ParseFeed's fast-forward: printable ASCII, each line
   * ending "\r\n"), logged as the scroll would have handed them over: after every row above the
   * cursor (the cursor is at the start of the blank bottom row, and those rows would have
   * scrolled off ahead of the lines), which count as logged from then on.
   */
  skipped(lines: Buffer): void {
    this.catchUp();
    const buffer = this.buffers.normal;
    this.logRowsTo(buffer.baseY + buffer.cursorY);
    // In batches of whole lines, as `add` hands them, so that the buffer stays small.
    for (let at = 0; at < lines.length; ) {
      const cut = lines.indexOf(NEWLINE_BYTE, Math.min(at + HAND_AT_BYTES, lines.length) - 1);
      const next = cut < 0 ? lines.length : cut + 1;
      this.bytes.plainLines(lines.subarray(at, next));
      this.hand();
      at = next;
    }
  }

  /**
   * Logs the complete lines on screen from the mark down that look as they did at the last
   * tick, and writes the file. Returns whether complete lines wait for another look.
   */
  tick(): boolean {
    this.collect();
    const buffer = this.buffers.normal;
    if (this.buffers.active !== buffer) return false; // the normal screen cannot change now
    this.checkLogged(buffer.baseY, buffer.baseY + this.terminal.rows);
    const mark = this.markLine();
    const end = lineStart(buffer, buffer.baseY + buffer.cursorY);
    const rows: Seen[] = [];
    for (let y = mark; y < end; y++) {
      const key = rowKey(buffer, y);
      const before = this.seen[y - mark];
      rows.push({ key, ticks: before?.key === key ? before.ticks + 1 : 0 });
    }
    let settled = 0;
    while (
      settled < rows.length &&
      (rows[settled]?.ticks ?? 0) >= (settled < this.relog ? RELOG_TICKS : 1)
    ) {
      settled++;
    }
    // Whole lines only, in order: up to the line of the first row that has not settled.
    const through = Math.max(
      mark,
      settled === rows.length ? end : lineStart(buffer, mark + settled),
    );
    const lines = linesOf(this.terminal, buffer);
    for (let y = mark; y < through; y++) this.add(lines, y, through);
    this.logged.push(...rows.slice(0, through - mark).map((row) => row.key));
    this.seen = rows;
    this.advance(through - mark);
    this.setMark(through);
    this.hand();
    void this.log.flush();
    return this.seen.length > 0;
  }

  /** Forgets the lines logged and a partly assembled line (after the emulator was reset). */
  reset(): void {
    this.waiting = 0;
    this.before = undefined;
    this.expected = undefined;
    this.again = false;
    this.bytes.clear();
    // A reset replaces xterm's buffers without disposing their markers.
    this.mark?.dispose();
    this.mark = undefined;
    this.logged = [];
    this.seen = [];
    this.relog = 0;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.mark?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private tickSoon(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.tick()) this.tickSoon();
    }, LOG_TICK_MS);
    this.timer.unref();
  }

  /**
   * Compares the rows in [from, to) that are above the mark with how they were logged. From the
   * line of the first that changed, the lines are to be logged again: the mark moves back there.
   * Then forgets the logged rows that are in the history now (they change no more).
   */
  private checkLogged(from: number, to: number): void {
    const buffer = this.buffers.normal;
    const mark = this.markLine();
    const first = mark - this.logged.length;
    const end = Math.min(to, mark);
    for (let y = Math.max(from, first); y < end; y++) {
      if (rowKey(buffer, y) === this.logged[y - first]) continue;
      const start = Math.max(first, lineStart(buffer, y));
      this.remember(this.logged.slice(start - first));
      this.logged.length = start - first;
      this.seen = [];
      this.relog += mark - start;
      this.setMark(start);
      break;
    }
    const top = this.markLine() - this.logged.length;
    if (top < buffer.baseY) this.logged.splice(0, buffer.baseY - top);
  }

  /**
   * Rows logged (their keys) that a program draws anew, or may: rows above the mark that changed
   * (see `checkLogged`), and the last screenful logged when the screen is resized or cleared
   * (see `expectRedraw`). An agent CLI draws its screen anew after a resize, and what it shows
   * then is mostly what it showed before, often a row or two lower or in another place: those
   * lines are in the log already. Each is looked for in the next rows logged, up to a screenful
   * more than there are of them.
   */
  private remember(rows: string[]): void {
    const counted = new Map<string, number>();
    let line: string | undefined;
    const count = () => {
      if (line !== undefined) counted.set(line, (counted.get(line) ?? 0) + 1);
    };
    for (const key of rows) {
      if (key.startsWith(WRAPPED) && line !== undefined) {
        line += key.slice(1);
        continue;
      }
      count();
      line = key.startsWith(WRAPPED) ? key.slice(1) : key;
    }
    count();
    // The same rows may be remembered twice (a resize, then the program's clearing): a line
    // counts as often as it was in one remembering at most, not in all.
    const lines = this.before?.lines ?? new Map<string, number>();
    for (const [text, times] of counted) lines.set(text, Math.max(lines.get(text) ?? 0, times));
    this.before = {
      lines,
      rows: Math.max(this.before?.rows ?? 0, rows.length + this.terminal.rows),
    };
  }

  /**
   * The screen is resized or cleared: the program is likely to draw it anew, and the lines
   * logged last (the `rows` up to the mark) to come again. Once per place of the mark: a
   * program clearing its screen at every frame costs one reading.
   */
  private expectRedraw(rows: number): void {
    const buffer = this.buffers.normal;
    const mark = this.markLine();
    const from = Math.max(0, mark - rows);
    if (this.before !== undefined && this.expected?.from === from && this.expected.mark === mark) {
      return;
    }
    this.expected = { from, mark };
    const keys: string[] = [];
    for (let y = from; y < mark; y++) keys.push(rowKey(buffer, y));
    if (keys.length > 0) this.remember(keys);
  }

  /**
   * Whether the line starting at row `y` (ending before `end`) is one of `before`: it is then
   * looked for once less.
   */
  private loggedBefore(y: number, end: number): boolean {
    const before = this.before;
    if (before === undefined) return false;
    const buffer = this.buffers.normal;
    let text = buffer.getLine(y)?.translateToString(true) ?? "";
    for (let next = y + 1; next < end && buffer.getLine(next)?.isWrapped === true; next++) {
      text += buffer.getLine(next)?.translateToString(true) ?? "";
    }
    const times = before.lines.get(text) ?? 0;
    if (times === 0) return false;
    if (times === 1) before.lines.delete(text);
    else before.lines.set(text, times - 1);
    if (before.lines.size === 0) this.before = undefined;
    return true;
  }

  /** The rows of the screen above the mark, as they are now. */
  private rowsAboveMark(): string[] {
    const buffer = this.buffers.normal;
    const rows: string[] = [];
    for (let y = buffer.baseY; y < this.markLine(); y++) rows.push(rowKey(buffer, y));
    return rows;
  }

  /**
   * The mark's line. A new mark goes on the buffer's first line: after a reset, or when the
   * history's trimming took the marked line (everything left is then not logged yet).
   */
  private markLine(): number {
    if (this.mark === undefined || this.mark.isDisposed) {
      this.mark = this.addMark(0);
      this.logged = [];
      this.seen = [];
    }
    return this.mark.line;
  }

  /** The mark moves `rows` down: what was seen and waits from there on stays as it is. */
  private advance(rows: number): void {
    if (rows <= 0) return;
    this.seen.splice(0, rows);
    this.relog = Math.max(0, this.relog - rows);
  }

  private setMark(line: number): void {
    this.markLine();
    // A plain field, which the mark's listeners move (xterm's markers keep it so too).
    (this.mark as Mark).line = line;
  }

  private addMark(line: number): Mark {
    const core = (this.terminal as unknown as { _core?: { buffers?: CoreBuffers } })._core;
    const lines = core?.buffers?.normal?.lines;
    if (
      typeof lines?.onTrim === "function" &&
      typeof lines.onInsert === "function" &&
      typeof lines.onDelete === "function"
    ) {
      return lineMark(lines as CoreLines, line, this.moves);
    }
    // The public API marks lines of the active buffer only, relative to the cursor.
    const buffer = this.buffers.active;
    if (buffer.type === "normal") {
      const marker = this.terminal.registerMarker(line - (buffer.baseY + buffer.cursorY));
      if (marker !== undefined) return marker;
    }
    // A line number that xterm does not move: right until the history is full or a resize.
    return { line, isDisposed: false, dispose() {} };
  }

  /** Every scrolled line (hundreds of thousands a second under a flood): xterm's own fields. */
  private scrolled(): void {
    const core = this.core;
    if (core) {
      const active = core.buffer;
      // A scroll inside a region that does not start at the top discards its line.
      if (active !== core.buffers?.normal || active?.ybase === 0 || active?.scrollTop !== 0) return;
    } else {
      const buffer = this.buffers.active;
      if (buffer.type !== "normal" || buffer.baseY === 0) return;
      // xterm keeps the region's top only internally.
      const own = (this.terminal as unknown as { _core?: Core })._core;
      if ((own?.buffer?.scrollTop ?? 0) !== 0) return;
    }
    this.waiting++;
    if (this.waiting >= this.limit) this.collect();
  }

  /** Logs the lines waiting in the history and looks for screen rows changed since they were logged. */
  private catchUp(): void {
    this.collect();
    const buffer = this.buffers.normal;
    this.checkLogged(buffer.baseY, buffer.baseY + this.terminal.rows);
  }

  /**
   * Logs the rows from the mark down to row `end` (not included) and counts them as logged:
   * the line of the row above `end` ends there. The rows still to settle start again.
   */
  private logRowsTo(end: number): void {
    const buffer = this.buffers.normal;
    const mark = this.markLine();
    const lines = linesOf(this.terminal, buffer);
    for (let y = mark; y < end; y++) {
      this.add(lines, y, end);
      this.logged.push(rowKey(buffer, y));
    }
    this.seen = [];
    this.relog = 0;
    if (end > mark) this.setMark(end);
  }

  /** Row `y` added to the line being assembled, which ends unless row y+1 continues it. */
  private add(lines: LineSource, y: number, end: number): void {
    const line = lines.get(y);
    if (line === undefined) return;
    if (this.before !== undefined && --this.before.rows <= 0) this.before = undefined;
    if (!line.isWrapped) this.again = this.before !== undefined && this.loggedBefore(y, end);
    if (this.again) return;
    this.bytes.row(line);
    if (!(y + 1 < end && lines.get(y + 1)?.isWrapped === true)) this.bytes.endLine();
    // Hand big batches on as they come, so that the buffer stays small.
    if (this.bytes.complete >= HAND_AT_BYTES) this.hand();
  }

  /** The complete lines assembled, to the log. */
  private hand(): void {
    if (this.bytes.complete > 0) this.bytes.handTo(this.sink);
  }
}

/** What a mark tells of lines inserted or deleted above it, before it moves. */
interface MarkMoves {
  inserted(index: number, amount: number): void;
  deleted(index: number, amount: number): void;
}

/**
 * A mark on a line of the normal buffer that moves with it as xterm's own markers do (the
 * history's trimming, a resize's reflow, lines inserted or deleted above it) and ends when the
 * line leaves the buffer at the top. Unlike xterm's markers, it is not in the buffer's list,
 * which erasing a line's cells (ED, as a program clears the screen or the rows below its cursor
 * to draw them anew) empties of the markers on that line; and when its line is deleted (DL, a
 * scroll region), it goes to the line that takes that place. Either way xterm's marker would
 * end, and the log's place would be lost: the whole buffer logged again.
 */
function lineMark(lines: CoreLines, line: number, moves: MarkMoves): Mark {
  const listening: IDisposable[] = [];
  const mark: Mark = {
    line,
    isDisposed: false,
    dispose() {
      if (mark.isDisposed) return;
      mark.isDisposed = true;
      mark.line = -1;
      for (const listener of listening.splice(0)) listener.dispose();
    },
  };
  listening.push(
    lines.onTrim((amount) => {
      mark.line -= amount;
      if (mark.line < 0) mark.dispose();
    }),
    lines.onInsert(({ index, amount }) => {
      if (mark.line < index) return;
      moves.inserted(index, amount);
      mark.line += amount;
    }),
    lines.onDelete(({ index, amount }) => {
      if (mark.line < index) return;
      moves.deleted(index, amount);
      mark.line = Math.max(index, mark.line - amount);
    }),
  );
  return mark;
}

/** The key of a row inserted among logged rows: no row's key is this. */
const NOT_LOGGED = "\u0000";

/** Marks a row key whose row continues the row above. */
const WRAPPED = "\u0001";

/** A row's text and whether it continues the row above, to tell when a row changed. */
function rowKey(buffer: IBuffer, y: number): string {
  const line = buffer.getLine(y);
  if (line === undefined) return "";
  return (line.isWrapped ? WRAPPED : "") + line.translateToString(true);
}

/** The first row of the logical line that row `y` belongs to (wrapped rows continue it). */
function lineStart(buffer: IBuffer, y: number): number {
  let start = y;
  while (start > 0 && buffer.getLine(start)?.isWrapped === true) start--;
  return start;
}
