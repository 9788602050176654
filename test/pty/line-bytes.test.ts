/**
 * The log's rows as bytes (src/pty/line-bytes.ts) read xterm's cells directly: they must give
 * exactly the text that xterm's own `translateToString` gives, for every kind of cell (ASCII,
 * two-, three- and four-byte characters, wide ones, combining marks, blanks), wrapped rows
 * joined, trailing blanks dropped.
 */
import type { IBuffer, IBufferLine } from "@xterm/headless";
import { describe, expect, it } from "vitest";
import { createEmulator, type Terminal } from "../../src/pty/emulator.js";
import { LineBytes, rawLines } from "../../src/pty/line-bytes.js";

/** The complete lines `bytes` hands over, copied out (the line being assembled stays). */
function take(bytes: LineBytes): Buffer {
  let out = Buffer.alloc(0);
  bytes.handTo((lines) => {
    out = Buffer.from(lines);
  });
  return out;
}

async function written(terminal: Terminal, data: string): Promise<void> {
  await new Promise<void>((resolve) => terminal.write(data, resolve));
}

/** The logical lines of the buffer as the log had them before: xterm's text, joined, trimmed. */
function reference(buffer: IBuffer): string {
  let out = "";
  let partial = "";
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y) as IBufferLine;
    const continued = buffer.getLine(y + 1)?.isWrapped === true;
    partial += line.translateToString(!continued);
    if (!continued) {
      out += `${partial.replace(/ +$/, "")}\n`;
      partial = "";
    }
  }
  return out;
}

function viaBytes(buffer: IBuffer, wrap?: (line: IBufferLine) => IBufferLine): string {
  const bytes = new LineBytes();
  const parts: Buffer[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y) as IBufferLine;
    bytes.row(wrap ? wrap(line) : line);
    if (buffer.getLine(y + 1)?.isWrapped !== true) bytes.endLine();
    if (y % 3 === 0) parts.push(take(bytes)); // taking midway keeps the line being assembled
  }
  parts.push(take(bytes));
  return Buffer.concat(parts).toString("utf8");
}

const SAMPLES = [
  "plain ascii text",
  "trailing spaces   ",
  "   leading and inner   spaces",
  "café naïve – “quotes” €100",
  "中文字符 and 日本語 wide",
  "emoji 🎉🚀 four bytes",
  "combining e\u0301 and a\u0308 marks",
  "flag 🇫🇷 and family 👨‍👩‍👧",
  `${"long line that wraps over several rows ".repeat(4)}end`,
  `${"x".repeat(20)}${" ".repeat(30)}`,
  "",
  "\x1b[31mred\x1b[0m \x1b[1;44mbold on blue\x1b[0m tail",
  "tab\tseparated\tcells",
];

describe("log rows as bytes", () => {
  it("give xterm's own text for every kind of cell, wrapped rows joined and trailing blanks dropped", async () => {
    const terminal = createEmulator({ cols: 20, rows: 8, scrollback: 200 });
    await written(terminal, SAMPLES.join("\r\n"));
    const buffer = terminal.buffer.active;
    expect(buffer.length).toBeGreaterThan(SAMPLES.length); // some rows wrapped
    const expected = reference(buffer);
    expect(expected).toContain("café naïve");
    expect(expected).toContain("🎉");
    expect(viaBytes(buffer)).toBe(expected);
    // Read from xterm's own list of lines, as the log does.
    const lines = rawLines(terminal);
    expect(lines).toBeDefined();
    const bytes = new LineBytes();
    for (let y = 0; y < buffer.length; y++) {
      const raw = lines?.get(y);
      if (raw) bytes.row(raw);
      if (lines?.get(y + 1)?.isWrapped !== true) bytes.endLine();
    }
    expect(take(bytes).toString("utf8")).toBe(expected);
    terminal.dispose();
  });

  it("read a row without xterm's internals through translateToString, to the same text", async () => {
    const terminal = createEmulator({ cols: 20, rows: 8, scrollback: 200 });
    await written(terminal, SAMPLES.join("\r\n"));
    const buffer = terminal.buffer.active;
    // Only the public API: what another xterm version's rows would offer.
    const publicOnly = (line: IBufferLine): IBufferLine =>
      ({
        isWrapped: line.isWrapped,
        length: line.length,
        translateToString: (trim?: boolean) => line.translateToString(trim),
      }) as IBufferLine;
    expect(viaBytes(buffer, publicOnly)).toBe(reference(buffer));
    terminal.dispose();
  });

  it("keeps the line being assembled when the complete ones are taken, and clear forgets it", () => {
    const bytes = new LineBytes();
    const row = (text: string) =>
      ({ translateToString: () => text, isWrapped: false, length: text.length }) as IBufferLine;
    bytes.row(row("first  "));
    bytes.endLine();
    bytes.row(row("sec"));
    expect(bytes.assembling).toBe(true);
    expect(take(bytes).toString()).toBe("first\n");
    bytes.row(row("ond "));
    bytes.endLine();
    expect(take(bytes).toString()).toBe("second\n");
    bytes.row(row("gone"));
    bytes.clear();
    expect(bytes.assembling).toBe(false);
    expect(take(bytes).length).toBe(0);
  });
});
