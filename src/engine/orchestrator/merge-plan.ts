/**
 * `tower merge --dry-run`: what a merge would do, changing nothing. The conflicts are predicted
 * with `git merge-tree` on the base as it will be when the stream's turn comes (the streams merged
 * before it in the same run chained in with `git commit-tree`), touching no ref and no worktree.
 */
import { commitTree, mergeTree, resolveCommit } from "../git/index.js";
import { mergeOrder } from "../plan/index.js";
import type { Project } from "../project.js";
import { mergeBlockers } from "./checks.js";
import { mergeMessage } from "./merge.js";
import { findStream } from "./streams.js";

export interface MergePlan {
  id: string;
  name: string;
  branch: string | undefined;
  base: string | undefined;
  mergeOrder: string[];
  predictedConflicts: string[];
  validate: string[];
  /** Why it cannot merge now; empty when it can. */
  blockers: string[];
}

/** The plan for one stream, or for every stream `tower merge --all` would take, in order. */
export async function planMerge(project: Project, id?: string): Promise<MergePlan[]> {
  const { plan, store, repo, base } = project;
  const [state, checkpoints] = await Promise.all([store.read("orchestrator"), store.read("checkpoints")]);
  const order = mergeOrder(plan);
  const ids = id
    ? [findStream(plan, id).id]
    : order.filter((s) => ["completed", "merge_failed"].includes(state.streams[s]?.status ?? ""));
  let chained = base ? await resolveCommit(repo.mainRoot, base) : undefined;
  const plans: MergePlan[] = [];
  for (const sid of ids) {
    const stream = findStream(plan, sid);
    const branch = state.streams[sid]?.branch ?? undefined;
    const tip = branch ? await resolveCommit(repo.mainRoot, branch) : undefined;
    let predictedConflicts: string[] = [];
    if (chained && tip) {
      const predicted = await mergeTree(repo.mainRoot, chained, tip);
      predictedConflicts = predicted.conflicts;
      if (predicted.clean) chained = await commitTree(repo.mainRoot, predicted.tree, [chained, tip], mergeMessage(stream));
    }
    plans.push({
      id: sid,
      name: stream.name,
      branch,
      base,
      mergeOrder: order,
      predictedConflicts,
      validate: plan.validate,
      blockers: await mergeBlockers(project, stream, state, checkpoints),
    });
  }
  return plans;
}
