/**
 * `tower merge`: a completed stream joins the base branch in the main worktree with
 * `git merge --no-ff`, the plan's validation commands run, and anything that goes wrong is undone.
 * Work is never lost: a conflicting merge is aborted; a merge commit that git put on another
 * branch (the user checked one out meanwhile) is taken off it again; a failed validation is
 * rolled back by ref, only if the base still points at the merge (see undo.ts); a merge killed
 * before its validation ended is settled by the next one (see pending.ts); and after a merge the
 * worktree and branch go only when nothing in them can be lost (see cleanup.ts).
 */
import { RefusedError } from "../errors.js";
import {
  commitParents,
  currentBranch,
  isAncestor,
  mergeNoFf,
  resolveCommit,
} from "../git/index.js";
import { mergeOrder, type StreamSpec } from "../plan/index.js";
import type { Project } from "../project.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { mergeBlockers, refuseWith } from "./checks.js";
import type { Cleanup } from "./cleanup.js";
import { validateAndFinish } from "./merge-finish.js";
import { withMergeLock } from "./merge-lock.js";
import { record } from "./merge-record.js";
import { recordPending, settlePendingMerges } from "./pending.js";
import { findStream } from "./streams.js";
import { undoMerge } from "./undo.js";

/** "merged <id> (<commit>)", and when the branch brought nothing the base lacked, that. */
export function mergedLine(result: {
  id: string;
  commit: string;
  alreadyInBase?: boolean;
}): string {
  const nothing = result.alreadyInBase
    ? ": its branch had no commit the base lacks (nothing to merge); the base validated"
    : "";
  return `merged ${result.id} (${result.commit.slice(0, 10)})${nothing}`;
}

export type { Cleanup } from "./cleanup.js";

export type MergeResult = (
  | {
      id: string;
      outcome: "merged";
      commit: string;
      /** The branch was in the base already (an earlier merge kept after an interruption). */
      alreadyInBase?: boolean;
      cleanup: Cleanup;
    }
  | { id: string; outcome: "conflict"; files: string[]; message: string }
  | {
      id: string;
      outcome: "validation_failed";
      command: string;
      tail: string[];
      rolledBack: boolean;
      message: string;
    }
  | { id: string; outcome: "refused"; message: string }
) & {
  /** What happened to earlier merges that were interrupted, settled before this one. */
  notes?: string[];
};

export interface MergeHooks {
  onCommand?(command: string): void;
  onLine?(command: string, line: string): void;
}

const short = (sha: string) => sha.slice(0, 10);

export const mergeMessage = (stream: StreamSpec) => `Merge stream ${stream.id}: ${stream.name}`;
export { mergeLogPath } from "./merge-finish.js";

export async function mergeStream(
  project: Project,
  id: string,
  hooks: MergeHooks = {},
): Promise<MergeResult> {
  const stream = findStream(project.plan, id);
  return withMergeLock(project, async () => {
    const notes = await settlePendingMerges(project);
    const result = await mergeLocked(project, stream, hooks, notes);
    return notes.length > 0 ? { ...result, notes } : result;
  });
}

async function mergeLocked(
  project: Project,
  stream: StreamSpec,
  hooks: MergeHooks,
  notes: string[],
): Promise<MergeResult> {
  const { store, repo } = project;
  const id = stream.id;
  const [state, checkpoints] = await Promise.all([
    store.read("orchestrator"),
    store.read("checkpoints"),
  ]);
  const blockers = await mergeBlockers(project, stream, state, checkpoints);
  if (blockers.length > 0) refuseWith([...notes, ...blockers]);
  const entry = state.streams[id]!;
  const branch = entry.branch!;
  const base = project.base!;
  const baseRef = `refs/heads/${base}`;
  const tip = (await resolveCommit(repo.mainRoot, branch))!;
  const before = (await resolveCommit(repo.mainRoot, baseRef))!;
  await store.appendActivity({
    agent: TOWER_AGENT,
    stream: id,
    action: "merge_started",
    branch,
    base,
  });

  if (await isAncestor(repo.mainRoot, tip, before)) {
    // Nothing to merge (a stream without commits of its own, or an earlier merge kept after an
    // interruption brought it in already): validate the base as it is.
    return validateAndFinish(project, stream, hooks, { commit: before, alreadyInBase: true });
  }

  await recordPending(project, id, {
    base,
    before,
    branch,
    branch_commit: tip,
    pid: process.pid,
    started_at: toUtcIso(new Date()),
  });
  const merged = await mergeNoFf(repo.mainRoot, branch, mergeMessage(stream));
  if (!merged.ok) {
    await record(project, id, (e) => {
      delete e.merge_pending;
      e.status = "merge_failed";
      e.merge_error = {
        kind: "conflict",
        files: merged.conflicts,
        message: merged.message,
        at: toUtcIso(new Date()),
      };
    });
    await store.appendActivity({
      agent: TOWER_AGENT,
      stream: id,
      action: "merge_failed",
      reason: "conflict",
      files: merged.conflicts,
    });
    return { id, outcome: "conflict", files: merged.conflicts, message: merged.message };
  }

  // git committed on whatever the main worktree had checked out when it ran.
  if ((await resolveCommit(repo.mainRoot, baseRef)) !== merged.commit) {
    const message = await takeBackMisplaced(project, merged.commit);
    await record(project, id, (e) => {
      delete e.merge_pending;
    });
    await store.appendActivity({
      agent: TOWER_AGENT,
      stream: id,
      action: "merge_refused",
      reason: "base_not_checked_out",
      commit: merged.commit,
    });
    return { id, outcome: "refused", message };
  }
  // The base's tip when git merged, which is what a rollback goes back to.
  const parent = (await commitParents(repo.mainRoot, merged.commit))[0]!;
  await record(project, id, (e) => {
    e.merge_pending = { ...(e.merge_pending as object), before: parent, commit: merged.commit };
  });
  return validateAndFinish(project, stream, hooks, { commit: merged.commit, before: parent });
}

/**
 * The main worktree switched branches while git merged, so git put the merge commit on that
 * branch (or a detached HEAD): take it back off by compare-and-swap, and say what happened.
 */
async function takeBackMisplaced(project: Project, commit: string): Promise<string> {
  const { repo, base } = project;
  const onto = await currentBranch(repo.mainRoot);
  const start = `the main worktree switched to ${onto ?? "a detached HEAD"} during the merge, so git made the merge commit ${short(commit)} there and ${base} did not change`;
  const retry = `Check out ${base} in ${repo.mainRoot} and run tower merge again`;
  if (!onto) return `${start}; no branch holds it. ${retry}`;
  const parent = (await commitParents(repo.mainRoot, commit))[0]!;
  const undo = await undoMerge(repo.mainRoot, onto, parent, commit);
  return `${start}; ${undo.text}. ${retry}`;
}

/** Every completed (or failed, to retry) stream in merge order, stopping at the first failure. */
export async function mergeAll(project: Project, hooks: MergeHooks = {}): Promise<MergeResult[]> {
  const state = await project.store.read("orchestrator");
  const ids = mergeOrder(project.plan).filter((id) => {
    const status = state.streams[id]?.status;
    return status === "completed" || status === "merge_failed";
  });
  const results: MergeResult[] = [];
  for (const id of ids) {
    let result: MergeResult;
    try {
      result = await mergeStream(project, id, hooks);
    } catch (error) {
      if (!(error instanceof RefusedError)) throw error;
      result = { id, outcome: "refused", message: error.message };
    }
    results.push(result);
    if (result.outcome !== "merged") break;
  }
  return results;
}
