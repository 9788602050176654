/**
 * Screen rows from real pseudo-terminals: colours and attributes as the program sent them, wide
 * characters, the cursor, cached rows, synchronized output, scrolled-back windows.
 */
import { afterEach, describe, expect, it } from "vitest";
import { displayWidth, RESET } from "../../src/pty/index.js";
import {
  cleanup,
  columns,
  emit,
  screenHas,
  startPuppet,
  startSession,
  stripSgr,
  waitForScreen,
} from "./helpers.js";

afterEach(cleanup);

/** Every escape sequence in a row is an SGR sequence. */
function onlySgr(row: string): boolean {
  return row.replace(/\x1b\[[0-9;]*m/g, "").includes("\x1b") === false;
}

describe("styled rows", () => {
  it("keep 16, 256 and truecolor colours as sent, and every attribute", async () => {
    const session = await startPuppet({ cols: 100, rows: 12 });
    await emit(
      session,
      "\x1b[2J\x1b[H" +
        "\x1b[31mred\x1b[0m \x1b[91mbright\x1b[0m \x1b[38;5;208morange\x1b[0m \x1b[38;2;10;20;30mrgb\x1b[0m|\r\n" +
        "\x1b[41mbgred\x1b[0m \x1b[103mbgbright\x1b[0m \x1b[48;5;17mbg256\x1b[0m \x1b[48;2;1;2;3mbgrgb\x1b[0m|\r\n" +
        "\x1b[1mbold\x1b[0m \x1b[2mdim\x1b[0m \x1b[3mitalic\x1b[0m \x1b[4munder\x1b[0m \x1b[7minverse\x1b[0m \x1b[9mstrike\x1b[0m|\r\n" +
        "\x1b[1;3;38;5;208;48;2;1;2;3mmixed\x1b[0m \x1b[38;5;3mpalette3\x1b[0m \x1b[5mblink\x1b[0m \x1b[53mover\x1b[0m|\r\n",
    );
    const { rows } = session.frame({ cursor: false });
    expect(rows[0]).toContain("\x1b[0;31mred\x1b[0m ");
    expect(rows[0]).toContain("\x1b[0;91mbright\x1b[0m ");
    expect(rows[0]).toContain("\x1b[0;38;5;208morange\x1b[0m ");
    expect(rows[0]).toContain("\x1b[0;38;2;10;20;30mrgb\x1b[0m|");
    expect(rows[1]).toContain("\x1b[0;41mbgred\x1b[0m ");
    expect(rows[1]).toContain("\x1b[0;103mbgbright\x1b[0m ");
    expect(rows[1]).toContain("\x1b[0;48;5;17mbg256\x1b[0m ");
    expect(rows[1]).toContain("\x1b[0;48;2;1;2;3mbgrgb\x1b[0m|");
    for (const [code, word] of [
      ["1", "bold"],
      ["2", "dim"],
      ["3", "italic"],
      ["4", "under"],
      ["7", "inverse"],
      ["9", "strike"],
    ]) {
      expect(rows[2]).toContain(`\x1b[0;${code}m${word}\x1b[0m`);
    }
    expect(rows[3]).toContain("\x1b[0;1;3;38;5;208;48;2;1;2;3mmixed\x1b[0m ");
    // A palette colour given as 256-colour index stays a 256-colour index.
    expect(rows[3]).toContain("\x1b[0;38;5;3mpalette3\x1b[0m ");
    expect(rows[3]).toContain("\x1b[0;5mblink\x1b[0m");
    expect(rows[3]).toContain("\x1b[0;53mover\x1b[0m");
    for (const row of rows) {
      expect(row.endsWith(RESET)).toBe(true);
      expect(onlySgr(row)).toBe(true);
      expect(columns(stripSgr(row))).toBe(100);
    }
  });

  it("draw wide characters and emoji once, two columns each", async () => {
    const session = await startPuppet({ cols: 20, rows: 5 });
    await emit(session, "\x1b[2J\x1b[H中文🚀x\r\n\x1b[32m表\x1b[0m|\r\n0123456789012345678中\r\n");
    const { rows } = session.frame({ cursor: false });
    const plain = rows.map(stripSgr);
    expect(plain[0]).toBe(`中文🚀x${" ".repeat(13)}`);
    expect(plain[1]).toBe(`表|${" ".repeat(17)}`);
    expect(rows[1]).toContain("\x1b[0;32m表\x1b[0m|");
    // A wide character that does not fit in the last column wraps to the next row.
    expect(plain[2]).toBe("0123456789012345678 ");
    expect(plain[3]).toBe(`中${" ".repeat(18)}`);
    for (const row of plain) expect(columns(row)).toBe(20);
    expect(session.text().slice(0, 4)).toEqual(["中文🚀x", "表|", "0123456789012345678", "中"]);
  });

  it("measure text as the emulator places it", async () => {
    const session = await startPuppet({ cols: 30, rows: 3 });
    const samples = ["abc", "中文🚀x", "⏺ ✻ ❯ ⎿", "e\u0301te\u0301", "表|👍"];
    for (const sample of samples) {
      await emit(session, `\x1b[2J\x1b[H${sample}`);
      expect(displayWidth(sample), sample).toBe(session.terminal.buffer.active.cursorX);
    }
    expect(displayWidth("中文🚀x")).toBe(7);
  });

  it("show the cursor as an inverse cell while it is visible", async () => {
    const session = await startPuppet({ cols: 20, rows: 5 });
    await emit(session, "\x1b[2J\x1b[Habc");
    let frame = session.frame();
    expect(frame.cursor).toEqual({ x: 3, y: 0, visible: true });
    expect(frame.rows[0]).toBe(`abc\x1b[0;7m \x1b[0m${" ".repeat(16)}${RESET}`);
    await emit(session, "\x1b[?25l");
    frame = session.frame();
    expect(frame.cursor.visible).toBe(false);
    expect(frame.rows[0]).toBe(`abc${" ".repeat(17)}${RESET}`);
    await emit(session, "\x1b[?25h\x1b[1;2H");
    frame = session.frame();
    // On a styled cell the cursor inverts that cell's own style.
    expect(frame.rows[0]).toBe(`a\x1b[0;7mb\x1b[0mc${" ".repeat(17)}${RESET}`);
    await emit(session, "\x1b[3;1H\x1b[7mX\x1b[0m\x1b[3;1H");
    expect(session.frame().rows[2]).toBe(`X${" ".repeat(19)}${RESET}`);
  });
});

describe("row cache", () => {
  it("rebuilds only the rows that changed", async () => {
    const session = await startPuppet({ cols: 40, rows: 10 });
    expect(session.screen.incremental).toBe(true);
    await emit(
      session,
      "\x1b[2J\x1b[H" + Array.from({ length: 6 }, (_, i) => `row ${i}`).join("\r\n"),
    );
    const first = session.frame();
    const again = session.frame();
    expect(again.rebuilt).toBe(0);
    expect(again.rows).toEqual(first.rows);

    // Written on the cursor's own row: that row only.
    await emit(session, "!");
    const one = session.frame();
    expect(one.rebuilt).toBe(1);
    expect(stripSgr(one.rows[5] ?? "")).toMatch(/^row 5!/);
    expect(one.rows.filter((row, i) => row !== first.rows[i])).toHaveLength(1);

    // Elsewhere, the cursor going there and back: xterm reports rows 2..5 as one dirty range;
    // the rows outside it come from the cache.
    await emit(session, "\x1b7\x1b[3;1Hchanged\x1b8");
    const range = session.frame();
    expect(range.rebuilt).toBeGreaterThanOrEqual(1);
    expect(range.rebuilt).toBeLessThanOrEqual(4);
    expect(stripSgr(range.rows[2] ?? "")).toMatch(/^changed/);
    const built = session.screen.rowsBuilt;
    expect(session.frame().rebuilt).toBe(0);
    expect(session.screen.rowsBuilt).toBe(built);

    // The cursor moves down: the rows from the one it left to the one it entered.
    await emit(session, "\x1b[9;5H");
    const moved = session.frame();
    expect(moved.rebuilt).toBeLessThanOrEqual(4);
    expect(moved.rows[5]).not.toBe(range.rows[5]);
    expect(moved.rows[8]).toContain("\x1b[0;7m");
    expect(moved.rows.slice(0, 5)).toEqual(range.rows.slice(0, 5));

    // Scrolling changes every row.
    await emit(session, "\r\n".repeat(5));
    expect(session.frame().rebuilt).toBe(10);
  });

  it("rebuilds the rows of a scroll region that scrolled, and keeps the others", async () => {
    const session = await startPuppet({ cols: 20, rows: 8 });
    await emit(
      session,
      "\x1b[2J\x1b[H" + Array.from({ length: 8 }, (_, i) => `line ${i}`).join("\r\n"),
    );
    // Rows 3-6 scroll by two (a pager's body between its header and its status line).
    await emit(session, "\x1b[3;6r\x1b[6;1H");
    const first = session.frame();
    await emit(session, "\n\nnew");
    const scrolled = session.frame();
    const text = scrolled.rows.map((row) => stripSgr(row).trimEnd());
    expect(text).toEqual(["line 0", "line 1", "line 4", "line 5", "", "new", "line 6", "line 7"]);
    // The region's rows are built again, the others come from the cache.
    expect(scrolled.rebuilt).toBe(4);
    expect(scrolled.rows.slice(0, 2)).toEqual(first.rows.slice(0, 2));
    expect(scrolled.rows.slice(6)).toEqual(first.rows.slice(6));
  });
});

describe("synchronized output", () => {
  it("holds the last complete frame until the program ends the update", async () => {
    const session = await startPuppet({ cols: 30, rows: 5 });
    await emit(session, "\x1b[2J\x1b[Hbefore");
    const before = session.frame();
    await emit(session, "\x1b[?2026h\x1b[2J\x1b[Hhalf-drawn");
    expect(session.screen.synchronized).toBe(true);
    expect(session.text()[0]).toBe("half-drawn"); // the emulator has it...
    const held = session.frame();
    expect(held.held).toBe(true); // ...the rows do not yet
    expect(held.rows).toEqual(before.rows);
    await emit(session, " complete\x1b[?2026l");
    const after = session.frame();
    expect(after.held).toBe(false);
    expect(stripSgr(after.rows[0] ?? "")).toMatch(/^half-drawn complete/);
  });

  it("gives up holding after the timeout", async () => {
    const session = await startPuppet({ cols: 30, rows: 5, syncTimeoutMs: 300 });
    await emit(session, "\x1b[2J\x1b[Hbefore");
    const before = session.frame();
    const started = Date.now();
    await emit(session, "\x1b[?2026h\x1b[2J\x1b[Hstuck");
    const held = session.frame();
    if (Date.now() - started < 250) expect(held.rows).toEqual(before.rows);
    const rows = await waitForScreen(
      session,
      () => stripSgr(session.frame().rows[0] ?? "").startsWith("stuck"),
      "frame after the sync timeout",
    );
    expect(rows[0]).toBe("stuck");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(session.screen.synchronized).toBe(true);
  });
});

describe("scrollback", () => {
  it("shows a window scrolled back into the history, bounded by the scrollback", async () => {
    const session = startSession({
      command: [
        "sh",
        "-c",
        "i=1; while [ $i -le 1000 ]; do echo line $i; i=$((i+1)); done; exec sleep 60",
      ],
      cols: 30,
      rows: 10,
      scrollback: 100,
    });
    await waitForScreen(session, screenHas("line 1000"), "last line");
    const buffer = session.terminal.buffer.active;
    expect(buffer.length).toBe(110);
    const history = session.screen.allText();
    expect(history[0]).toBe("line 892");
    expect(history[108]).toBe("line 1000");
    const live = session.frame();
    expect(stripSgr(live.rows[8] ?? "").trimEnd()).toBe("line 1000");
    const back = session.frame({ offset: 10 });
    expect(back.offset).toBe(10);
    expect(stripSgr(back.rows[0] ?? "").trimEnd()).toBe("line 982");
    expect(session.text({ offset: 10 })[0]).toBe("line 982");
    // Beyond the history: clamped to its top.
    const top = session.frame({ offset: 10_000 });
    expect(top.offset).toBe(100);
    expect(stripSgr(top.rows[0] ?? "").trimEnd()).toBe("line 892");
    // The live frame is unaffected by looking back.
    expect(session.frame().rows).toEqual(live.rows);
  });
});
