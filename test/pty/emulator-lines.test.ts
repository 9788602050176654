/**
 * The emulator's recycled history lines (src/pty/emulator.ts `reuseLineObjects`): with the
 * pinned xterm the line class gets the copy that keeps a line's empty objects, and a full
 * history read back after many recycles is what was written: combined characters, extended
 * underline styles and wrapped lines included, nothing left over from a line's earlier content.
 */
import { describe, expect, it } from "vitest";
import { createEmulator, parsed, reuseLineObjects, type Terminal } from "../../src/pty/emulator.js";
import { renderLine } from "../../src/pty/screen.js";

interface Line {
  _combined: object;
  _extendedAttrs: object;
}
const lineAt = (terminal: Terminal, y: number) =>
  (
    terminal as unknown as { _core: { buffer: { lines: { get(i: number): Line } } } }
  )._core.buffer.lines.get(y);

/** Line i: plain, with a combining accent, with a red curly underline, or wider than the screen. */
function lineFor(i: number): string {
  switch (i % 4) {
    case 0:
      return `plain ${i}`;
    case 1:
      return `acce\u0301nt ${i}`;
    case 2:
      return `\x1b[4:3m\x1b[58;5;196mcurly ${i}\x1b[0m`;
    default:
      return `wide ${i} ${"x".repeat(30)}`;
  }
}

describe("the emulator's history lines", () => {
  it("are recycled with the copy that keeps their empty objects", async () => {
    const terminal = createEmulator({ cols: 20, rows: 3, scrollback: 4 });
    expect(reuseLineObjects(terminal)).toBe("patched");
    for (let i = 0; i < 10; i++) terminal.write(`plain ${i}\r\n`);
    await parsed(terminal);
    // The next line recycles the oldest: its objects stay the same ones.
    const oldest = lineAt(terminal, 0);
    const combined = oldest._combined;
    const attrs = oldest._extendedAttrs;
    terminal.write("one more\r\n");
    await parsed(terminal);
    // The line feed after "one more" scrolled once: the recycled line is the new bottom row.
    const recycled = lineAt(terminal, terminal.buffer.normal.length - 1);
    expect(recycled).toBe(oldest);
    expect(recycled._combined).toBe(combined);
    expect(recycled._extendedAttrs).toBe(attrs);
    terminal.dispose();
  });

  it("read back after many recycles as they were written, styles and all", async () => {
    const cols = 24;
    const recycling = createEmulator({ cols, rows: 4, scrollback: 6 });
    const written: string[] = [];
    for (let i = 0; i < 200; i++) {
      written.push(lineFor(i));
      recycling.write(`${lineFor(i)}\r\n`);
    }
    await parsed(recycling);
    // The same last lines in a terminal with room for all: nothing was ever recycled there.
    const fresh = createEmulator({ cols, rows: 4, scrollback: 1_000 });
    for (const line of written) fresh.write(`${line}\r\n`);
    await parsed(fresh);
    const rows = (terminal: Terminal) => {
      const buffer = terminal.buffer.normal;
      const cell = buffer.getNullCell();
      const out: string[] = [];
      for (let y = buffer.length - 10; y < buffer.length; y++) {
        const line = buffer.getLine(y);
        out.push(`${line?.isWrapped ? "+" : " "}${renderLine(line, cols, cell)}`);
      }
      return out;
    };
    const got = rows(recycling);
    expect(got).toEqual(rows(fresh));
    const text = got.join("\n");
    expect(text).toContain("acce\u0301nt 197");
    expect(text).toContain("curly 198");
    expect(got.some((row) => row.startsWith("+"))).toBe(true);
    recycling.dispose();
    fresh.dispose();
  });
});
