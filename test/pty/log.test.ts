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
import type { Session } from "../../src/pty/index.js";
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

/** A puppet session at 40 columns whose log is `logs/agent-<agent>.log` in a new folder. */
async function loggedPuppet(agent: string, rows = 8) {
  const dir = tempDir();
  const file = path.join(dir, "logs", `agent-${agent}.log`);
  const session = await startPuppet({
    agent,
    worktree: dir,
    stateDir: dir,
    cols: 40,
    rows,
    log: {},
  });
  return { session, file };
}

/** Ends the puppet and returns the lines of its log. */
async function ended(session: Session, file: string): Promise<string[]> {
  session.write("exit\r");
  await session.waitForExit();
  await session.log?.close();
  return logLines(file);
}

describe("agent log while the agent runs", () => {
  it("has the lines complete on screen within a second, and logs each once when it scrolls off", async () => {
    const { session, file } = await loggedPuppet("L1");
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
    expect(await ended(session, file)).toEqual([
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
    const { session, file } = await loggedPuppet("L2");
    await emit(session, "status: 1\r\n");
    await logged(file, "status: 1");
    // Cursor up, erase the line, write it anew.
    await emit(session, "\x1b[1A\r\x1b[2Kstatus: 2\r\n");
    await logged(file, "status: 2");
    await emit(session, "\x1b[H\x1b[2Jafter clear\r\n");
    await logged(file, "after clear");
    const numbered = Array.from({ length: 12 }, (_, i) => `m ${i + 1}`);
    await emit(session, `${numbered.join("\r\n")}\r\n`);
    expect(await ended(session, file)).toEqual([
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
    const { session, file } = await loggedPuppet("L3");
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
    expect(await ended(session, file)).toEqual([
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

  it("keeps its place when the program erases the rows below its cursor (ED 0) to draw them anew", async () => {
    const { session, file } = await loggedPuppet("L7");
    const numbered = Array.from({ length: 20 }, (_, i) => `n ${i + 1}`);
    await emit(session, `${numbered.join("\r\n")}\r\n`);
    await logged(file, "n 20");
    // Three rows up, erase from there down (the row the log had got to among them), draw anew.
    await emit(session, "\x1b[3A\r\x1b[Jn 18\r\nredrawn\r\n");
    await logged(file, "redrawn");
    expect(await ended(session, file)).toEqual(["puppet ready", ...numbered, "redrawn"]);
  });

  it("logs each line once that a CLI inserts above its input through a scroll region (as Codex does inline)", async () => {
    const { session, file } = await loggedPuppet("L9");
    // The input and a footer at the bottom, the cursor in the input.
    const input = "\x1b[6;3H";
    await emit(session, `\x1b[6;1H› type here\r\n  footer${input}`);
    await logged(file, "puppet ready");
    // Each line into the region above the input: it scrolls (its top row into the history),
    // and the line goes on its bottom row.
    const history = Array.from({ length: 12 }, (_, i) => `h ${i + 1}`);
    for (const [i, line] of history.entries()) {
      await emit(session, `\x1b[1;5r\x1b[5;1H\r\n${line}\x1b[r${input}`);
      if (i === 5) await logged(file, "h 6");
    }
    await logged(file, "h 12");
    const lines = await ended(session, file);
    expect(lines.filter((line) => line.startsWith("h "))).toEqual(history);
    expect(lines.filter((line) => line === "› type here")).toEqual(["› type here"]);
  });

  it("does not log again the lines from the history that a CLI draws anew after a resize (as Claude Code does)", async () => {
    const { session, file } = await loggedPuppet("L8");
    const numbered = Array.from({ length: 14 }, (_, i) => `t ${i + 1}`);
    // The first lines scroll into the history (logged then); the last are on screen, not yet
    // logged when the pane grows.
    await emit(session, `${numbered.join("\r\n")}\r\n`);
    session.resize(40, 12);
    // Screen and history cleared, the transcript's last lines drawn again, then new output.
    await emit(session, `\x1b[2J\x1b[3J\x1b[H${numbered.slice(2).join("\r\n")}\r\nu 1\r\n`);
    await logged(file, "u 1");
    expect(await ended(session, file)).toEqual(["puppet ready", ...numbered, "u 1"]);
  });

  it("does not log again a whole transcript drawn anew after the history was erased (as Codex does after a resize)", async () => {
    const { session, file } = await loggedPuppet("L10");
    const numbered = Array.from({ length: 40 }, (_, i) => `v ${i + 1}`);
    await emit(session, `${numbered.join("\r\n")}\r\n`);
    await logged(file, "v 40");
    session.resize(40, 12);
    await emit(session, `\x1b[H\x1b[2J\x1b[3J${numbered.join("\r\n")}\r\nw 1\r\n`);
    await logged(file, "w 1");
    expect(await ended(session, file)).toEqual(["puppet ready", ...numbered, "w 1"]);
  });

  it("does not log again the lines a redraw shows anew a row or two lower (a CLI redrawing after a resize)", async () => {
    const { session, file } = await loggedPuppet("L6", 10);
    const wide = "w".repeat(50); // two rows at 40 columns
    await emit(session, `a1\r\n${wide}\r\na2\r\na3\r\n`);
    await logged(file, "a3");
    // The pane grows (a client attached at a larger size) and the program draws its screen anew:
    // a new line on top, what it showed before one row lower, then new output.
    session.resize(40, 12);
    await emit(
      session,
      `\x1b[H\x1b[2Jheader\r\npuppet ready\r\na1\r\n${wide}\r\na2\r\na3\r\nb1\r\n`,
    );
    await logged(file, "b1");
    // Drawn anew two rows lower, and the program ends before the redraw could settle.
    await emit(
      session,
      `\x1b[H\x1b[2J\r\nheader\r\npuppet ready\r\na1\r\n${wide}\r\na2\r\na3\r\nb1\r\nb2\r\n`,
    );
    expect(await ended(session, file)).toEqual([
      "puppet ready",
      "a1",
      wide,
      "a2",
      "a3",
      "header",
      "b1",
      "",
      "b2",
    ]);
  });

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
