/**
 * Agent output logs: `logs/agent-<ID>.log` in the state directory, plain text.
 *
 * The lines come from the emulator, not from the raw stream: a line is logged when it scrolls off
 * the top of the normal screen into the history, as the screen showed it then (colours and every
 * other escape sequence gone, a spinner redrawn in place logged once, a wrapped line joined back
 * into one), and the rest of the screen when the process exits. Full-screen programs drawing on
 * the alternate screen leave nothing there to log until they return to the normal screen.
 *
 * The file is capped: when the next write would take it past `maxBytes`, it is renamed to
 * `agent-<ID>.log.1` (replacing the older one) and a new file begun. The file stays open between
 * writes (a flooding agent flushes dozens of times a second) until `close()`.
 */
import { promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import type { IBuffer, IBufferNamespace, IDisposable, Terminal } from "@xterm/headless";

/** Default size cap of one log file. */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

const FLUSH_DELAY_MS = 200;
const FLUSH_AT_CHARS = 64 * 1024;

export interface AgentLogOptions {
  /** The log file (rotated to `<file>.1`). */
  file: string;
  maxBytes?: number;
}

/** An append-only text file with a size cap and one rotated predecessor. */
export class AgentLog {
  readonly file: string;
  readonly maxBytes: number;
  private pending = "";
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

  /** Queues text; it is written within 200 ms, or at once when much has piled up. */
  write(text: string): void {
    if (text === "") return;
    this.pending += text;
    if (this.pending.length >= FLUSH_AT_CHARS) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.pending;
    this.pending = "";
    if (text !== "") {
      this.chain = this.chain
        .then(() => this.append(Buffer.from(text, "utf8")))
        .catch((error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        });
    }
    return this.chain;
  }

  /** Writes what is queued and closes the file (a later write opens it again). */
  async close(): Promise<void> {
    await this.flush();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
  }

  private async open(): Promise<FileHandle> {
    if (this.handle === undefined) {
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      this.handle = await fsp.open(this.file, "a");
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
}

/**
 * Feeds an `AgentLog` from an emulator: each line that scrolls from the top of the normal screen
 * into the history, and `flushScreen()` for what is still on the screen.
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
  private readonly disposables: IDisposable[] = [];
  /** Lines scrolled into the history and not yet logged (the last ones there). */
  private waiting = 0;
  private readonly limit: number;
  /** The logical line being assembled from wrapped rows. */
  private partial = "";

  constructor(terminal: Terminal, log: AgentLog) {
    this.terminal = terminal;
    this.buffers = terminal.buffer;
    this.log = log;
    const scrollback = terminal.options.scrollback ?? 1000;
    this.limit = Math.max(1, Math.min(1024, Math.floor(scrollback / 2)));
    this.disposables.push(
      terminal.onScroll(() => this.scrolled()),
      terminal.onWriteParsed(() => this.collect()),
      // ED 3 erases the history, RIS resets everything: log what waits there first.
      terminal.parser.registerCsiHandler({ final: "J" }, (params) => {
        if (params[0] === 3) this.collect();
        return false;
      }),
      terminal.parser.registerEscHandler({ final: "c" }, () => {
        this.collect();
        return false;
      }),
    );
  }

  /** Logs the lines waiting in the history (call before resizing or resetting the emulator). */
  collect(): void {
    const count = this.waiting;
    if (count === 0) return;
    this.waiting = 0;
    const buffer = this.buffers.normal;
    let out = "";
    for (let y = Math.max(0, buffer.baseY - count); y < buffer.baseY; y++) {
      out += this.add(buffer, y, buffer.length);
    }
    this.log.write(out);
  }

  /** Logs the screen's remaining lines, down to the last one that is not blank. */
  flushScreen(): void {
    this.collect();
    const buffer = this.buffers.normal;
    let last = -1;
    for (let y = this.terminal.rows - 1; y >= 0; y--) {
      if (buffer.getLine(buffer.baseY + y)?.translateToString(true) !== "") {
        last = y;
        break;
      }
    }
    let out = "";
    const end = buffer.baseY + last + 1;
    for (let y = buffer.baseY; y < end; y++) out += this.add(buffer, y, end);
    if (this.partial !== "") out += `${trimSpaces(this.partial)}\n`;
    this.partial = "";
    this.log.write(out);
  }

  /** Forgets a partly assembled line (after the emulator was reset). */
  reset(): void {
    this.waiting = 0;
    this.partial = "";
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private scrolled(): void {
    const buffer = this.buffers.active;
    if (buffer.type !== "normal" || buffer.baseY === 0) return;
    // A scroll inside a region that does not start at the top discards its line; xterm keeps the
    // region's top only internally.
    const core = (this.terminal as unknown as { _core?: { buffer?: CoreBuffer } })._core;
    if ((core?.buffer?.scrollTop ?? 0) !== 0) return;
    this.waiting++;
    if (this.waiting >= this.limit) this.collect();
  }

  /** Row `y` added to the line being assembled; the finished line when row y+1 does not continue it. */
  private add(buffer: IBuffer, y: number, end: number): string {
    const line = buffer.getLine(y);
    if (line === undefined) return "";
    const continued = y + 1 < end && buffer.getLine(y + 1)?.isWrapped === true;
    this.partial += line.translateToString(!continued);
    if (continued) return "";
    const text = trimSpaces(this.partial);
    this.partial = "";
    return `${text}\n`;
  }
}

function trimSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20) end--;
  return end === text.length ? text : text.slice(0, end);
}
