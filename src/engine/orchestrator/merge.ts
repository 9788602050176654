/**
 * `tower merge`: a completed stream joins the base branch in the main worktree with
 * `git merge --no-ff`, the plan's validation commands run, and anything that goes wrong is undone.
 * Work is never lost: a conflicting merge is aborted, a failed validation is rolled back with
 * `git reset --keep`, and after a merge the worktree is removed only when clean and the branch
 * deleted only with `git branch -d`.
 */
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { RefusedError } from "../errors.js";
import {
  deleteMergedBranch,
  headCommit,
  mergeNoFf,
  removeWorktree,
  resetKeep,
  worktreeChanges,
} from "../git/index.js";
import { mergeOrder, type StreamSpec } from "../plan/index.js";
import type { Project } from "../project.js";
import { lockExclusive, unlock } from "../state/flock.js";
import type { OrchestratorStream } from "../state/formats.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { mergeBlockers, refuseWith } from "./checks.js";
import { findStream } from "./streams.js";
import { runCommands } from "./validate.js";

export interface Cleanup {
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  /** What was kept, and why. */
  kept: string[];
}

export type MergeResult =
  | { id: string; outcome: "merged"; commit: string; cleanup: Cleanup }
  | { id: string; outcome: "conflict"; files: string[]; message: string }
  | {
      id: string;
      outcome: "validation_failed";
      command: string;
      tail: string[];
      rolledBack: boolean;
      message: string;
    }
  | { id: string; outcome: "refused"; message: string };

export interface MergeHooks {
  onCommand?(command: string): void;
  onLine?(command: string, line: string): void;
}

/** At most 200 output lines of each validation command go to the activity log; all go to the merge log. */
const ACTIVITY_LINES = 200;

export const mergeMessage = (stream: StreamSpec) => `Merge stream ${stream.id}: ${stream.name}`;
export const mergeLogPath = (project: Project, id: string) =>
  project.store.path(path.join("logs", `merge-${id}.log`));

/** One merge at a time per repository, whichever process runs it. */
async function withMergeLock<T>(project: Project, body: () => Promise<T>): Promise<T> {
  const file = project.store.path("merge.lock");
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const handle = await fsp.open(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  await lockExclusive(handle.fd, file, 10 * 60_000);
  try {
    return await body();
  } finally {
    unlock(handle.fd);
    await handle.close();
  }
}

async function record(
  project: Project,
  id: string,
  change: (entry: OrchestratorStream) => void,
): Promise<void> {
  await project.store.update("orchestrator", (file) => {
    const entry = file.streams[id];
    if (entry) change(entry);
  });
}

export async function mergeStream(
  project: Project,
  id: string,
  hooks: MergeHooks = {},
): Promise<MergeResult> {
  const stream = findStream(project.plan, id);
  return withMergeLock(project, async () => {
    const { store, repo } = project;
    const [state, checkpoints] = await Promise.all([
      store.read("orchestrator"),
      store.read("checkpoints"),
    ]);
    const blockers = await mergeBlockers(project, stream, state, checkpoints);
    if (blockers.length > 0) refuseWith(blockers);
    const entry = state.streams[id]!;
    const branch = entry.branch!;
    const before = await headCommit(repo.mainRoot);
    await store.appendActivity({
      agent: TOWER_AGENT,
      stream: id,
      action: "merge_started",
      branch,
      base: project.base,
    });

    const merged = await mergeNoFf(repo.mainRoot, branch, mergeMessage(stream));
    if (!merged.ok) {
      await record(project, id, (e) => {
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

    // Activity lines are appended one after another, in output order.
    let logged = Promise.resolve();
    const log = (entry: Parameters<typeof store.appendActivity>[0]) => {
      logged = logged
        .then(() => store.appendActivity(entry).then(() => undefined))
        .catch(() => undefined);
    };
    const lineCounts = new Map<string, number>();
    const validation = await runCommands(project.plan.validate, {
      cwd: repo.mainRoot,
      logFile: mergeLogPath(project, id),
      onStart: (command) => {
        hooks.onCommand?.(command);
        log({ agent: TOWER_AGENT, stream: id, action: "validation_started", command });
      },
      onLine: (command, line) => {
        hooks.onLine?.(command, line);
        const n = (lineCounts.get(command) ?? 0) + 1;
        lineCounts.set(command, n);
        if (n <= ACTIVITY_LINES)
          log({ agent: TOWER_AGENT, stream: id, action: "validation_output", command, line });
      },
    });
    await logged;
    if (!validation.ok && validation.failed) {
      const failed = validation.failed;
      const refusal = await resetKeep(repo.mainRoot, before);
      const rolledBack = refusal === undefined;
      const message = rolledBack
        ? `\`${failed.command}\` failed; ${project.base} was reset to ${before.slice(0, 10)}, as before the merge`
        : `\`${failed.command}\` failed, and ${project.base} could not be reset to ${before.slice(0, 10)} (${refusal}): the merge commit is still there, undo it by hand`;
      await record(project, id, (e) => {
        e.status = "merge_failed";
        e.merge_error = {
          kind: "validation",
          command: failed.command,
          exit_code: failed.exitCode ?? null,
          output_tail: failed.tail,
          rolled_back: rolledBack,
          message,
          at: toUtcIso(new Date()),
        };
        e.last_validation = { ok: false, command: failed.command, at: toUtcIso(new Date()) };
      });
      await store.appendActivity({
        agent: TOWER_AGENT,
        stream: id,
        action: "validation_failed",
        command: failed.command,
        exit_code: failed.exitCode ?? null,
        tail: failed.tail.slice(-5),
      });
      await store.appendActivity({
        agent: TOWER_AGENT,
        stream: id,
        action: "merge_failed",
        reason: "validation",
        command: failed.command,
        rolled_back: rolledBack,
      });
      return {
        id,
        outcome: "validation_failed",
        command: failed.command,
        tail: failed.tail,
        rolledBack,
        message,
      };
    }

    const cleanup = await cleanUp(project, id, entry);
    await record(project, id, (e) => {
      e.status = "merged";
      e.merged_at = toUtcIso(new Date());
      e.merge_commit = merged.commit;
      e.merge_error = undefined;
      e.last_validation = { ok: true, commands: project.plan.validate, at: toUtcIso(new Date()) };
      e.cleanup = {
        worktree_removed: cleanup.worktreeRemoved,
        branch_deleted: cleanup.branchDeleted,
        kept: cleanup.kept,
      };
    });
    await store.appendActivity({
      agent: TOWER_AGENT,
      stream: id,
      action: "merged",
      commit: merged.commit,
      kept: cleanup.kept,
    });
    return { id, outcome: "merged", commit: merged.commit, cleanup };
  });
}

/** Removes the worktree only when clean, and the branch only with `git branch -d`. */
async function cleanUp(project: Project, id: string, entry: OrchestratorStream): Promise<Cleanup> {
  const { repo } = project;
  const kept: string[] = [];
  let worktreeRemoved = false;
  const worktree = entry.worktree ?? undefined;
  // Agents still running in the worktree (as agents.json says) keep it: removing the folder
  // under a live program would lose whatever it writes next.
  const live = Object.entries((await project.store.read("agents")).agents)
    .filter(([, a]) => a.stream === id && a.status !== "exited")
    .map(([agent]) => agent);
  if (worktree && live.length > 0) {
    kept.push(
      `worktree ${worktree} kept: ${live.join(", ")} still running in it (stop ${live.length > 1 ? "them" : "it"} with x, then remove it with git worktree remove)`,
    );
  } else if (worktree) {
    const changes = await worktreeChanges(worktree).catch(() => undefined);
    if (!changes) {
      worktreeRemoved = !(await fsp.stat(worktree).catch(() => undefined));
    } else if (changes.modified.length + changes.untracked.length > 0) {
      const files = [...changes.modified, ...changes.untracked];
      kept.push(
        `worktree ${worktree} kept: ${files.length} uncommitted or untracked file${files.length > 1 ? "s" : ""} (${files.slice(0, 5).join(", ")}${files.length > 5 ? ", ..." : ""})`,
      );
    } else {
      const refusal = await removeWorktree(repo.mainRoot, worktree);
      if (refusal) kept.push(`worktree ${worktree} kept: ${refusal}`);
      else worktreeRemoved = true;
    }
  }
  let branchDeleted = false;
  if (entry.branch) {
    const refusal = await deleteMergedBranch(repo.mainRoot, entry.branch);
    if (refusal) kept.push(`branch ${entry.branch} kept: ${refusal}`);
    else branchDeleted = true;
  }
  return { worktreeRemoved, branchDeleted, kept };
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
