/**
 * Driving a real agent CLI in Tower's own Session: a real git repository to work in, the CLI in
 * a pseudo-terminal against the scripted model endpoint, and a tap on the raw output so tests
 * and the fixture recorder can see the window titles and OSC sequences the CLI emits.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session } from "../../src/pty/index.js";
import type { Preset } from "../../src/pty/presets.js";
import type { AgentEnv } from "./cli-env.js";
import { ModelServer, type Turn } from "./model-server.js";

/** A git repository with one commit in a fresh temp folder (its real path: no symlinks). */
export function makeGitRepo(prefix = "tower-real-agent-"): { root: string; cleanup(): void } {
  const parent = realpathSync(mkdtempSync(path.join(os.tmpdir(), prefix)));
  const root = path.join(parent, "repo");
  mkdirSync(root);
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "test@example.com");
  git("config", "user.name", "Test");
  writeFileSync(path.join(root, "README.md"), "# scratch repository\n");
  git("add", ".");
  git("commit", "-q", "-m", "initial");
  return { root, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}

/** One OSC sequence from the raw output. */
export interface Osc {
  /** Milliseconds since the session started. */
  at: number;
  /** The OSC number (0, 2, 7501, ...). */
  code: number;
  /** What follows `<code>;`. */
  data: string;
  /** The whole sequence, escapes shown as `\e`, BEL as `\a`. */
  raw: string;
}

/** Records every byte the program writes, before the emulator parses it. */
export class RawTap {
  private readonly parts: Buffer[] = [];
  private readonly started = Date.now();
  private readonly times: { at: number; offset: number }[] = [];
  private size = 0;

  constructor(session: Session) {
    const terminal = session.terminal;
    const write = terminal.write.bind(terminal);
    // The session writes every chunk of pty output to its emulator: record it on the way.
    terminal.write = ((data: string | Uint8Array, callback?: () => void) => {
      const chunk = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
      this.times.push({ at: Date.now() - this.started, offset: this.size });
      this.parts.push(chunk);
      this.size += chunk.length;
      write(data, callback);
    }) as typeof terminal.write;
  }

  /** Milliseconds since the session started (the clock of `Osc.at`). */
  elapsed(): number {
    return Date.now() - this.started;
  }

  /** All output so far as a string (UTF-8). */
  text(): string {
    return Buffer.concat(this.parts).toString("utf8");
  }

  /** Bytes received so far (use as a mark: `oscs(mark)` lists only what came after). */
  get length(): number {
    return this.size;
  }

  /** The OSC sequences in the output (from byte `from` on), with when they arrived. */
  oscs(from = 0): Osc[] {
    const all = Buffer.concat(this.parts);
    const text = all.subarray(from).toString("latin1");
    const out: Osc[] = [];
    const pattern = /\x1b\](\d+);?([^\x07\x1b]*)(\x07|\x1b\\)/g;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const offset = from + m.index;
      const at = [...this.times].reverse().find((t) => t.offset <= offset)?.at ?? 0;
      const data = Buffer.from(m[2] ?? "", "latin1").toString("utf8");
      out.push({
        at,
        code: Number(m[1]),
        data,
        raw: `\\e]${m[1]};${data}${m[3] === "\x07" ? "\\a" : "\\e\\\\"}`,
      });
    }
    return out;
  }

  /** How many BEL characters came outside OSC sequences (from byte `from` on). */
  bells(from = 0): number {
    const text = Buffer.concat(this.parts).subarray(from).toString("latin1");
    return (text.replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "").match(/\x07/g) ?? []).length;
  }
}

export interface AgentSession {
  session: Session;
  tap: RawTap;
}

/** Starts the CLI of `agent` in a Session in `worktree` (80x30 unless told). */
export function startAgent(
  agent: AgentEnv,
  worktree: string,
  options: { preset?: Preset; cols?: number; rows?: number } = {},
): AgentSession {
  const session = new Session({
    agent: "A1",
    stream: "A",
    task: "real agent test",
    command: agent.command,
    preset: options.preset ?? agent.cli,
    worktree,
    repoRoot: worktree,
    stateDir: path.join(worktree, ".git", "tower-state"),
    env: agent.env,
    log: false,
    cols: options.cols ?? 100,
    rows: options.rows ?? 30,
    stopGraceMs: 5_000,
  });
  const tap = new RawTap(session);
  session.start();
  return { session, tap };
}

/** A real CLI at work: its repository, its model endpoint, its environment and its session. */
export interface RealAgentRun {
  repo: { root: string };
  server: ModelServer;
  agent: AgentEnv;
  session: Session;
  tap: RawTap;
  /** Stops the CLI and removes everything the run made. */
  dispose(): Promise<void>;
}

/**
 * Starts a CLI in a fresh repository against a fresh model endpoint with `script`.
 * `makeEnv` builds the CLI's environment from the endpoint's URL and the repository's root.
 */
export async function startRun(options: {
  script: Turn[];
  makeEnv: (modelUrl: string, root: string) => AgentEnv;
  cols?: number;
  rows?: number;
}): Promise<RealAgentRun> {
  const repo = makeGitRepo();
  const server = await new ModelServer({ script: options.script }).listen();
  let agent: AgentEnv;
  try {
    agent = options.makeEnv(server.url, repo.root);
  } catch (error) {
    await server.close();
    repo.cleanup();
    throw error;
  }
  const { session, tap } = startAgent(agent, repo.root, options);
  let disposed = false;
  return {
    repo,
    server,
    agent,
    session,
    tap,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.dispose(5_000);
      await server.close();
      agent.cleanup();
      repo.cleanup();
    },
  };
}

/** Polls `check` every 50 ms until it returns a value; the message says what was awaited. */
export async function until<T>(
  check: () => T | undefined | Promise<T | undefined>,
  describe: () => string,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until a screen line matches `pattern` (each of them, for a list: a prompt is complete
 * once its last line is drawn too); the failure shows the screen and the requests.
 */
export function screenShows(
  run: Pick<RealAgentRun, "session" | "server">,
  pattern: RegExp | readonly RegExp[],
  timeoutMs = 90_000,
): Promise<string[]> {
  const patterns = pattern instanceof RegExp ? [pattern] : pattern;
  return until(
    async () => {
      await run.session.whenParsed();
      const rows = run.session.text();
      return patterns.every((p) => rows.some((row) => p.test(row))) ? rows : undefined;
    },
    () => {
      const screen = run.session.text().join("\n");
      const errors = run.server.errors.join("; ") || "none";
      return `${patterns.join(" and ")} on screen (status ${run.session.status}); screen was:\n${screen}\nrequests:\n${run.server.describeRequests()}\nserver errors: ${errors}`;
    },
    timeoutMs,
  );
}

/**
 * Types `text` at the CLI's prompt and submits it, once the CLI really takes input: a CLI can
 * draw its input box before it reads the keyboard (Gemini CLI does, and drops what came
 * earlier), so the text is typed again until `inputLine` shows it, and Enter is sent again until
 * the model endpoint receives a request (a CLI may take an Enter that follows text too closely
 * as part of a paste).
 */
export async function submitPrompt(
  run: Pick<RealAgentRun, "session" | "server">,
  text: string,
  inputLine: RegExp,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, Math.min(5_000, deadline - Date.now()));
  const shown = async () => {
    await run.session.whenParsed();
    return run.session.text().some((row) => inputLine.test(row)) ? true : undefined;
  };
  for (;;) {
    run.session.write(text);
    try {
      await until(shown, () => "", left());
      break;
    } catch {
      // Typed too early and dropped (an echo by the terminal is not the CLI's input line).
      if (Date.now() >= deadline) await screenShows(run, inputLine, 1);
    }
  }
  const before = run.server.requests.length;
  for (;;) {
    run.session.write("\r");
    try {
      await until(
        () => (run.server.requests.length > before ? true : undefined),
        () => "",
        left(),
      );
      return;
    } catch {
      if (Date.now() >= deadline) {
        throw new Error(
          `the prompt ${JSON.stringify(text)} was not submitted; screen:\n${run.session.text().join("\n")}`,
        );
      }
    }
  }
}

/**
 * Moves the selection of a numbered menu (`› 2. …` or `❯ 2. …`) to item `n` with the arrow keys,
 * pressing again while the CLI has not taken a key yet (a menu can be drawn before it reads the
 * keyboard) and back when a late key overshot.
 */
export async function selectMenuItem(
  run: Pick<RealAgentRun, "session" | "server">,
  n: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const selected = async () => {
    await run.session.whenParsed();
    for (const row of run.session.text()) {
      const match = /^[\s│]*[›❯●]\s*(\d+)\./.exec(row);
      if (match) return Number(match[1]);
    }
    return undefined;
  };
  for (;;) {
    const current = await selected();
    if (current === n) return;
    if (Date.now() > deadline) {
      throw new Error(
        `menu item ${n} not selected (selected: ${current}); screen:\n${run.session.text().join("\n")}`,
      );
    }
    if (current !== undefined) run.session.write(current < n ? "\x1b[B" : "\x1b[A");
    await until(
      async () => ((await selected()) !== current ? true : undefined),
      () => "",
      3_000,
    ).catch(() => undefined);
  }
}

/**
 * Answers the prompt shown by `prompt` (its lines) with `keys`, again while it stays on screen
 * (a key that comes before the CLI reads the keyboard is lost); resolves once it is gone.
 */
export async function answerPrompt(
  run: Pick<RealAgentRun, "session" | "server">,
  keys: string,
  prompt: readonly RegExp[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const shown = async () => {
    await run.session.whenParsed();
    const rows = run.session.text();
    return prompt.every((p) => rows.some((row) => p.test(row)));
  };
  while (await shown()) {
    if (Date.now() > deadline) {
      throw new Error(
        `the prompt stayed after ${JSON.stringify(keys)}:\n${run.session.text().join("\n")}`,
      );
    }
    run.session.write(keys);
    await until(
      async () => ((await shown()) ? undefined : true),
      () => "",
      5_000,
    ).catch(() => undefined);
  }
}
