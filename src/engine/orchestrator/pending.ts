/**
 * A merge in flight is recorded in its stream's entry of orchestrator_state.json
 * (`merge_pending`) before `git merge` runs, with the merge commit once there is one, and cleared
 * when the merge ends either way. A record still there while no merge holds the merge lock is a
 * merge that was killed (SIGKILL, a crash, a lost machine) before its validation finished: the
 * base may hold a merge nobody validated. The next merge settles it first: rolled back by
 * compare-and-swap when the base still points at it, otherwise kept and reported with the
 * commands to undo it. `pendingMerges` reports the same without changing anything.
 */
import { z } from "zod";
import { commitParents, reflogEntries, resolveCommit } from "../git/index.js";
import type { Project } from "../project.js";
import type { OrchestratorStream } from "../state/formats.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { mergeRunning } from "./merge-lock.js";
import { undoMerge } from "./undo.js";

export const mergePendingSchema = z.looseObject({
  base: z.string(),
  /** Where the base was before the merge: the merge commit's first parent once there is one. */
  before: z.string(),
  branch: z.string(),
  /** The stream branch's tip that was merged. */
  branch_commit: z.string().optional(),
  commit: z.string().optional(),
  pid: z.number(),
  started_at: z.string(),
});
export type MergePending = z.infer<typeof mergePendingSchema>;

export interface PendingMerge extends MergePending {
  id: string;
  /** A merge holds the merge lock now (this one, still running). */
  running: boolean;
  message: string;
}

const short = (sha: string) => sha.slice(0, 10);

function readPending(entry: OrchestratorStream | undefined): MergePending | undefined {
  if (entry?.merge_pending === undefined) return undefined;
  const parsed = mergePendingSchema.safeParse(entry.merge_pending);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The merge commit of a pending merge: recorded, or (when it was killed between `git merge` and
 * the record) the base's tip if that is a merge of exactly the recorded parents.
 */
async function findMergeCommit(
  mainRoot: string,
  pending: MergePending,
): Promise<string | undefined> {
  if (pending.commit) return pending.commit;
  const tip = await resolveCommit(mainRoot, `refs/heads/${pending.base}`);
  if (!tip || !pending.branch_commit) return undefined;
  const parents = await commitParents(mainRoot, tip);
  return parents.length === 2 &&
    parents[0] === pending.before &&
    parents[1] === pending.branch_commit
    ? tip
    : undefined;
}

/**
 * Whether this repository made the merge `commit` that `pending` records: the base's reflog here
 * shows `git merge` moving it there, and its first parent is where the base was before. The
 * state files travel with the repository; its reflog does not: a record that came with a clone
 * names a merge of another machine (or any commit it likes), which is not Tower's to undo.
 */
async function mergedHere(
  mainRoot: string,
  pending: MergePending,
  commit: string,
): Promise<boolean> {
  const parents = await commitParents(mainRoot, commit).catch(() => []);
  if (parents[0] !== pending.before) return false;
  const entries = await reflogEntries(mainRoot, `refs/heads/${pending.base}`);
  return entries.some((e) => e.commit === commit && e.subject.startsWith("merge "));
}

/** Merges recorded as in flight, and what each means now. Changes nothing. */
export async function pendingMerges(project: Project): Promise<PendingMerge[]> {
  const state = await project.store.read("orchestrator");
  const running = await mergeRunning(project);
  const out: PendingMerge[] = [];
  for (const [id, entry] of Object.entries(state.streams)) {
    const pending = readPending(entry);
    if (!pending) continue;
    const commit = await findMergeCommit(project.repo.mainRoot, pending);
    const what = `the merge of ${id}${commit ? ` (${short(commit)})` : ""} into ${pending.base}`;
    const message = running
      ? `${what} is running (pid ${pending.pid}, since ${pending.started_at})`
      : `${what} was interrupted before its validation finished (pid ${pending.pid}, started ${pending.started_at}): the next tower merge undoes it if ${pending.base} still points at it, and otherwise says how to`;
    out.push({ ...pending, ...(commit && { commit }), id, running, message });
  }
  return out;
}

/** Records what a merge is about to do, before it does it. */
export async function recordPending(
  project: Project,
  id: string,
  pending: MergePending,
): Promise<void> {
  await project.store.update("orchestrator", (file) => {
    const entry = file.streams[id];
    if (entry) entry.merge_pending = pending;
  });
}

/**
 * Settles every merge left pending by a merge that is no longer running. Must be called with the
 * merge lock held: then no merge is running, whatever became of the recorded pid. Returns what
 * happened to each, to show the user.
 */
export async function settlePendingMerges(project: Project): Promise<string[]> {
  const { store, repo } = project;
  const state = await store.read("orchestrator");
  const notes: string[] = [];
  for (const [id, entry] of Object.entries(state.streams)) {
    if (entry.merge_pending === undefined) continue;
    const pending = readPending(entry);
    if (!pending) {
      notes.push(
        `${store.path("orchestrator_state.json")}: the merge_pending record of ${id} does not have the expected shape, so Tower left it as it is: check the base branch with \`git log\`, then remove the record`,
      );
      continue;
    }
    const commit = await findMergeCommit(repo.mainRoot, pending);
    const what = `the merge of ${id}${commit ? ` (${short(commit)})` : ""} into ${pending.base} was interrupted before its validation finished (pid ${pending.pid}, started ${pending.started_at})`;
    let message: string;
    let rolledBack = false;
    if (commit && !(await mergedHere(repo.mainRoot, pending, commit))) {
      message = `${what}, but ${pending.base}'s reflog here does not show git merge making ${short(commit)} onto ${short(pending.before)} (a record that came with the repository from elsewhere?): Tower left ${pending.base} as it is; if that merge was never validated, undo it with \`git -C ${repo.mainRoot} revert -m 1 ${commit}\``;
    } else if (commit) {
      const undo = await undoMerge(repo.mainRoot, pending.base, pending.before, commit);
      rolledBack = undo.rolledBack;
      message = `${what}: ${undo.text}`;
    } else {
      message = `${what}, before git made a merge commit: ${pending.base} was not changed (if \`git -C ${repo.mainRoot} status\` shows a merge in progress, end it with \`git -C ${repo.mainRoot} merge --abort\`)`;
    }
    await store.update("orchestrator", (file) => {
      const e = file.streams[id];
      if (!e) return;
      delete e.merge_pending;
      e.status = "merge_failed";
      e.merge_error = {
        kind: "interrupted",
        ...(commit && { commit }),
        rolled_back: rolledBack,
        message,
        at: toUtcIso(new Date()),
      };
    });
    await store.appendActivity({
      agent: TOWER_AGENT,
      stream: id,
      action: "merge_failed",
      reason: "interrupted",
      commit: commit ?? null,
      rolled_back: rolledBack,
    });
    notes.push(message);
  }
  return notes;
}
