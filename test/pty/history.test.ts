/**
 * The compact history (src/pty/history.ts): an emulator with xterm's short scrollback and the
 * packed store above it shows the same history as an emulator that keeps it all in xterm, line
 * for line and cell for cell (plain text, colours of every kind, attributes, a curly underline in
 * a colour, combining accents, emoji sequences, wide characters, wrapped lines, cells erased with
 * a background), at every scroll position and as plain text; through a scroll region at the top
 * (xterm's splice, which overwrites the line it drops before saying so); up to the same limit;
 * erased with ED 3 and gone with RIS, then filled again; with a pane that grows, shrinks and
 * narrows (nothing lost on the way); and on the alternate screen (no history). It keeps the
 * lines in far less memory than xterm's line objects.
 */
import { describe, expect, it } from "vitest";
import { createEmulator, parsed, type Terminal } from "../../src/pty/emulator.js";
import { PaneHistory, XTERM_SCROLLBACK } from "../../src/pty/history.js";
import { Screen } from "../../src/pty/screen.js";

const SCROLLBACK = 2_000;

interface Pair {
  compact: Terminal;
  history: PaneHistory;
  compactScreen: Screen;
  reference: Terminal;
  referenceScreen: Screen;
  write(data: string): Promise<void>;
  resize(cols: number, rows: number): void;
  dispose(): void;
}

function pair(cols: number, rows: number, scrollback = SCROLLBACK): Pair {
  const compact = createEmulator({
    cols,
    rows,
    scrollback: PaneHistory.xtermScrollback(scrollback),
  });
  const history = new PaneHistory(compact, scrollback);
  const compactScreen = new Screen(compact, { history });
  const reference = createEmulator({ cols, rows, scrollback });
  const referenceScreen = new Screen(reference);
  return {
    compact,
    history,
    compactScreen,
    reference,
    referenceScreen,
    async write(data) {
      compact.write(data);
      reference.write(data);
      await Promise.all([parsed(compact), parsed(reference)]);
    },
    resize(c, r) {
      history.beforeResize(c, r);
      compact.resize(c, r);
      reference.resize(c, r);
    },
    dispose() {
      compactScreen.dispose();
      history.dispose();
      compact.dispose();
      referenceScreen.dispose();
      reference.dispose();
    },
  };
}

/** Line i of a mixed workload: every kind of cell the store has to keep. */
function lineFor(i: number): string {
  switch (i % 9) {
    case 0:
      return `plain line ${i}`;
    case 1:
      return `\x1b[31mred\x1b[0m \x1b[1;4mbold under\x1b[0m \x1b[38;5;208m256\x1b[0m ${i}`;
    case 2:
      return `\x1b[38;2;10;200;30;48;2;1;2;3mtruecolor ${i}\x1b[0m`;
    case 3:
      return `acce\u0301nt and family 👨‍👩‍👧 ${i}`;
    case 4:
      return `\x1b[4:3m\x1b[58;5;196mcurly ${i}\x1b[0m`;
    case 5:
      return `漢字の行 ${i} wide`;
    case 6:
      return `long ${i} ${"abcdefghij".repeat(9)}`;
    case 7:
      // Erased to the end of the line with a blue background.
      return `\x1b[44merased ${i}\x1b[K\x1b[0m`;
    default:
      return `\x1b[2;3;9mdim italic struck\x1b[0m\ttab ${i}`;
  }
}

async function writeLines(p: Pair, from: number, to: number): Promise<void> {
  let chunk = "";
  for (let i = from; i < to; i++) chunk += `${lineFor(i)}\r\n`;
  await p.write(chunk);
}

function expectSame(p: Pair): void {
  expect(p.history.length).toBe(p.reference.buffer.active.baseY);
  expect(p.compactScreen.allText(false)).toEqual(p.referenceScreen.allText(false));
  const wrapped = (get: (y: number) => { isWrapped: boolean } | undefined) =>
    Array.from({ length: p.history.length + p.compact.rows }, (_, y) => get(y)?.isWrapped);
  expect(wrapped((y) => p.history.getLine(y))).toEqual(
    wrapped((y) => p.reference.buffer.active.getLine(y)),
  );
  const deepest = p.history.length;
  for (const offset of [0, 1, 7, 255, 256, 257, 600, deepest - 3, deepest]) {
    const mine = p.compactScreen.frame({ offset, cursor: false });
    const theirs = p.referenceScreen.frame({ offset, cursor: false });
    expect(mine.offset).toBe(theirs.offset);
    expect(mine.rows, `offset ${offset}`).toEqual(theirs.rows);
  }
}

describe("the compact history", () => {
  it("shows what xterm would keep, every cell, at every scroll position, up to the same limit", async () => {
    const p = pair(60, 12);
    expect(p.history.compact).toBe(true);
    expect(p.compact.options.scrollback).toBe(XTERM_SCROLLBACK);
    await writeLines(p, 0, 1_000);
    expect(p.history.stored).toBeGreaterThan(0);
    expectSame(p);
    // Past the limit: both keep SCROLLBACK lines, the oldest gone.
    await writeLines(p, 1_000, 4_500);
    expect(p.history.length).toBe(SCROLLBACK);
    expect(p.history.stored).toBe(SCROLLBACK - XTERM_SCROLLBACK);
    expectSame(p);
    // Long past it: the lines with combined characters and extended attributes that left are
    // forgotten in their order many times over, and the ones kept still show theirs.
    const kept = p.history.extraLines;
    expect(kept).toBeGreaterThan(0);
    await writeLines(p, 4_500, 16_000);
    expect(p.history.length).toBe(SCROLLBACK);
    // As many as before (the same mix of lines), not the ones that left as well.
    expect(Math.abs(p.history.extraLines - kept)).toBeLessThan(kept / 10);
    expectSame(p);
    p.dispose();
  });

  it("keeps the lines a scroll region at the top pushes out (xterm's splice)", async () => {
    const p = pair(50, 10);
    await writeLines(p, 0, 400);
    // Rows 1-8 scroll, the last two stay (a status line below an agent's output).
    await p.write("\x1b[1;8r\x1b[8;1H");
    await writeLines(p, 400, 1_200);
    await p.write("\x1b[r");
    expectSame(p);
    p.dispose();
  });

  it("is erased by ED 3 and by RIS, and fills again after them", async () => {
    const p = pair(40, 8);
    await writeLines(p, 0, 900);
    await p.write("\x1b[3J");
    expect(p.history.length).toBe(0);
    expectSame(p);
    await writeLines(p, 900, 1_700);
    expectSame(p);
    await p.write("\x1bc");
    expect(p.history.length).toBe(0);
    await writeLines(p, 1_700, 2_600);
    expect(p.history.stored).toBeGreaterThan(0);
    expectSame(p);
    p.dispose();
  });

  it("loses no line when the pane shrinks, grows and narrows, and is empty on the alternate screen", async () => {
    const p = pair(120, 30);
    for (let i = 0; i < 1_500; i++) await p.write(`n${i}.${"=".repeat(i % 150)}\r\n`);
    // Rows only: no reflow, the same history as xterm's.
    p.resize(120, 10);
    expectSame(p);
    p.resize(120, 40);
    expectSame(p);
    // Narrower (a reflow that rewraps xterm's rows): every line still there once, in order.
    p.resize(30, 40);
    const numbers = p.compactScreen
      .allText()
      .join("\n")
      .replace(/\n(?=[=])/g, "")
      .match(/n\d+\./g)
      ?.map((m) => Number(m.slice(1, -1)));
    const kept = numbers ?? [];
    const first = kept[0] ?? 0;
    expect(kept).toEqual(Array.from({ length: 1_500 - first }, (_, i) => first + i));
    expect(first).toBeLessThanOrEqual(1_500 - SCROLLBACK / 2);
    // The alternate screen has no history; back on the normal one it is all there.
    const before = p.history.length;
    await p.write("\x1b[?1049halt screen");
    expect(p.history.length).toBe(0);
    expect(p.compactScreen.frame({ offset: 50 }).offset).toBe(0);
    await p.write("\x1b[?1049l");
    expect(p.history.length).toBe(before);
    p.dispose();
  });

  it("is xterm's own history when it is short", async () => {
    const p = pair(40, 8, 300);
    expect(p.history.compact).toBe(false);
    expect(p.compact.options.scrollback).toBe(300);
    await writeLines(p, 0, 800);
    expect(p.history.stored).toBe(0);
    expectSame(p);
    p.dispose();
  });

  it("counts the lines gone from its top (past the limit, erased), compact or not", async () => {
    for (const scrollback of [SCROLLBACK, 300]) {
      const p = pair(40, 8, scrollback);
      // Line y of the history holds "n <y + dropped>": its number since the output began.
      const expectNumbered = () => {
        const { history } = p;
        for (const y of [0, 1, Math.floor(history.length / 2), history.length - 1]) {
          const text = history.getLine(y)?.translateToString(true);
          expect(text, `line ${y} of ${scrollback}`).toBe(`n ${y + history.dropped}`);
        }
      };
      let written = 0;
      const write = async (lines: number) => {
        let chunk = "";
        for (let i = 0; i < lines; i++) chunk += `n ${written++}\r\n`;
        await p.write(chunk);
      };
      await write(100);
      expect(p.history.dropped).toBe(0);
      expectNumbered();
      await write(scrollback + 500);
      expect(p.history.dropped).toBeGreaterThan(0);
      expectNumbered();
      const before = p.history.dropped;
      await write(37);
      expect(p.history.dropped).toBe(before + 37);
      expectNumbered();
      // ED 3 erases the history: everything above the screen is gone.
      await p.write("\x1b[3J");
      expect(p.history.length).toBe(0);
      expect(p.compact.buffer.active.getLine(0)?.translateToString(true)).toBe(
        `n ${p.history.dropped}`,
      );
      await write(50);
      expectNumbered();
      p.dispose();
    }
  });

  it("takes a fraction of the memory of xterm's lines", async () => {
    const p = pair(80, 24, 5_000);
    await writeLines(p, 0, 6_000);
    const stored = p.history.stored;
    expect(stored).toBe(5_000 - XTERM_SCROLLBACK);
    // xterm: three words a cell, 80 cells a line, plus the line's objects.
    const xtermBytes = stored * 80 * 12;
    expect(p.history.bytes).toBeLessThan(xtermBytes / 2);
    p.dispose();
  });
});
