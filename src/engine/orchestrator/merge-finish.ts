/**
 * The second half of a merge: the plan's validation commands run in the main worktree, then the
 * merge is recorded and the stream cleaned up, or undone (see undo.ts) when the validation failed
 * or did not check it (the main worktree had another branch checked out by then).
 */

import path from "node:path";
import { currentBranch, isAncestor, resolveCommit } from "../git/index.js";
import { releaseAutoLocks } from "../locks.js";
import type { StreamSpec } from "../plan/index.js";
import type { Project } from "../project.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { cleanUp } from "./cleanup.js";
import type { MergeHooks, MergeResult } from "./merge.js";
import { record, recordFailure } from "./merge-record.js";
import { type Undo, undoMerge } from "./undo.js";
import { runCommands } from "./validate.js";

/** At most 200 output lines of each validation command go to the activity log; all go to the merge log. */
const ACTIVITY_LINES = 200;

const short = (sha: string) => sha.slice(0, 10);

export const mergeLogPath = (project: Project, id: string) =>
  project.store.path(path.join("logs", `merge-${id}.log`));

/** Runs the validation commands in the main worktree, then records the merge or undoes it. */
export async function validateAndFinish(
  project: Project,
  stream: StreamSpec,
  hooks: MergeHooks,
  merge: { commit: string; before?: string; alreadyInBase?: boolean },
): Promise<MergeResult> {
  const { store, repo } = project;
  const id = stream.id;
  const base = project.base!;
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
  const state = await store.read("orchestrator");
  const entry = state.streams[id]!;
  // An earlier merge of this stream, kept after an interruption, is the one being validated.
  const earlier = (entry.merge_error as { commit?: unknown } | undefined)?.commit;
  const mergeCommit =
    merge.alreadyInBase &&
    typeof earlier === "string" &&
    (await isAncestor(repo.mainRoot, earlier, merge.commit))
      ? earlier
      : merge.commit;

  const undo = async (): Promise<Undo> =>
    merge.before
      ? undoMerge(repo.mainRoot, base, merge.before, merge.commit)
      : {
          rolledBack: false,
          text: `${base} already held ${id}'s branch, so Tower made no commit and there is nothing to roll back${mergeCommit !== merge.commit ? `; to undo ${id}'s earlier merge, run: git -C ${repo.mainRoot} revert -m 1 ${mergeCommit}` : ""}`,
        };

  if (!validation.ok && validation.failed) {
    const failed = validation.failed;
    const undone = await undo();
    const message = `\`${failed.command}\` failed; ${undone.text}`;
    await store.appendActivity({
      agent: TOWER_AGENT,
      stream: id,
      action: "validation_failed",
      command: failed.command,
      exit_code: failed.exitCode ?? null,
      tail: failed.tail.slice(-5),
    });
    await recordFailure(
      project,
      id,
      { kind: "validation", commit: mergeCommit, rolled_back: undone.rolledBack, message },
      {
        command: failed.command,
        exit_code: failed.exitCode ?? null,
        output_tail: failed.tail,
      },
    );
    return {
      id,
      outcome: "validation_failed",
      command: failed.command,
      tail: failed.tail,
      rolledBack: undone.rolledBack,
      message,
    };
  }

  // The commands ran in the main worktree: they checked the merge only if the base was still
  // checked out there.
  const checkedOut = await currentBranch(repo.mainRoot);
  if (checkedOut !== base) {
    const undone = await undo();
    const message = `validation passed, but by then the main worktree ${repo.mainRoot} had ${checkedOut ?? "a detached HEAD"} checked out instead of ${base}, so it did not check the merge; ${undone.text}`;
    await recordFailure(project, id, {
      kind: "not_validated",
      commit: mergeCommit,
      rolled_back: undone.rolledBack,
      message,
    });
    return { id, outcome: "refused", message };
  }
  const now = await resolveCommit(repo.mainRoot, `refs/heads/${base}`);
  if (!now || !(await isAncestor(repo.mainRoot, mergeCommit, now))) {
    // Someone moved the base off the merge while it was validated: it is not merged.
    const message = `validation passed, but ${base} no longer holds the merge ${short(mergeCommit)} (it is at ${now ? short(now) : "nothing"} now): ${id} is not merged; its branch and worktree are untouched. Run tower merge ${id} again to merge it`;
    await recordFailure(project, id, {
      kind: "base_moved",
      commit: mergeCommit,
      rolled_back: false,
      message,
    });
    return { id, outcome: "refused", message };
  }
  // Merged, recorded before anything is cleaned up: a merge killed after its cleanup had
  // deleted the branch was still pending, and the next merge undid it, the branch gone.
  await record(project, id, (e) => {
    delete e.merge_pending;
    e.status = "merged";
    e.merged_at = toUtcIso(new Date());
    e.merge_commit = mergeCommit;
    e.merge_error = undefined;
    e.last_validation = { ok: true, commands: project.plan.validate, at: toUtcIso(new Date()) };
  });
  // Killed in the cleanup, what it left is cleaned up later (the control room's X).
  const cleanup = await cleanUp(project, id, entry);
  await record(project, id, (e) => {
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
    commit: mergeCommit,
    kept: cleanup.kept,
  });
  // The locks the stream's agents took by writing are done with.
  await releaseAutoLocks(store, { stream: id });
  return {
    id,
    outcome: "merged",
    commit: mergeCommit,
    ...(merge.alreadyInBase && { alreadyInBase: true }),
    cleanup,
  };
}
