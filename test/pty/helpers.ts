/**
 * Helpers for the pty tests: sessions on real pseudo-terminals in temporary folders, cleaned up
 * after each test, a tmux server on a private socket, and the built fake agent.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Session, type SessionOptions } from "../../src/pty/index.js";
import { PROJECT_ROOT, waitFor } from "../helpers/repo.js";
import { removeTmuxSocket } from "../helpers/tmux-socket.js";

export { PROJECT_ROOT, waitFor };

export const FAKE_AGENT = path.join(PROJECT_ROOT, "dist/fake-agent/main.js");

/** The built fake agent; the tests need `npm run build` first (as `npm test` does). */
export function fakeAgentCommand(...args: string[]): string[] {
  if (!existsSync(FAKE_AGENT)) {
    throw new Error(`${FAKE_AGENT} is missing: run \`npm run build\` first`);
  }
  return [process.execPath, FAKE_AGENT, ...args];
}

const cleanups: (() => unknown)[] = [];

/** Runs the registered cleanups (sessions, folders, tmux servers); call in afterEach. */
export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // Best effort: one failed cleanup must not hide the test's own result.
    }
  }
}

export function tempDir(prefix = "tower-pty-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment the tests give programs: no TOWER_* or tmux leftovers, a UTF-8 locale. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith("TOWER_") || key.startsWith("TMUX")) continue;
    if (key === "LESS" || key === "LESSOPEN" || key === "LESSCLOSE" || key === "VIMINIT") continue;
    env[key] = value;
  }
  return { ...env, LC_ALL: "C.UTF-8", LANG: "C.UTF-8", ...extra };
}

export type TestSessionOptions = Partial<SessionOptions> & Pick<SessionOptions, "command">;

/** A started session in a temporary worktree (log off unless asked for), disposed after the test. */
export function startSession(options: TestSessionOptions): Session {
  const dir = options.worktree ?? tempDir();
  const session = new Session({
    agent: "A1",
    stream: "A",
    task: "test task",
    worktree: dir,
    repoRoot: dir,
    stateDir: path.join(dir, ".state"),
    env: testEnv(),
    log: false,
    stopGraceMs: 1_000,
    ...options,
  });
  cleanups.push(() => session.dispose(200));
  session.start();
  return session;
}

/** Polls `check` until it returns a value; the failure message is built when it fails. */
export async function waitUntil<T>(
  check: () => T | undefined | Promise<T | undefined>,
  describe: () => string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the session's screen text satisfies `check`. */
export function waitForScreen(
  session: Session,
  check: (rows: string[]) => boolean,
  what = "screen",
  timeoutMs = 15_000,
): Promise<string[]> {
  return waitUntil(
    async () => {
      await session.whenParsed();
      const rows = session.text();
      return check(rows) ? rows : undefined;
    },
    () => `${what}; screen was:\n${session.text().join("\n")}`,
    timeoutMs,
  );
}

/** Waits until the session has status `status`. */
export function waitForStatus(session: Session, status: string, timeoutMs = 15_000): Promise<true> {
  return waitUntil(
    () => (session.status === status ? true : undefined),
    () => `status ${status} (is ${session.status}); screen was:\n${session.text().join("\n")}`,
    timeoutMs,
  );
}

export const screenHas = (text: string) => (rows: string[]) =>
  rows.some((row) => row.includes(text));

/** A Node program run in the session: `code` is the body of an ES module. */
export function nodeProgram(dir: string, code: string): string[] {
  const file = path.join(dir, `prog-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  return [process.execPath, file];
}

/** SGR sequences removed. */
export function stripSgr(row: string): string {
  return row.replace(/\x1b\[[0-9;:]*m/g, "");
}

/** A tmux server of its own (private socket, no user config), killed after the test. */
export class Tmux {
  readonly socket = `tower-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly config: string;
  private readonly env: Record<string, string>;

  constructor(env: Record<string, string>) {
    const dir = tempDir("tower-tmux-");
    this.config = path.join(dir, "tmux.conf");
    // Programs get the same TERM as in Tower; no status line, so the pane is the whole window.
    writeFileSync(
      this.config,
      "set -g default-terminal xterm-256color\nset -g status off\nset -g history-limit 5000\n",
    );
    this.env = env;
    cleanups.push(() => this.kill());
  }

  run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        "tmux",
        ["-L", this.socket, "-f", this.config, ...args],
        { env: this.env, encoding: "utf8" },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
  }

  /** A detached session `name` running the shell command `command` in `cwd`. */
  async start(name: string, command: string, cwd: string, cols = 80, rows = 24): Promise<void> {
    await this.run([
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      String(cols),
      "-y",
      String(rows),
      "-c",
      cwd,
      command,
    ]);
  }

  /** The pane's visible rows as text (tmux trims trailing spaces). */
  async capture(name: string): Promise<string[]> {
    const text = await this.run(["capture-pane", "-p", "-t", name]);
    const rows = text.split("\n");
    if (rows.at(-1) === "") rows.pop();
    return rows;
  }

  async waitFor(
    name: string,
    check: (rows: string[]) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<string[]> {
    let last: string[] = [];
    return waitUntil(
      async () => {
        last = await this.capture(name);
        return check(last) ? last : undefined;
      },
      () => `tmux ${what}; pane was:\n${last.join("\n")}`,
      timeoutMs,
    );
  }

  sendKeys(name: string, ...keys: string[]): Promise<string> {
    return this.run(["send-keys", "-t", name, ...keys]);
  }

  kill(): void {
    try {
      execFileSync("tmux", ["-L", this.socket, "kill-server"], { stdio: "ignore" });
    } catch {
      // Not running.
    }
    removeTmuxSocket(this.socket);
  }
}

/** `command` words quoted for `sh -c`. */
export function shellLine(words: readonly string[]): string {
  return words
    .map((w) => (/^[\w./=:-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}

export const PUPPET = path.join(PROJECT_ROOT, "test/pty/programs/puppet.mjs");
export const RECORDER = path.join(PROJECT_ROOT, "test/pty/programs/recorder.mjs");

/** A session running the puppet program, ready for `emit`. */
export async function startPuppet(options: Partial<TestSessionOptions> = {}): Promise<Session> {
  const session = startSession({ command: [process.execPath, PUPPET], ...options });
  await waitForScreen(session, screenHas("puppet ready"), "puppet ready");
  return session;
}

/** Makes the puppet write `bytes` to its terminal, and waits until the emulator parsed them. */
export async function emit(session: Session, bytes: string, until?: (rows: string[]) => boolean) {
  const marker = `\x1b]2;emit-${Math.random().toString(36).slice(2)}\x07`;
  let seen = false;
  const off = session.on("title", (title) => {
    if (marker.includes(title)) seen = true;
  });
  try {
    // The title change after the bytes tells when they have all been parsed.
    session.write(`${Buffer.from(bytes + marker, "utf8").toString("base64")}\r`);
    await waitFor(() => (seen ? true : undefined), 10_000, "puppet output");
    if (until) await waitForScreen(session, until, "puppet screen");
  } finally {
    off();
  }
}

/** Columns a plain string takes, for the characters the tests use (CJK and emoji: two). */
export function columns(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    width += (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0x1f300 && code <= 0x1faff) ? 2 : 1;
  }
  return width;
}
