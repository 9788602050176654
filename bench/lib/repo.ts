/**
 * A throwaway git repository with the test plan and `tower init` done, and the built CLI run
 * against it: the same helpers the integration tests use.
 */
import { mkdtempSync } from "node:fs";
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
// repositories are trusted in a throwaway one, never in the user's.
process.env.TOWER_CONFIG_DIR ??= mkdtempSync(path.join(os.tmpdir(), "tower-bench-config-"));

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

export async function makeBenchRepo(): Promise<BenchRepo> {
  const repo = await makeRepo();
  return {
    ...repo,
    locksFile: path.join(repo.stateDir, "file_locks.json"),
    activityFile: path.join(repo.stateDir, "agent_activity.jsonl"),
  };
}
