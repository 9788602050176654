/**
 * Stream worktrees in a temporary repository, set up the way `tower start` leaves them: a branch
 * and a linked worktree beside the repository, and the stream recorded in orchestrator_state.json.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import type { ConflictWarning } from "../../src/engine/conflicts/index.js";
import { CLI, git, type TempRepo, tower } from "./repo.js";

export type StreamStatus = "pending" | "in_progress" | "completed" | "merged" | "merge_failed";

export interface StreamSetup {
  id: string;
  branch: string;
  worktree: string;
  status: StreamStatus;
  agents: string[];
}

/** The default agents of TEST_PLAN's streams. */
const TEST_AGENTS: Record<string, string[]> = {
  A: ["A1", "A2"],
  B: ["B1", "B2"],
  C: ["C1", "C2"],
  D: ["D1", "D2"],
  E: ["E1"],
};

/**
 * `git worktree add -b feature/stream-<id> <parent>/demo-stream-<id> <from>`: a new branch from
 * `from` (default main) checked out in a worktree next to the repository.
 */
export function addStream(
  repo: TempRepo,
  id: string,
  options: { from?: string; status?: StreamStatus; agents?: string[] } = {},
): StreamSetup {
  const branch = `feature/stream-${id}`;
  const worktree = path.join(path.dirname(repo.root), `demo-stream-${id}`);
  git(repo.root, "worktree", "add", "-q", "-b", branch, worktree, options.from ?? "main");
  git(worktree, "config", "user.email", "test@example.com");
  git(worktree, "config", "user.name", "Test");
  return {
    id,
    branch,
    worktree,
    status: options.status ?? "in_progress",
    agents: options.agents ?? TEST_AGENTS[id] ?? [],
  };
}

/** Writes orchestrator_state.json with exactly these streams. */
export function writeStreamsState(repo: TempRepo, streams: readonly StreamSetup[]): void {
  const state = {
    streams: Object.fromEntries(
      streams.map((s) => [
        s.id,
        {
          status: s.status,
          started_at: "2025-12-06T10:00:00.000Z",
          worktree: s.worktree,
          branch: s.branch,
          agents: s.agents,
        },
      ]),
    ),
    started_at: null,
  };
  writeFileSync(
    path.join(repo.stateDir, "orchestrator_state.json"),
    `${JSON.stringify(state, null, 2)}\n`,
  );
}

/** Adds a worktree for each id and records them all as in progress. */
export function startStreams(repo: TempRepo, ids: readonly string[]): StreamSetup[] {
  const streams = ids.map((id) => addStream(repo, id));
  writeStreamsState(repo, streams);
  return streams;
}

/** Writes a file (making its folders) inside a worktree. */
export function writeIn(root: string, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
}

export function removeIn(root: string, file: string): void {
  rmSync(path.join(root, file), { force: true });
}

/** Stages everything and commits it in `root`. */
export function commitAll(root: string, message = "change"): void {
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", message);
}

/** Numbered lines `prefix1\n..prefixN\n`, a file with lines to change. */
export const numbered = (count: number, prefix = "line "): string =>
  Array.from({ length: count }, (_, i) => `${prefix}${i + 1}\n`).join("");

/** `tower conflicts --json` in `root`, which must succeed without a word on stderr. */
export async function conflictsJson(root: string): Promise<ConflictWarning[]> {
  const result = await tower(root, ["conflicts", "--json"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ConflictWarning[];
}

/** Installs Tower's pre-commit guard in the streams' worktrees, as `tower start` does. */
export async function installGuards(
  repo: TempRepo,
  streams: readonly StreamSetup[],
): Promise<void> {
  const { installGuard } = await import("../../src/agents/guard.js");
  const { StateStore } = await import("../../src/engine/state/store.js");
  const store = new StateStore(repo.stateDir);
  for (const stream of streams) {
    await installGuard(store, repo.root, stream.worktree, [process.execPath, CLI]);
  }
}
