/**
 * Cleaning up a merged stream later (the control room's `X`): what `tower merge` could not remove
 * then (an agent still ran in the worktree, files would have been lost) is looked at again with
 * the same rules (cleanup.ts): the worktree goes only when nothing in it can be lost, the branch
 * only with `git branch -d`. What is kept is said, with why, and recorded in the stream's entry.
 */
import { RefusedError } from "../errors.js";
import type { Project } from "../project.js";
import { type Cleanup, cleanUp } from "./cleanup.js";
import { record } from "./merge-record.js";

export async function cleanUpMerged(project: Project, id: string): Promise<Cleanup> {
  const entry = (await project.store.read("orchestrator")).streams[id];
  if (entry?.status !== "merged" || !entry) {
    throw new RefusedError(
      `${id} is ${entry?.status?.replace("_", " ") ?? "not started"}: only a merged stream is cleaned up (its work is in the base)`,
    );
  }
  const cleanup = await cleanUp(project, id, entry);
  await record(project, id, (e) => {
    e.cleanup = {
      worktree_removed: cleanup.worktreeRemoved,
      branch_deleted: cleanup.branchDeleted,
      kept: cleanup.kept,
    };
  });
  return cleanup;
}
