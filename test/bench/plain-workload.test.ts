/**
 * The throughput benchmark's second workload (bench/lib/ansi-gen.ts, `plain`): plain text in
 * long lines, written to a real file as the benchmark does. Every line must be 200-400 printable
 * ASCII characters (so that it wraps in a pane) and no byte may start an escape sequence; the
 * size is what was asked for, as for the mixed workload, so that both move the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { writeAnsiFile } from "../../bench/lib/ansi-gen.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bench-plain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("writes long printable lines and no escape sequence, as many bytes as the mixed one", async () => {
  const bytes = 256 * 1024;
  const plainFile = path.join(dir, "plain.bin");
  const mixedFile = path.join(dir, "mixed.bin");
  const plain = await writeAnsiFile(plainFile, bytes, 7, "plain");
  const mixed = await writeAnsiFile(mixedFile, bytes, 7);

  const text = readFileSync(plainFile, "latin1");
  expect(text.length).toBe(plain);
  expect(text).toMatch(/^[\x20-\x7e\n]*$/);
  const lines = text.split("\n");
  expect(lines.pop()).toBe("");
  expect(lines.length).toBeGreaterThan(100);
  for (const line of lines) {
    expect(line.length).toBeGreaterThanOrEqual(200);
    expect(line.length).toBeLessThanOrEqual(400);
  }
  // The same bytes within a line's length: the two workloads are compared per MB.
  for (const size of [plain, mixed]) {
    expect(size).toBeGreaterThanOrEqual(bytes);
    expect(size).toBeLessThan(bytes + 64 * 1024);
  }
  expect(readFileSync(mixedFile, "latin1")).toContain("\x1b[");
});
