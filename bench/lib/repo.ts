/**
 * A throwaway git repository with a plan and `tower init` done, and the built CLI run against it.
 * Kept apart from test/helpers so benchmarks do not move when the tests do.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(PROJECT_ROOT, "dist/cli/main.js");

/** Eight agents in four streams: one per contending process. */
export const AGENTS: readonly { id: string; stream: string }[] = [
  { id: "A1", stream: "A" },
  { id: "A2", stream: "A" },
  { id: "B1", stream: "B" },
  { id: "B2", stream: "B" },
  { id: "C1", stream: "C" },
  { id: "C2", stream: "C" },
  { id: "D1", stream: "D" },
  { id: "D2", stream: "D" },
];

const PLAN = `version: 1
project: bench
lock_ttl: 60m
agent: [sh, -c, "echo {task}"]
streams:
  A:
    name: Foundation
    scope: ["config/**"]
    agents: [{ id: A1, task: "Config" }, { id: A2, task: "Utils" }]
  B:
    name: Observability
    scope: ["logging/**"]
    agents: [{ id: B1, task: "Logging" }, { id: B2, task: "Metrics" }]
  C:
    name: Analytics
    scope: ["analytics/**"]
    agents: [{ id: C1, task: "Reports" }, { id: C2, task: "Dashboards" }]
  D:
    name: Scanners
    scope: ["scanners/**"]
    agents: [{ id: D1, task: "Scanner API" }, { id: D2, task: "Scanner tests" }]
`;

export interface BenchRepo {
  root: string;
  stateDir: string;
  locksFile: string;
  activityFile: string;
  cleanup(): void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment for child processes: no TOWER_* variable may redirect the state or identity. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("TOWER_")) delete env[key];
  return { ...env, ...extra };
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });

export function run(file: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: cleanEnv() }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs the built CLI in `cwd`; never rejects on a non-zero exit. */
export const tower = (cwd: string, args: string[]): Promise<RunResult> =>
  run(process.execPath, [CLI, ...args], cwd);

export async function makeBenchRepo(): Promise<BenchRepo> {
  const parent = mkdtempSync(path.join(os.tmpdir(), "tower-bench-"));
  const root = path.join(parent, "repo");
  mkdirSync(root);
  git(root, "init", "-q", "-b", "main");
  git(root, "config", "user.email", "bench@example.com");
  git(root, "config", "user.name", "Bench");
  writeFileSync(path.join(root, "streams.yaml"), PLAN);
  writeFileSync(path.join(root, "README.md"), "# bench\n");
  git(root, "add", ".");
  git(root, "commit", "-q", "-m", "initial");
  const cleanup = () => rmSync(parent, { recursive: true, force: true });
  const init = await tower(root, ["init"]);
  if (init.code !== 0) {
    cleanup();
    throw new Error(`tower init failed (exit ${init.code}): ${init.stderr.trim()}`);
  }
  const stateDir = path.join(root, ".claude/state");
  return {
    root,
    stateDir,
    locksFile: path.join(stateDir, "file_locks.json"),
    activityFile: path.join(stateDir, "agent_activity.jsonl"),
    cleanup,
  };
}
