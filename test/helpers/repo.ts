/**
 * Real temporary git repositories with a plan, and the built CLI run against them.
 */
import { execFile, execFileSync } from "node:child_process";
import { promises as fsp, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The `tower` that npm installs: the bundle of `npm run build` (scripts/bundle.ts). */
export const CLI = path.join(PROJECT_ROOT, "dist/bin/tower.js");

/** Eight streams with one or two agents each: enough agents for eight contending writers. */
export const TEST_PLAN = `version: 1
project: demo
lock_ttl: 60m
agent: [sh, -c, "echo {task}"]
checkpoints:
  design_review: { approval: human }
  final_review: { approval: human, depends_on: [design_review] }
  tests_pass: { run: "true", depends_on: [design_review] }
streams:
  A:
    name: Foundation
    scope: ["config/**"]
    agents:
      - { id: A1, task: "Consolidate config" }
      - { id: A2, task: "Clean up utils" }
  B:
    name: Observability
    scope: ["logging/**"]
    agents:
      - { id: B1, task: "Structured logging" }
      - { id: B2, task: "Metrics" }
  C:
    name: Analytics
    scope: ["analytics/**"]
    agents: [{ id: C1, task: "Reports" }, { id: C2, task: "Dashboards" }]
  D:
    name: Scanners
    scope: ["scanners/**"]
    agents: [{ id: D1, task: "Scanner API" }, { id: D2, task: "Scanner tests" }]
  E:
    name: Models
    depends_on: [A]
    requires: [design_review]
    scope: ["models/**"]
    agents: [{ id: E1, task: "Risk chain" }]
`;

/** A plan of two streams of one agent each (A, Foundation; B, Billing) for project "shop", `extra` keys before the streams. */
export const shopPlan = (extra = "") => `version: 1
project: shop
${extra}streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
  B:
    name: Billing
    agents: [{ id: B1, task: "Billing" }]
`;

export interface TempRepo {
  root: string;
  stateDir: string;
  cleanup(): void;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: cleanEnv(),
  });
}

/** A git repository with one commit, the given plan, and (unless `init: false`) `tower init` done. */
export async function makeRepo(
  options: { plan?: string; init?: boolean; trust?: boolean } = {},
): Promise<TempRepo> {
  const parent = mkdtempSync(path.join(os.tmpdir(), "tower-test-"));
  const root = path.join(parent, "repo");
  const repo = {
    root,
    stateDir: path.join(root, ".claude/state"),
    cleanup: () => rmSync(parent, { recursive: true, force: true }),
  };
  // A step that fails (no built CLI, say) leaves no folder behind: the caller never gets it.
  try {
    await fsp.mkdir(root);
    git(root, "init", "-q", "-b", "main");
    git(root, "config", "user.email", "test@example.com");
    git(root, "config", "user.name", "Test");
    writeFileSync(path.join(root, "streams.yaml"), options.plan ?? TEST_PLAN);
    writeFileSync(path.join(root, "README.md"), "# demo\n");
    git(root, "add", ".");
    git(root, "commit", "-q", "-m", "initial");
    if (options.init !== false) {
      const result = await tower(root, ["init"]);
      if (result.code !== 0) throw new Error(`tower init failed: ${result.stderr}`);
    }
    if (options.trust !== false) await trustRepo(root);
    return repo;
  } catch (error) {
    repo.cleanup();
    throw error;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI and resolves with its exit code and output (never rejects on exit code). */
export function tower(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], cwd, env);
}

/**
 * The environment for child processes: no inherited TOWER_* variable redirects state or
 * identity, except Tower's own folder (trusted plans, seal key), which tests keep in a temporary
 * folder (vitest.config.ts) so that nothing of the user's is touched.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith("TOWER_") && key !== "TOWER_CONFIG_DIR") delete env[key];
  }
  return { ...env, ...extra };
}

/** Trusts the repository's plan as it is now, as `tower trust --yes` would. */
export async function trustRepo(root: string): Promise<void> {
  const { loadPlan } = await import("../../src/engine/plan/index.js");
  const { trustPlan } = await import("../../src/engine/trust.js");
  await trustPlan(await loadPlan(path.join(root, "streams.yaml")));
}

export function run(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: cleanEnv(env) }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * A state file's JSON, read as a test looks at it: without the file's lock. Tower rewrites its
 * files in place under that lock (marked until whole), so a read that meets a rewrite half done
 * is tried again; a file still unreadable after a second is an error.
 */
export async function readJson(file: string): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    const text = await fsp.readFile(file, "utf8");
    try {
      return JSON.parse(text);
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export async function readJsonlFile(file: string): Promise<Record<string, unknown>[]> {
  const text = await fsp.readFile(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Polls `check` until it returns a value, failing after `timeoutMs`. `what` names the condition
 * in the failure; a function is asked at the time-out, so it can say how things stood then.
 */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what: string | (() => string) = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits until `file` holds exactly `text`. A program that writes a file creates it first and
 * fills it after (Codex did, and a test that read it as soon as it existed read ""): waiting
 * for the file to exist is not waiting for what it says. On time-out, says what it held.
 */
export async function waitForContent(
  file: string,
  text: string,
  timeoutMs = 10_000,
): Promise<void> {
  const read = () => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  await waitFor(
    () => (read() === text ? true : undefined),
    timeoutMs,
    `${file} to hold ${JSON.stringify(text)}`,
  ).catch((error: unknown) => {
    const held = read();
    throw new Error(
      `${String(error)}; it holds ${held === undefined ? "nothing (no file)" : JSON.stringify(held)}`,
    );
  });
}
