/**
 * A stop waits for the agent's transcript to settle (src/room/settle.ts), on real files: at once
 * when it is quiet, until writes and hooks have been quiet for the quiet time, never past the
 * most it may wait.
 */
import { appendFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settleTranscript } from "../../src/room/settle.js";

let dir: string;
let transcript: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tower-settle-"));
  transcript = path.join(dir, "session.jsonl");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const QUIET = { quietMs: 150, maxMs: 1_000 };

function writtenAgo(ms: number): void {
  writeFileSync(transcript, '{"type":"user"}\n');
  const then = (Date.now() - ms) / 1000;
  utimesSync(transcript, then, then);
}

describe("settling a transcript before a stop", () => {
  it("does not wait without a transcript, or for one quiet for longer than the quiet time", async () => {
    expect(
      await settleTranscript({ transcript: undefined, announcedAt: Date.now(), ...QUIET }),
    ).toBe(0);
    writtenAgo(5_000);
    expect(await settleTranscript({ transcript, ...QUIET })).toBeLessThan(50);
    // Recorded but never written, and no hook lately: nothing to wait for either.
    expect(
      await settleTranscript({ transcript: path.join(dir, "none.jsonl"), ...QUIET }),
    ).toBeLessThan(50);
  });

  it("waits out the quiet time after the last hook, even when the file is old (the turn's write is still to come)", async () => {
    writtenAgo(5_000);
    const waited = await settleTranscript({ transcript, announcedAt: Date.now(), ...QUIET });
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(400);
  });

  it("waits while the transcript is being written, and for the quiet time after its last write", async () => {
    writeFileSync(transcript, "");
    const started = Date.now();
    let lastWrite = 0;
    const writer = setInterval(() => {
      if (Date.now() - started > 500) return clearInterval(writer);
      appendFileSync(transcript, '{"type":"assistant"}\n');
      lastWrite = Date.now();
    }, 40);
    const waited = await settleTranscript({ transcript, ...QUIET });
    clearInterval(writer);
    expect(waited).toBeGreaterThanOrEqual(500);
    expect(Date.now() - lastWrite).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(1_000);
  });

  it("gives up at the most it may wait when the writes never stop", async () => {
    writeFileSync(transcript, "");
    const writer = setInterval(() => appendFileSync(transcript, "x\n"), 30);
    try {
      const waited = await settleTranscript({ transcript, quietMs: 150, maxMs: 400 });
      expect(waited).toBeGreaterThanOrEqual(400);
      expect(waited).toBeLessThan(600);
    } finally {
      clearInterval(writer);
    }
  });
});
