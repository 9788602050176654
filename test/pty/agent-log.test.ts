/**
 * The agent log's file writer: it copies what it is given (the logger hands it a view of a
 * buffer it reuses), and the buffers it writes from and then uses again never lose or mix bytes,
 * however writes, flushes and rotations interleave. Real files in a temporary folder.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AgentLog } from "../../src/pty/log.js";
import { cleanup, tempDir } from "./helpers.js";

afterEach(cleanup);

describe("AgentLog", () => {
  it("keeps the bytes it was given when the caller reuses its buffer", async () => {
    const file = path.join(tempDir(), "agent-A1.log");
    const log = new AgentLog({ file });
    const buffer = Buffer.from("first line\n");
    log.write(buffer);
    buffer.write("XXXXX line\n");
    log.write(buffer.subarray(0, 6));
    await log.close();
    expect(readFileSync(file, "utf8")).toBe("first line\nXXXXX ");
  });

  it("writes every byte once, in order, while writes go on during its own writes to disk", async () => {
    const file = path.join(tempDir(), "agent-A1.log");
    const log = new AgentLog({ file });
    const reused = Buffer.alloc(40 * 1024);
    let expected = "";
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      // Pieces of every size, from a few bytes to past the flush threshold, in one reused buffer.
      const line = `${String(i).padStart(4, "0")} ${"abcdefghij".repeat((i * 37) % 4000)}\n`;
      const length = reused.write(line);
      log.write(reused.subarray(0, length));
      reused.fill(0x21); // what was handed over is gone from the caller's buffer
      expected += line;
      if (i % 7 === 0) flushes.push(log.flush()); // not awaited: writes go on meanwhile
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(flushes);
    await log.close();
    const text = readFileSync(file, "utf8");
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
  });

  it("keeps whole lines on each side of a rotation, with buffers used again across it", async () => {
    const file = path.join(tempDir(), "agent-A1.log");
    const log = new AgentLog({ file, maxBytes: 50_000 });
    const lines: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const line = `line ${i} ${"x".repeat(i % 90)}\n`;
      lines.push(line);
      log.write(Buffer.from(line));
      if (i % 100 === 0) await log.flush();
    }
    await log.close();
    const current = readFileSync(file, "utf8");
    const rotated = readFileSync(`${file}.1`, "utf8");
    for (const text of [current, rotated]) {
      expect(text.length).toBeLessThanOrEqual(50_000);
      expect(text.endsWith("\n")).toBe(true);
    }
    // The newest lines, in order, across the two files.
    const kept = `${rotated}${current}`;
    expect(lines.join("").endsWith(kept)).toBe(true);
    expect(kept.startsWith("line ")).toBe(true);
  });
});
