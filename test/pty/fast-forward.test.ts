/**
 * Fast-forward (src/pty/parse-queue.ts): a flood of plain text that would only scroll past a
 * pane's whole history is not parsed, and nothing anyone can see or read differs: the screen,
 * every line of the history, the cursor and the agent's log are the same as when the emulator
 * parses everything (a second emulator, fed directly, is the reference), with real xterm, the
 * real compact history and the real log file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createEmulator, parsed, type Terminal } from "../../src/pty/emulator.js";
import { PaneHistory } from "../../src/pty/history.js";
import { AgentLog, ScreenLogger } from "../../src/pty/log.js";
import {
  FAST_FORWARD_AT,
  FAST_FORWARD_EVERY,
  GATHER_MS,
  ParseQueue,
  planFastForward,
  printsAndScrolls,
} from "../../src/pty/parse-queue.js";
import { cleanup, startSession, tempDir } from "./helpers.js";

const COLS = 20;
const ROWS = 6;
/** Past xterm's own 256 lines: the compact history is in play. */
const HISTORY = 1_000;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Pane {
  terminal: Terminal;
  history: PaneHistory;
  log: AgentLog;
  logger: ScreenLogger;
  file: string;
}

function pane(name: string): Pane {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-ff-"));
  dirs.push(dir);
  const terminal = createEmulator({
    cols: COLS,
    rows: ROWS,
    scrollback: PaneHistory.xtermScrollback(HISTORY),
  });
  const history = new PaneHistory(terminal, HISTORY);
  const file = path.join(dir, `${name}.log`);
  const log = new AgentLog({ file });
  return { terminal, history, log, logger: new ScreenLogger(terminal, log), file };
}

/** Everything a client or the log can read of a pane. */
async function seen(p: Pane) {
  const rows: string[] = [];
  // The history, then the screen.
  for (let y = 0; y < p.history.length + p.terminal.rows; y++) {
    const line = p.history.getLine(y);
    rows.push(`${line?.isWrapped ? "+" : " "}${line?.translateToString(true) ?? "?"}`);
  }
  const buffer = p.terminal.buffer.active;
  const cursor = [buffer.type, buffer.cursorX, buffer.cursorY];
  p.logger.flushScreen();
  await p.log.close();
  return { rows, cursor, log: readFileSync(p.file, "utf8") };
}

/** A deterministic stream of numbers. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/** Plain lines of 0-70 printable characters: empty ones, exact multiples of the width, trailing spaces. */
function plain(next: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const kind = Math.floor(next() * 6);
    const length =
      kind === 0 ? 0 : kind === 1 ? COLS * (1 + Math.floor(next() * 3)) : Math.floor(next() * 70);
    let line = "";
    for (let k = 0; k < length; k++) line += String.fromCharCode(0x20 + Math.floor(next() * 95));
    if (kind === 2) line += "   "; // trailing blanks, which the log drops
    if (length > 0) line = `${i}:${line}`.slice(0, Math.max(length, 1));
    lines.push(line);
    size += line.length + 2;
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** Output that is not plain: colours, cursor moves, a title, wide characters, a bare line feed. */
const busy = (i: number) =>
  `\x1b[3${i % 8}mcolour ${i}\x1b[0m\r\n\x1b]0;title ${i}\x07wide 漢字 ${i}\r\n\x1b[2Aup\x1b[2B\r${i}\n\rafter\r\n`;

/** Feeds `data` to both panes in pieces of `sizes` bytes, and waits for both to parse it. */
async function feedBoth(data: Buffer, sizes: () => number) {
  const reference = pane("reference");
  const fast = pane("fast");
  const queue = new ParseQueue();
  const feed = queue.feed(fast.terminal, () => {}, {
    historyRows: HISTORY,
    gatherBytes: 768 * 1024,
    onSkip: (lines) => fast.logger.skipped(lines),
  });
  for (let at = 0; at < data.length; ) {
    const size = sizes();
    reference.terminal.write(data.subarray(at, at + size));
    feed.push(data.subarray(at, at + size));
    at += size;
  }
  await feed.drained();
  await parsed(reference.terminal);
  return { reference, fast, feed };
}

describe("fast-forward past plain text", () => {
  it("leaves the screen, the history, the cursor and the log as parsing everything does", async () => {
    const next = random(7);
    const text =
      busy(1) +
      "\x1b[2;1Hmid-screen, rows below" + // the cursor not at the bottom when the plain text starts
      plain(next, 300_000) +
      busy(2) +
      plain(next, 400_000) +
      "\x1b(0lqqk\x1b(B\r\n" + // a character set that maps letters, then back
      plain(next, 300_000) +
      "last line, no end";
    const data = Buffer.from(text, "utf8");
    // Pieces of 1-64 KB, cut anywhere (through sequences and lines).
    const sizes = random(3);
    const { reference, fast, feed } = await feedBoth(data, () => 1 + Math.floor(sizes() * 65536));
    expect(feed.skipped).toBeGreaterThan(data.length / 3);
    const [want, got] = [await seen(reference), await seen(fast)];
    expect(got.cursor).toEqual(want.cursor);
    expect(got.rows).toEqual(want.rows);
    expect(got.rows.length).toBe(HISTORY + ROWS);
    expect(got.log.length).toBeGreaterThan(900_000);
    expect(got.log).toEqual(want.log);
  });

  // Each starts with what the emulator parses before the first look: output with one line end,
  // its last bytes; then a plain run long enough to be looked at. The state it leaves decides.
  const drawn = `\x1b[31mcolour\x1b[0m\x1b[2;1Hwide 漢字\x1b]0;a title\x07\x1b[3;1H${"z".repeat(45)}`;
  const bottom = `\x1b[${ROWS};1H`;
  const starts: [string, string, boolean][] = [
    ["the cursor at the start of the blank bottom row", `${drawn}${bottom}\r\n`, true],
    ["the cursor mid-screen, rows below it", `${drawn}\x1b[2;1H\r\n`, false],
    ["letters mapped to line drawing", `${drawn}${bottom}\x1b(0\r\n`, false],
    ["a scroll region", `${drawn}\x1b[2;4r\x1b[4;1H\r\n`, false],
    ["inside a title", `${drawn}${bottom}\x1b]0;a title\r\n`, false],
    ["the bottom row not blank", `${drawn}\x1b[${ROWS};5Hxyz\x1b[${ROWS - 1};1H\r\n`, false],
  ];
  for (const [name, start, skips] of starts) {
    it(`from ${name}: ${skips ? "fast-forwards" : "parses everything"}, with the same result`, async () => {
      const next = random(name.length);
      // A short first line: what it leaves of a row it is printed over shows.
      const data = Buffer.from(`${start}ab\r\n${plain(next, 2 * FAST_FORWARD_AT)}\x07done`, "utf8");
      const sizes = random(5);
      const { reference, fast, feed } = await feedBoth(data, () => 1 + Math.floor(sizes() * 8192));
      if (skips) expect(feed.skipped).toBeGreaterThan(FAST_FORWARD_AT);
      const [want, got] = [await seen(reference), await seen(fast)];
      expect(got.cursor).toEqual(want.cursor);
      expect(got.rows).toEqual(want.rows);
      expect(got.log).toEqual(want.log);
    });
  }

  it("does not fast-forward output that is not plain text, nor plain text too short to fill the history", async () => {
    let busyText = "";
    for (let i = 0; busyText.length < 2 * FAST_FORWARD_AT; i++) busyText += busy(i);
    const { reference, fast, feed } = await feedBoth(Buffer.from(busyText), () => 4096);
    expect(feed.skipped).toBe(0);
    const [want, got] = [await seen(reference), await seen(fast)];
    expect(got).toEqual(want);
    // A whole plain run filling fewer rows than the history and two screens has nothing to drop.
    const short = Buffer.from(`x\r\n${"a\r\n".repeat(HISTORY + 2 * ROWS + 7)}`);
    expect(planFastForward(short, COLS, HISTORY + 2 * ROWS + 8, 16)).toEqual({
      from: 3,
      to: 3,
      open: true,
      end: short.length,
    });
    const long = Buffer.from(`x\r\n${"a\r\n".repeat(HISTORY + 2 * ROWS + 9)}`);
    expect(planFastForward(long, COLS, HISTORY + 2 * ROWS + 8, 16)).toEqual({
      from: 3,
      to: 3 + 3,
      open: true,
      end: long.length,
    });
    // Going on from an earlier look's end finds the same.
    expect(planFastForward(long, COLS, HISTORY + 2 * ROWS + 8, 16, 3 + 3 * 500)).toEqual(
      planFastForward(long, COLS, HISTORY + 2 * ROWS + 8, 16),
    );
  });

  it("goes on from an earlier look's run only where that run still is after output was taken", async () => {
    // A first look finds a short run (an escape sequence ends it); 64 KB are parsed before the
    // next look; by then a line drawn in line-drawing characters sits where the first run's end
    // was counted from, which must not be taken for plain text (its line would be logged as
    // the letters it was sent as).
    const line = (i: number) => `${String(i).padStart(18, "-")}\r\n`;
    const lines = (from: number, bytes: number) => {
      let text = "";
      for (let i = from; text.length < bytes; i++) text += line(i);
      return text;
    };
    const text =
      `x\r\n${lines(0, 10_000)}\x1b[1m` +
      `${lines(1_000, FAST_FORWARD_EVERY - 6_000)}\x1b(0lqqk\r\n\x1b(B${lines(5_000, 300_000)}`;
    expect(text.indexOf("\x1b(0")).toBeGreaterThan(FAST_FORWARD_EVERY);
    expect(text.indexOf("\x1b(0")).toBeLessThan(FAST_FORWARD_EVERY + 10_000);
    const { reference, fast, feed } = await feedBoth(Buffer.from(text), () => text.length);
    expect(feed.skipped).toBeGreaterThan(100_000);
    const [want, got] = [await seen(reference), await seen(fast)];
    expect(got.rows).toEqual(want.rows);
    expect(got.log).toEqual(want.log);
  });

  it("counts a wrapped line's rows, and needs a line end within the head", () => {
    // 45 characters at 20 columns: three rows a line.
    const line = `${"w".repeat(45)}\r\n`;
    const data = Buffer.from(`head\r\n${line.repeat(10)}`);
    expect(planFastForward(data, COLS, 9, 100)).toEqual({
      from: 6,
      to: 6 + 7 * line.length,
      open: true,
      end: data.length,
    });
    // A line not finished yet, or a carriage return that may be one's end, leaves the run open.
    expect(planFastForward(Buffer.from(`${data}www`), COLS, 9, 100)?.open).toBe(true);
    expect(planFastForward(Buffer.from(`${data}www\r`), COLS, 9, 100)?.open).toBe(true);
    expect(planFastForward(data, COLS, 9, 5)).toBeUndefined();
    // The run ends at the escape sequence, with fewer rows than asked.
    expect(
      planFastForward(Buffer.from(`head\r\n${line.repeat(3)}\x1b[m${line}`), COLS, 9, 100),
    ).toEqual({ from: 6, to: 6, open: false, end: 6 + 3 * line.length });
  });

  it("lets plain text too short to fast-forward wait for more, briefly, and not when typed into", async () => {
    // A history of 10,000 rows: 70 KB of 20-column lines is a quarter of that.
    const history = 10_000;
    const lines = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(17, ".")}\r\n`).join("");
    const make = () => {
      const terminal = createEmulator({ cols: COLS, rows: ROWS, scrollback: history });
      const queue = new ParseQueue();
      let skipped = 0;
      const feed = queue.feed(terminal, () => {}, {
        historyRows: history,
        gatherBytes: 200 * 1024,
        onSkip: (l) => {
          skipped += l.length;
        },
      });
      // The cursor at the bottom already: plain text from there only prints and scrolls.
      terminal.write("\r\n".repeat(ROWS));
      return { terminal, feed, skipped: () => skipped };
    };
    const turns = () => new Promise((resolve) => setTimeout(resolve, 5));
    const bottomRow = (t: Terminal) =>
      t.buffer.active.getLine(t.buffer.active.baseY + ROWS - 2)?.translateToString(true);

    // More comes within the wait: fast-forwarded past once enough waits.
    const a = make();
    a.feed.push(Buffer.from(`head\r\n${lines(3_500, "a")}`));
    await turns();
    expect(a.feed.gathering).toBe(true);
    expect(a.feed.unparsed).toBeGreaterThan(FAST_FORWARD_AT); // waiting, not parsed
    a.feed.push(Buffer.from(lines(14_000, "b")));
    await a.feed.drained();
    expect(a.skipped()).toBeGreaterThan(FAST_FORWARD_AT);
    expect(bottomRow(a.terminal)).toBe(`b${String(13_999).padStart(17, ".")}`);

    // Nothing more comes: parsed after the wait, all of it.
    const b = make();
    b.feed.push(Buffer.from(`head\r\n${lines(3_500, "a")}`));
    const started = performance.now();
    await b.feed.drained();
    expect(performance.now() - started).toBeGreaterThanOrEqual(GATHER_MS - 2);
    expect(b.skipped()).toBe(0);
    expect(bottomRow(b.terminal)).toBe(`a${String(3_499).padStart(17, ".")}`);

    // Typed into: parsed at once.
    const c = make();
    c.feed.push(Buffer.from(`head\r\n${lines(3_500, "a")}`));
    await turns();
    expect(c.feed.gathering).toBe(true);
    c.feed.typed();
    expect(c.feed.gathering).toBe(false);
    await c.feed.drained();
    expect(bottomRow(c.terminal)).toBe(`a${String(3_499).padStart(17, ".")}`);
    for (const t of [a, b, c]) t.terminal.dispose();
  });

  it("knows when plain text would do more than print and scroll", async () => {
    const terminal = createEmulator({ cols: COLS, rows: ROWS, scrollback: 100 });
    const at = async (text: string) => {
      terminal.reset();
      await new Promise<void>((resolve) => terminal.write(text, resolve));
      return printsAndScrolls(terminal);
    };
    const bottom = "\r\n".repeat(ROWS);
    expect(await at(bottom)).toBe(true);
    expect(await at(`${bottom}x`)).toBe(false); // not at the start of the row
    expect(await at("\r\n")).toBe(false); // not at the bottom
    expect(await at(`${bottom}\x1b[2;4r\x1b[${ROWS};1H`)).toBe(false); // a scroll region
    expect(await at(`${bottom}\x1b[?7l`)).toBe(false); // no autowrap
    expect(await at(`${bottom}\x1b[4h`)).toBe(false); // insert mode
    expect(await at(`${bottom}\x1b(0`)).toBe(false); // line-drawing characters
    expect(await at(`${bottom}\x1b]0;unfinished title`)).toBe(false); // inside a sequence
    expect(await at(`\x1b[?1049h${bottom}`)).toBe(false); // the alternate screen
    expect(await at(`${bottom}\x1b[Aabc\x1b[B\r`)).toBe(true);
    expect(await at(`${bottom}abc\x1b[B\r`)).toBe(false); // the cursor's row is not blank
  });
});

describe("fast-forward in a session", () => {
  afterEach(cleanup);

  it("shows and logs a real program's flood of plain lines as if every line had been parsed", async () => {
    const dir = tempDir();
    const file = path.join(dir, "flood.log");
    const count = 150_000;
    // Lines of 12-101 characters at 40 columns: wrapped over one to three rows; `cat` prints
    // them faster than they can be parsed.
    const fill = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(3);
    const lines = Array.from({ length: count }, (_, k) =>
      `line ${String(k + 1).padStart(6, "0")} ${fill.slice(0, (k + 1) % 90)}`.trimEnd(),
    );
    const input = path.join(dir, "lines.txt");
    writeFileSync(input, `${lines.join("\n")}\n`);
    const session = startSession({
      agent: "F1",
      worktree: dir,
      cols: 40,
      rows: 10,
      log: { file, maxBytes: 64 * 1024 * 1024 },
      command: ["cat", input],
      // A queue that parses 2 KB a turn, as a busy server with eight flooding panes gets to
      // each (one pane alone is parsed faster than a pty delivers).
      parseQueue: new ParseQueue({ sliceBytes: 2048, budgetMs: 0 }),
    });
    await session.waitForExit();
    await session.log?.close();
    expect(session.fastForwardedBytes).toBeGreaterThan(1024 * 1024);
    // Every line in the log, once, in order.
    expect(readFileSync(file, "utf8")).toBe(`${lines.join("\n")}\n`);
    // The history and the screen: the last rows of all the lines wrapped at 40 columns, and the
    // cursor's blank row.
    const rows: string[] = [];
    for (const line of lines)
      for (let at = 0; at < line.length; at += 40) rows.push(line.slice(at, at + 40));
    rows.push("");
    const shown: string[] = [];
    for (let y = 0; y < session.history.length + session.rows; y++)
      shown.push(session.history.getLine(y)?.translateToString(true) ?? "?");
    expect(shown.length).toBe(5_000 + 10);
    expect(shown).toEqual(rows.slice(-shown.length));
  });
});
