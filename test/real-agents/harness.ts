/**
 * Driving a real agent CLI in Tower's own Session: a real git repository to work in, the CLI in
 * a pseudo-terminal against the scripted model endpoint, and a tap on the raw output so tests
 * and the fixture recorder can see the window titles and OSC sequences the CLI emits.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session } from "../../src/pty/index.js";
import type { Preset } from "../../src/pty/presets.js";
import type { AgentEnv } from "./cli-env.js";
import { ModelServer, type Turn } from "./model-server.js";
import { RawTap } from "./raw-tap.js";

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
  // Retried: a git the CLI started may still be writing into .git for a moment after the CLI
  // stopped (rmdir then fails with ENOTEMPTY, as seen once in CI).
  return {
    root,
    cleanup: () =>
      rmSync(parent, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
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
 * Waits until a file under `dir` whose path matches `name` holds every one of `texts`, and
 * returns its path. An agent draws an answer before its writer has appended it to the session
 * file, and a stop then can cut it off: a test stops a session it will resume only once this
 * returns.
 */
export function sessionFileHolding(
  dir: string,
  name: RegExp,
  texts: readonly string[],
  timeoutMs = 30_000,
): Promise<string> {
  const files = () =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => path.join(dir, f))
      : [];
  return until(
    () =>
      files().find((file) => {
        if (!name.test(file)) return false;
        try {
          const text = readFileSync(file, "utf8");
          return texts.every((t) => text.includes(t));
        } catch {
          return false; // a folder, or a file being replaced
        }
      }),
    () => `a file under ${dir} named like ${name} holding ${texts.join(", ")}; files: ${files()}`,
    timeoutMs,
  );
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
