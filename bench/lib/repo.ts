/**
 * A throwaway git repository with the test plan and `tower init` done, and the built CLI run
 * against it: the same helpers the integration tests use.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  cleanEnv,
  git,
  makeRepo,
  PROJECT_ROOT,
  type RunResult,
  run,
  tower,
  trustRepo,
} from "../../test/helpers/repo.js";

// Trust and the approval key live in Tower's configuration folder: a benchmark's throwaway
// repositories are trusted in a throwaway one, never in the user's, removed when the run ends
// (every run and probe used to leave one in the OS temp folder).
if (process.env.TOWER_CONFIG_DIR === undefined) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bench-config-"));
  process.env.TOWER_CONFIG_DIR = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
}
// Likewise the servers' private folders (XDG_RUNTIME_DIR, else the OS temp folder): each
// benchmark room used to leave one in /tmp/tower-<uid>. The processes a benchmark starts (lock
// workers, killed at times) inherit the run's folder instead of making their own, and so do the
// tests that load these modules (in the test run's folder: see vitest.config.ts).
const RUNTIME_PREFIX = "tower-bench-runtime-";
const runtime = path.basename(process.env.XDG_RUNTIME_DIR ?? "");
if (!runtime.startsWith(RUNTIME_PREFIX) && !runtime.startsWith("tower-test-runtime-")) {
  const dir = mkdtempSync(path.join(os.tmpdir(), RUNTIME_PREFIX));
  process.env.XDG_RUNTIME_DIR = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
}

export { CLI } from "../../test/helpers/repo.js";
export { cleanEnv, git, PROJECT_ROOT, type RunResult, run, tower, trustRepo };

/** Eight agents of the test plan: one per contending process. */
export const AGENTS: readonly { id: string; stream: string }[] = [
  "A1",
  "A2",
  "B1",
  "B2",
  "C1",
  "C2",
  "D1",
  "D2",
].map((id) => ({ id, stream: id.slice(0, 1) }));

export interface BenchRepo {
  root: string;
  stateDir: string;
  locksFile: string;
  activityFile: string;
  cleanup(): void;
}

/** The test plan's repository, or one with `plan` (trusted, in the throwaway configuration). */
export async function makeBenchRepo(options: { plan?: string } = {}): Promise<BenchRepo> {
  const repo = await makeRepo(options);
  return {
    ...repo,
    locksFile: path.join(repo.stateDir, "file_locks.json"),
    activityFile: path.join(repo.stateDir, "agent_activity.jsonl"),
  };
}
