/**
 * Watching for lost work while the user acts at the same time as Tower: every commit git can
 * still reach (refs and every reflog, those of linked worktrees included), and a `tower` run in
 * its own process group that the test can kill with SIGKILL, validation command and all.
 */
import { spawn } from "node:child_process";
import { expect } from "vitest";
import { CLI, cleanEnv, git } from "./repo.js";

/** Every commit reachable from a ref or a reflog entry (`git rev-list --all --reflog`). */
export function reachableCommits(root: string): Set<string> {
  return new Set(
    git(root, "rev-list", "--all", "--reflog")
      .split("\n")
      .filter((line) => line !== ""),
  );
}

/** Fails, listing them, when a commit of `before` can no longer be reached. */
export function expectNothingLost(root: string, before: Set<string>): void {
  const now = reachableCommits(root);
  expect([...before].filter((commit) => !now.has(commit))).toEqual([]);
}

export interface SpawnedTower {
  pid: number;
  /** Resolves when it exits, with its output so far. */
  exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

const running = new Set<number>();

/** Starts the built CLI as the leader of a new process group (so its children can be killed with it). */
export function spawnTower(cwd: string, args: string[]): SpawnedTower {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: cleanEnv(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += String(chunk);
  });
  child.stderr.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child.pid ?? 0);
      resolve({ code, signal, stdout, stderr });
    });
  });
  if (child.pid === undefined) throw new Error("could not start tower");
  running.add(child.pid);
  return { pid: child.pid, exited };
}

/** `kill -9` of the whole process group: Tower and the validation command it runs. */
export function killGroup(pid: number): void {
  process.kill(-pid, "SIGKILL");
}

/** Kills what a failed test left running (a validation command waiting for a file, say). */
export function killLeftovers(): void {
  for (const pid of running) {
    try {
      killGroup(pid);
    } catch {
      // Already gone.
    }
  }
  running.clear();
}
