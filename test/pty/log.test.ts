/**
 * The agent log while the agent runs: lines complete on screen reach the file within about a
 * second, not only when they scroll off or the agent exits, so that a Tower killed with kill -9
 * or hung up leaves them behind; and each line is still logged once. Real sessions on real
 * pseudo-terminals, the log read from disk.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanup,
  emit,
  nodeProgram,
  PROJECT_ROOT,
  startPuppet,
  startSession,
  tempDir,
  waitFor,
} from "./helpers.js";

afterEach(cleanup);

const OWNER = path.join(PROJECT_ROOT, "test/pty/programs/session-owner.mjs");

const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
const logLines = (file: string) => read(file).split("\n").slice(0, -1);

/** Waits until the log file has `text` (a whole line). */
function logged(file: string, text: string): Promise<true> {
  return waitFor(
    () => (logLines(file).includes(text) ? true : undefined),
    5_000,
    `"${text}" in the log; it was:\n${read(file)}`,
  );
}

describe("agent log while the agent runs", () => {
  it("has the lines complete on screen within a second, and logs each once when it scrolls off", async () => {
    const dir = tempDir();
    const file = path.join(dir, "logs", "agent-L1.log");
    const session = await startPuppet({
      agent: "L1",
      worktree: dir,
      stateDir: dir,
      cols: 40,
      rows: 8,
      log: {},
    });
    await emit(session, "first line\r\nsecond line\r\nthird\r\n");
    await logged(file, "third");
    expect(logLines(file)).toEqual(["puppet ready", "first line", "second line", "third"]);

    // A spinner on the cursor line is logged once, as it ended: "alpha" came in the same write as
    // its first frame, so the frame was on screen while "alpha" was being logged.
    await emit(session, "alpha\r\nworking 1\r");
    await logged(file, "alpha");
    await emit(session, "working 2\r");
    await emit(session, "working done\r\n");
    await logged(file, "working done");

    // Enough lines to scroll everything above off the screen, then the end.
    const numbered = Array.from({ length: 20 }, (_, i) => `n ${String(i + 1).padStart(2, "0")}`);
    await emit(session, `${numbered.join("\r\n")}\r\n`);
    await logged(file, "n 20");
    session.write("exit\r");
    await session.waitForExit();
    await session.log?.close();
    expect(logLines(file)).toEqual([
      "puppet ready",
      "first line",
      "second line",
      "third",
      "alpha",
      "working done",
      ...numbered,
    ]);
  });

  it("logs a line again when it is rewritten after it was logged, and what a cleared screen shows next", async () => {
    const dir = tempDir();
    const file = path.join(dir, "logs", "agent-L2.log");
    const session = await startPuppet({
      agent: "L2",
      worktree: dir,
      stateDir: dir,
      cols: 40,
      rows: 8,
      log: {},
    });
    await emit(session, "status: 1\r\n");
    await logged(file, "status: 1");
    // Cursor up, erase the line, write it anew.
    await emit(session, "\x1b[1A\r\x1b[2Kstatus: 2\r\n");
    await logged(file, "status: 2");
    await emit(session, "\x1b[H\x1b[2Jafter clear\r\n");
    await logged(file, "after clear");
    const numbered = Array.from({ length: 12 }, (_, i) => `m ${i + 1}`);
    await emit(session, `${numbered.join("\r\n")}\r\n`);
    session.write("exit\r");
    await session.waitForExit();
    await session.log?.close();
    expect(logLines(file)).toEqual([
      "puppet ready",
      "status: 1",
      "status: 2",
      "after clear",
      ...numbered,
    ]);
  });

  it("does not log a status line every time its clock ticks", async () => {
    const dir = tempDir();
    const file = path.join(dir, "logs", "agent-L5.log");
    // "Working (Ns)" above a prompt, redrawn in place every second, as agent CLIs do.
    const session = startSession({
      agent: "L5",
      worktree: dir,
      stateDir: dir,
      cols: 40,
      rows: 8,
      log: {},
      command: nodeProgram(
        dir,
        `process.stdout.write("task started\\r\\nWorking (0s)\\r\\n> ");
         for (let s = 1; s <= 5; s++) {
           await new Promise((resolve) => setTimeout(resolve, 1000));
           process.stdout.write("\\x1b7\\x1b[1A\\r\\x1b[2KWorking (" + s + "s)\\x1b8");
         }
         process.stdout.write("\\r\\x1b[1A\\x1b[2Kdone\\r\\n\\x1b[2K");`,
      ),
    });
    await session.waitForExit();
    await session.log?.close();
    const lines = logLines(file);
    expect(lines[0]).toBe("task started");
    expect(lines.at(-1)).toBe("done");
    expect(lines.filter((line) => line.startsWith("Working")).length).toBeLessThanOrEqual(1);
  });

  it("logs each line once across resizes that move lines between the screen and the history", async () => {
    const dir = tempDir();
    const file = path.join(dir, "logs", "agent-L3.log");
    const session = await startPuppet({
      agent: "L3",
      worktree: dir,
      stateDir: dir,
      cols: 40,
      rows: 8,
      log: {},
    });
    const wide = "w".repeat(50); // two rows at 40 columns, three at 20
    await emit(session, `a1\r\na2\r\n${wide}\r\na3\r\na4\r\n`);
    await logged(file, "a4");
    session.resize(20, 4); // the top rows go into the history, the long line wraps again
    await emit(session, "b1\r\n");
    await logged(file, "b1");
    session.resize(60, 12); // rows come back from the history
    await emit(session, "b2\r\n");
    await logged(file, "b2");
    const numbered = Array.from({ length: 14 }, (_, i) => `c${i + 1}`);
    await emit(session, `${numbered.join("\r\n")}\r\n`);
    session.write("exit\r");
    await session.waitForExit();
    await session.log?.close();
    expect(logLines(file)).toEqual([
      "puppet ready",
      "a1",
      "a2",
      wide,
      "a3",
      "a4",
      "b1",
      "b2",
      ...numbered,
    ]);
  });

  it.each([
    ["xterm's own history of 50 lines", 50],
    ["the compact history of 5,000 (the default)", undefined],
  ])(
    "logs every line of a long run once, in order, while the history is trimmed and ticks log the screen: %s",
    async (_, scrollback) => {
      const dir = tempDir();
      const file = path.join(dir, "logs", "agent-L4.log");
      // Bursts with pauses between them, so that ticks fall both mid-burst and on a still screen.
      const session = startSession({
        agent: "L4",
        worktree: dir,
        stateDir: dir,
        cols: 30,
        rows: 6,
        ...(scrollback === undefined ? {} : { scrollback }),
        log: {},
        command: nodeProgram(
          dir,
          `let n = 0;
         for (let burst = 0; burst < 40; burst++) {
           let out = "";
           for (let i = 0; i < 250; i++) out += "line " + ++n + "\\n";
           process.stdout.write(out);
           await new Promise((resolve) => setTimeout(resolve, burst % 8 === 0 ? 700 : 20));
         }`,
        ),
      });
      await session.waitForExit();
      await session.log?.close();
      const lines = logLines(file);
      expect(lines.length).toBe(10_000);
      expect(lines.every((line, i) => line === `line ${i + 1}`)).toBe(true);
      // The pane's history: the last lines, in order, as many as it keeps.
      const kept = scrollback ?? 5_000;
      expect(session.history.compact).toBe(scrollback === undefined);
      expect(session.history.length).toBe(kept);
      const shown = session.screen.allText().filter((line) => line !== "");
      expect(shown).toEqual(
        Array.from({ length: shown.length }, (_, i) => `line ${10_000 - shown.length + i + 1}`),
      );
      expect(shown.length).toBeGreaterThanOrEqual(kept);
    },
  );

  it("keeps what was on screen when the process owning the session is killed with kill -9", async () => {
    const dir = tempDir();
    const file = path.join(dir, "logs", "agent-K1.log");
    const owner = spawn(
      process.execPath,
      [OWNER, dir, "sh", "-c", "printf 'one\\ntwo\\nthree\\n'; exec sleep 60"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let agentPid: number | undefined;
    owner.stdout.setEncoding("utf8");
    owner.stdout.on("data", (text: string) => {
      agentPid ??= (JSON.parse(text.split("\n")[0] ?? "{}") as { pid?: number }).pid;
    });
    try {
      await logged(file, "three");
      owner.kill("SIGKILL");
      await new Promise((resolve) => owner.once("exit", resolve));
      expect(logLines(file)).toEqual(["one", "two", "three"]);
    } finally {
      owner.kill("SIGKILL");
      if (agentPid !== undefined) {
        try {
          process.kill(-agentPid, "SIGKILL");
        } catch {}
      }
    }
  });
});
