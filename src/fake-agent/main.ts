#!/usr/bin/env node
/**
 * tower-fake-agent: a scripted stand-in for an AI coding CLI, for Tower's tests and demo. It looks
 * and behaves like one (coloured banner, a spinner with "esc to interrupt" while it works, file
 * edits and commits in its worktree, `tower lock`/`unlock`, a numbered "Do you want to proceed?"
 * question that waits for the answer, a prompt that echoes what it is told) and does exactly
 * what its script says, so tests are deterministic. Node only, no dependencies.
 *
 *   tower-fake-agent [--script FILE] [--step COMMAND]... [TASK...]
 *
 * The script format is in script.ts. Without --script or --step it runs DEFAULT_SCRIPT.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_SCRIPT, expand, parseScript, ScriptError, type Step } from "./script.js";

const ESC = "\x1b";
const CSI = `${ESC}[`;
const HIDE_CURSOR = `${CSI}?25l`;
const SHOW_CURSOR = `${CSI}?25h`;
const PASTE_ON = `${CSI}?2004h`;
const PASTE_OFF = `${CSI}?2004l`;
const SPINNER = ["·", "✢", "✳", "✶", "✻", "✽", "✻", "✶", "✳", "✢"];

const color = (code: string, text: string) => `${CSI}${code}m${text}${CSI}0m`;
const bold = (text: string) => color("1", text);
const dim = (text: string) => color("2", text);
const orange = (text: string) => color("38;5;208", text);

function out(text: string): void {
  process.stdout.write(text);
}

/**
 * The built CLI next to this file: the bundle that `tower` runs (dist/fake-agent →
 * dist/bin/tower.js), else tsc's output (dist/cli/main.js); from src/, the same under dist/.
 */
export function towerCli(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = ["../bin/tower.js", "../cli/main.js", "../../dist/bin/tower.js"].map((file) =>
    path.resolve(here, file),
  );
  return (
    candidates.find((file) => existsSync(file)) ?? path.resolve(here, "../../dist/cli/main.js")
  );
}

/** Keys as they arrive: escape sequences whole, everything else one code point at a time. */
const TOKEN = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1bO[\s\S]|\x1b|[\s\S]/gu;

class Keys {
  private readonly queue: string[] = [];
  private waiter: ((key: string | null) => void) | undefined;
  private ended = false;

  constructor(input: NodeJS.ReadStream) {
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => {
      for (const match of chunk.matchAll(TOKEN)) {
        const key = match[0];
        if (key === "\x03") finish(130); // Ctrl-C (raw mode turns off the terminal's signals)
        this.push(key);
      }
    });
    input.on("end", () => {
      this.ended = true;
      this.push(null);
    });
  }

  private push(key: string | null): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(key);
    } else if (key !== null) this.queue.push(key);
  }

  /** The next key; null at end of input, or when `timeoutMs` passes first. */
  next(timeoutMs?: number): Promise<string | null> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) {
      if (timeoutMs === undefined) return Promise.resolve(null);
      return new Promise((resolve) => setTimeout(() => resolve(null), timeoutMs));
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.waiter = (key) => {
        clearTimeout(timer);
        resolve(key);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiter = undefined;
          resolve(null);
        }, timeoutMs);
      }
    });
  }
}

let rawMode = false;
/** Modes to undo before exiting (only those changed, so a clean exit writes nothing more). */
const restore = { cursor: false, paste: false };

function finish(code: number): never {
  if (restore.paste) out(PASTE_OFF);
  if (restore.cursor) out(SHOW_CURSOR);
  if (rawMode) process.stdin.setRawMode(false);
  process.exit(code);
}

function cursorHidden(hidden: boolean): string {
  restore.cursor = hidden;
  return hidden ? HIDE_CURSOR : SHOW_CURSOR;
}

function pasteMode(on: boolean): string {
  restore.paste = on;
  return on ? PASTE_ON : PASTE_OFF;
}

/** Columns a text takes: escape sequences none, East Asian wide characters two. */
function visibleWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(/\x1b\[[0-9;]*m/g, "")) {
    const code = ch.codePointAt(0) ?? 0;
    width +=
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0x1f300 && code <= 0x1faff)
        ? 2
        : 1;
  }
  return width;
}

function banner(env: NodeJS.ProcessEnv): void {
  const width = 58;
  const border = (text: string) => orange(text);
  const row = (text: string) => {
    const fitted = visibleWidth(text) > width ? `${text.slice(0, width - 1)}…` : text;
    const pad = " ".repeat(Math.max(0, width - visibleWidth(fitted)));
    out(`${border("│")}${fitted}${pad}${border("│")}\n`);
  };
  out(`${border(`╭${"─".repeat(width)}╮`)}\n`);
  row(` ${orange("✻")} Welcome to ${bold("Fake Agent")} ${dim("(塔 tower demo)")}`);
  row(`   agent ${env.TOWER_AGENT_ID ?? "?"} · stream ${env.TOWER_STREAM ?? "?"}`);
  row(`   cwd: ${process.cwd()}`);
  out(`${border(`╰${"─".repeat(width)}╯`)}\n\n`);
}

async function work(keys: Keys, ms: number, label: string): Promise<void> {
  const start = Date.now();
  let frame = 0;
  let interrupted = false;
  out(cursorHidden(true));
  for (;;) {
    const elapsed = Date.now() - start;
    if (elapsed >= ms) break;
    const seconds = Math.floor(elapsed / 1000);
    const glyph = SPINNER[frame++ % SPINNER.length] ?? "*";
    // One screen line, as a real CLI keeps its spinner: a line that wrapped would stack up on
    // every redraw, since \r only returns to the start of its last row.
    const width = Math.max(10, (process.stdout.columns || 80) - 1);
    const hint = `(${seconds}s · esc to interrupt)`;
    const text = `${label}… `.length + hint.length + 2 <= width ? `${label}… ` : "";
    const room = Math.max(0, width - 2 - text.length);
    out(`\r${CSI}2K${color("38;5;174", glyph)} ${text}${dim(hint.slice(0, room))}`);
    const key = await keys.next(Math.min(100, ms - elapsed));
    if (key === ESC) {
      interrupted = true;
      break;
    }
  }
  out(`\r${CSI}2K${cursorHidden(false)}`);
  if (interrupted) out(`  ${dim("⎿")}  ${color("31", "Interrupted by user")}\n`);
}

const UP = new Set([`${CSI}A`, `${ESC}OA`]);
const DOWN = new Set([`${CSI}B`, `${ESC}OB`]);

/** Asks a yes/no question as a numbered menu; resolves true for yes. */
async function ask(keys: Keys, question: string): Promise<boolean> {
  const options = ["Yes", "No"];
  let selected = 0;
  const draw = (first: boolean) => {
    if (!first) out(`\r${CSI}${options.length}A`);
    options.forEach((option, i) => {
      const marker = i === selected ? color("36", "❯") : " ";
      const text = `${i + 1}. ${option}`;
      out(`\r${CSI}2K ${marker} ${i === selected ? color("36", text) : text}\n`);
    });
  };
  out(`${cursorHidden(true)}${bold(question)}\n`);
  draw(true);
  let answer: boolean | undefined;
  while (answer === undefined) {
    const key = await keys.next();
    if (key === null || key === "2" || key === "n" || key === "N" || key === ESC) answer = false;
    else if (key === "1" || key === "y" || key === "Y") answer = true;
    else if (key === "\r" || key === "\n") answer = selected === 0;
    else if (UP.has(key) || DOWN.has(key)) {
      selected = UP.has(key)
        ? Math.max(0, selected - 1)
        : Math.min(options.length - 1, selected + 1);
      draw(false);
    }
  }
  // Replace the question and its menu by the answer.
  out(`\r${CSI}${options.length + 1}A${CSI}J${cursorHidden(false)}`);
  out(`${question} ${dim("⎿")} ${answer ? color("32", "Yes") : color("31", "No")}\n`);
  return answer;
}

/** Reads lines at a "> " prompt and echoes them; `count` lines, or until end of input. */
async function echo(keys: Keys, count: number | undefined): Promise<void> {
  out(pasteMode(true));
  for (let n = 0; count === undefined || n < count; n++) {
    out(`${bold(">")} `);
    let line = "";
    let ended = false;
    for (;;) {
      const key = await keys.next();
      if (key === null || (key === "\x04" && line === "")) {
        ended = true;
        break;
      }
      if (key === "\r" || key === "\n") break;
      if (key === "\x7f" || key === "\b") {
        if (line !== "") {
          line = [...line].slice(0, -1).join("");
          out("\b \b");
        }
      } else if (key === `${CSI}200~` || key === `${CSI}201~` || key.startsWith(ESC)) {
        // Paste markers and other keys: not part of the line.
      } else if (key >= " ") {
        line += key;
        out(key);
      }
    }
    out("\n");
    if (ended) break;
    out(`${dim("⎿")} You said: ${line}\n`);
  }
  out(pasteMode(false));
}

/** Runs a tool as the agent would, showing its call and the first line of what it said. */
function runTool(
  env: NodeJS.ProcessEnv,
  title: string,
  file: string,
  args: string[],
  quiet?: () => string,
): boolean {
  out(`${color("32", "⏺")} ${bold("Bash")}(${title})\n`);
  const result = spawnSync(file, args, { encoding: "utf8", env });
  const ok = result.status === 0;
  let text = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() || result.error?.message || "";
  if (ok && text === "" && quiet) text = quiet();
  const first = text.split("\n")[0] ?? "";
  out(`  ${dim("⎿")}  ${ok ? first : color("31", first || `failed (${result.status})`)}\n`);
  return ok;
}

async function run(steps: Step[], env: NodeJS.ProcessEnv, keys: Keys): Promise<number> {
  let skipNext = false;
  for (const step of steps) {
    if (skipNext) {
      skipNext = false;
      continue;
    }
    switch (step.kind) {
      case "banner":
        banner(env);
        break;
      case "say":
        out(`${expand(step.text, env)}\n`);
        break;
      case "work":
        await work(keys, step.ms, expand(step.label, env));
        break;
      case "sleep":
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        break;
      case "edit": {
        const file = expand(step.file, env);
        mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        appendFileSync(file, `${expand(step.text, env)}\n`);
        out(`${color("32", "⏺")} ${bold("Update")}(${file})\n  ${dim("⎿")}  Added 1 line\n`);
        break;
      }
      case "commit": {
        const message = expand(step.message, env);
        spawnSync("git", ["add", "-A"], { env });
        runTool(env, `git commit -m "${message}"`, "git", ["commit", "-q", "-m", message], () => {
          const head = spawnSync("git", ["log", "-1", "--format=%h %s"], { encoding: "utf8" });
          return head.stdout.trim();
        });
        break;
      }
      case "lock":
      case "unlock": {
        const paths = step.paths.map((p) => expand(p, env));
        runTool(env, `tower ${step.kind} ${paths.join(" ")}`, process.execPath, [
          towerCli(),
          step.kind,
          ...paths,
        ]);
        break;
      }
      case "tower": {
        const args = step.args.map((a) => expand(a, env));
        runTool(env, `tower ${args.join(" ")}`, process.execPath, [towerCli(), ...args]);
        break;
      }
      case "ask":
        if (!(await ask(keys, expand(step.question, env)))) skipNext = true;
        break;
      case "echo":
        await echo(keys, step.count);
        break;
      case "bell":
        out("\x07");
        break;
      case "notify":
        out(`${ESC}]9;${expand(step.text, env)}\x07`);
        break;
      case "title":
        out(`${ESC}]0;${expand(step.text, env)}\x07`);
        break;
      case "exit":
        return step.code;
    }
  }
  return 0;
}

const USAGE = `usage: tower-fake-agent [--script FILE] [--step COMMAND]... [TASK...]

Runs a script of commands (one per line, or a JSON array of lines): banner, say TEXT,
work MS [LABEL], sleep MS, edit FILE TEXT, commit MESSAGE, lock PATH..., unlock PATH...,
ask QUESTION, echo [COUNT], bell, notify TEXT, title TEXT, exit CODE.
Without --script or --step it runs a short demo session.
`;

/** The script texts given by --script and --step (in order), or the default script. */
function parseArgs(argv: string[]): { scripts: string[]; task: string | undefined } {
  const scripts: string[] = [];
  const task: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const value = (name: string): string => {
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      const next = argv[++i];
      if (next === undefined) throw new ScriptError(`${name} needs a value`);
      return next;
    };
    if (arg === "-h" || arg === "--help") {
      out(USAGE);
      process.exit(0);
    } else if (arg === "--script" || arg.startsWith("--script=")) {
      scripts.push(readFileSync(value("--script"), "utf8"));
    } else if (arg === "--step" || arg.startsWith("--step=")) {
      scripts.push(value("--step"));
    } else task.push(arg);
  }
  return {
    scripts: scripts.length > 0 ? scripts : [DEFAULT_SCRIPT],
    task: task.length > 0 ? task.join(" ") : undefined,
  };
}

async function main(): Promise<number> {
  let steps: Step[];
  let env: NodeJS.ProcessEnv;
  try {
    const { scripts, task } = parseArgs(process.argv.slice(2));
    steps = scripts.flatMap((script) => parseScript(script));
    env = task === undefined ? process.env : { ...process.env, TOWER_TASK: task };
  } catch (error) {
    process.stderr.write(`tower-fake-agent: ${(error as Error).message}\n`);
    return 2;
  }
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    rawMode = true;
  }
  const keys = new Keys(process.stdin);
  return run(steps, env, keys);
}

finish(await main());
