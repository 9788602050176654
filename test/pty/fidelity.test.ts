/**
 * Fidelity against tmux: the same program at the same size (80x24, TERM=xterm-256color) in a
 * Tower session and in a tmux pane (private socket), and the text of every cell compared.
 * vim, less and the fake agent are deterministic and compared whole, also after keys are sent
 * to both; top changes with the clock and its process list, so the live comparison masks the
 * numbers in its summary and header rows, and a recording of one top screen, replayed into both,
 * is compared whole.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { spawn } from "node-pty";
import { afterEach, describe, expect, it } from "vitest";
import type { Session } from "../../src/pty/index.js";
import {
  cleanup,
  fakeAgentCommand,
  shellLine,
  startSession,
  Tmux,
  tempDir,
  testEnv,
  waitUntil,
} from "./helpers.js";

afterEach(cleanup);

const COLS = 80;
const ROWS = 24;

interface Pair {
  tmux: Tmux;
  name: string;
  session: Session;
}

/** The same shell command in tmux and in Tower, same size, same folder, same environment. */
async function startBoth(command: string, cwd: string, extraEnv: Record<string, string> = {}) {
  const env = testEnv({ HOME: cwd, COLORTERM: "truecolor", ...extraEnv });
  const tmuxEnv = { ...env, TOWER_AGENT_ID: "A1", TOWER_STREAM: "A", TOWER_TASK: "test task" };
  const tmux = new Tmux(tmuxEnv);
  const name = "pane";
  await tmux.start(name, command, cwd, COLS, ROWS);
  const session = startSession({
    command: ["sh", "-c", command],
    worktree: cwd,
    env,
    cols: COLS,
    rows: ROWS,
  });
  return { tmux, name, session };
}

const trimRows = (rows: readonly string[]) => rows.map((row) => row.replace(/ +$/, ""));

function diff(a: readonly string[], b: readonly string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      lines.push(`row ${i}\n  tmux:  ${JSON.stringify(a[i])}\n  tower: ${JSON.stringify(b[i])}`);
  }
  return lines.join("\n");
}

/**
 * Waits until both screens satisfy `ready`, then until they are equal (programs draw in several
 * writes); fails with the differing rows. `mask` compares a transformed view instead.
 */
async function expectSameScreen(
  pair: Pair,
  ready: (rows: string[]) => boolean,
  what: string,
  mask: (rows: string[]) => string[] = (rows) => rows,
): Promise<string[]> {
  await pair.tmux.waitFor(pair.name, ready, what);
  let last: { tmux: string[]; tower: string[] } = { tmux: [], tower: [] };
  try {
    await waitUntil(
      async () => {
        await pair.session.whenParsed();
        const tower = trimRows(pair.session.text());
        const tmux = trimRows(await pair.tmux.capture(pair.name));
        if (tmux.length !== ROWS || tower.length !== ROWS) return undefined;
        last = { tmux: mask(tmux), tower: mask(tower) };
        if (!ready(tower)) return undefined;
        return diff(last.tmux, last.tower) === "" ? true : undefined;
      },
      () => what,
      10_000,
    );
  } catch {
    expect.fail(`${what}: Tower and tmux differ\n${diff(last.tmux, last.tower)}`);
  }
  expect(last.tower).toEqual(last.tmux);
  return last.tower;
}

const has = (text: string) => (rows: string[]) => rows.some((row) => row.includes(text));

/** A file with tabs, wide characters, long (wrapping) lines and trailing blanks. */
function sampleFile(dir: string): string {
  const lines = Array.from({ length: 60 }, (_, i) => {
    const n = i + 1;
    return `${n}\tline ${n} ${"中文".repeat(n % 3)} ${"x".repeat((n * 7) % 70)}${n % 5 === 0 ? "   " : ""}`;
  });
  lines[12] = `long ${"wrap me ".repeat(25)}end`;
  lines[20] = "emoji 🚀 and 👍 and CJK 表 in vim";
  writeFileSync(path.join(dir, "file.txt"), `${lines.join("\n")}\n`);
  return "file.txt";
}

describe("fidelity against tmux", () => {
  it("vim", async () => {
    const dir = tempDir();
    const file = sampleFile(dir);
    const pair = await startBoth(`exec vim -u NONE -N -i NONE -n ${file}`, dir);
    await expectSameScreen(pair, has(`"${file}" 60L`), "vim showing the file");

    await pair.tmux.sendKeys(pair.name, "-l", ":set number");
    await pair.tmux.sendKeys(pair.name, "Enter");
    await pair.tmux.sendKeys(pair.name, "-l", "G");
    pair.session.write(":set number\rG");
    const end = (rows: string[]) => rows.some((row) => /^\s*60 \s*60\s+line 60/.test(row));
    await expectSameScreen(pair, end, "vim at the end with line numbers");

    await pair.tmux.sendKeys(pair.name, "-l", "13Gzt");
    pair.session.write("13Gzt");
    await expectSameScreen(
      pair,
      (rows) => /^\s*13 long wrap me/.test(rows[0] ?? ""),
      "vim wrapped line at top",
    );
  });

  it("less", async () => {
    const dir = tempDir();
    const file = sampleFile(dir);
    const pair = await startBoth(`exec less ${file}`, dir);
    await expectSameScreen(pair, (rows) => rows[23]?.startsWith(file) ?? false, "less first page");

    await pair.tmux.sendKeys(pair.name, "Space");
    pair.session.write(" ");
    const secondPage = (rows: string[]) => rows.some((row) => /^26\s+line 26/.test(row));
    await expectSameScreen(pair, secondPage, "less second page");

    await pair.tmux.sendKeys(pair.name, "-l", "/line 50");
    await pair.tmux.sendKeys(pair.name, "Enter");
    pair.session.write("/line 50\r");
    await expectSameScreen(
      pair,
      (rows) => rows[0]?.startsWith("50") ?? false,
      "less after a search",
    );
  });

  it("top, live: the same summary and header with numbers masked", async () => {
    const dir = tempDir();
    const pair = await startBoth("exec top -d 100", dir);
    const ready = (rows: string[]) => rows.some((row) => /PID\s+USER/.test(row));
    const mask = (rows: string[]) => rows.slice(0, 7).map((row) => row.replace(/[\s\d.:]+/g, "#"));
    const rows = await expectSameScreen(pair, ready, "top's first screen", mask);
    expect(rows[0]).toMatch(/^top#-#up#/);
    expect(
      rows.some((row) => /PID#USER#PR#NI#VIRT#RES#SHR#S#%CPU#%MEM#TIME\+#COMMAND/.test(row)),
    ).toBe(true);
  });

  it("top, recorded: one screen replayed into both, every cell", async () => {
    const dir = tempDir();
    // Record top's output for an 80x24 xterm-256color terminal.
    const chunks: Buffer[] = [];
    const top = spawn("top", ["-d", "100"], {
      name: "xterm-256color",
      cols: COLS,
      rows: ROWS,
      cwd: dir,
      env: testEnv({ HOME: dir }),
      encoding: null,
    });
    top.onData((data) => chunks.push(data as unknown as Buffer));
    await waitUntil(
      () => (/%MEM/.test(Buffer.concat(chunks).toString("latin1")) ? true : undefined),
      () => "top's screen",
    );
    // Everything of the first screen, including the rows drawn after the header.
    await new Promise((resolve) => setTimeout(resolve, 300));
    top.kill("SIGKILL");
    const recording = path.join(dir, "top.bin");
    writeFileSync(recording, Buffer.concat(chunks));
    const pair = await startBoth(`cat ${recording}; exec sleep 60`, dir);
    const rows = await expectSameScreen(pair, has("%MEM"), "replayed top screen");
    expect(rows.filter((row) => row !== "").length).toBeGreaterThan(10);
  });

  it("fake agent", async () => {
    const dir = tempDir();
    const script = [
      "banner",
      "say Wide: 中文字 and emoji 🚀 in a line",
      // Text, then an absolute column: where "|" lands shows the widths the emulator gave.
      "say 中文🚀👍x\u001b[20G|col 20",
      "say ⏺✻❯⎿✔│─\u001b[20G|col 20",
      "say \u001b[1;35mstyled\u001b[0m text",
      "work 300 Thinking",
      "edit notes.txt hello",
      "ask Do you want to proceed?",
      "say finished after the answer",
      "sleep 60000",
    ].join("\n");
    const command = shellLine(["exec", ...fakeAgentCommand("--step", script)]);
    const pair = await startBoth(command, dir);
    await expectSameScreen(pair, has("2. No"), "fake agent asking");
    await pair.tmux.sendKeys(pair.name, "-l", "1");
    pair.session.approve();
    await expectSameScreen(pair, has("finished after the answer"), "fake agent after the answer");
  });
});
