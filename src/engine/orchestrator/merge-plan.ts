/**
 * `tower merge --dry-run`: what a merge would do, changing nothing. The conflicts are predicted
 * with `git merge-tree` on the base as it will be when the stream's turn comes (the streams merged
 * before it in the same run chained in with `git commit-tree`), touching no ref and no worktree.
 * Its blockers are those of that turn too: a stream of `--all` that waits only for streams merged
 * earlier in the same run is not blocked, and one after a blocked stream is (the run stops there).
 */
import { predictMergeOrder } from "../conflicts/index.js";
import { resolveCommit } from "../git/index.js";
import { mergeOrder } from "../plan/index.js";
import type { Project } from "../project.js";
import type { OrchestratorFile } from "../state/formats.js";
import { inTheWayBlockers, mainWorktreeBlockers, streamBlockers, trustBlockers } from "./checks.js";
import { findStream } from "./streams.js";

export interface MergePlan {
  id: string;
  name: string;
  branch: string | undefined;
  base: string | undefined;
  mergeOrder: string[];
  predictedConflicts: string[];
  /** Earlier streams of the same run whose changes those conflicts are with (none: with the base). */
  conflictsWith: string[];
  validate: string[];
  /** Why it cannot merge now; empty when it can. */
  blockers: string[];
}

/** The plan for one stream, or for every stream `tower merge --all` would take, in order. */
export async function planMerge(project: Project, id?: string): Promise<MergePlan[]> {
  const { plan, store, repo, base } = project;
  const [state, checkpoints] = await Promise.all([
    store.read("orchestrator"),
    store.read("checkpoints"),
  ]);
  const order = mergeOrder(plan);
  const ids = id
    ? [findStream(plan, id).id]
    : order.filter((s) => ["completed", "merge_failed"].includes(state.streams[s]?.status ?? ""));
  const candidates = ids.flatMap((sid) => {
    const branch = state.streams[sid]?.branch;
    return branch ? [{ id: sid, branch }] : [];
  });
  const existing: typeof candidates = [];
  for (const c of candidates) if (await resolveCommit(repo.mainRoot, c.branch)) existing.push(c);
  const predicted =
    base && (await resolveCommit(repo.mainRoot, base))
      ? await predictMergeOrder(repo.mainRoot, base, existing)
      : [];
  // The main worktree's state is the same for every stream of the run: read it once.
  const mainBlockers = [
    ...(await mainWorktreeBlockers(project)),
    ...(await trustBlockers(project)),
  ];
  // The streams as they will be at each stream's turn: those before it in this run merged.
  const atTurn: OrchestratorFile = { ...state, streams: { ...state.streams } };
  const plans: MergePlan[] = [];
  /** `--all` stops at the first stream that cannot merge: the ones after it wait for it. */
  let stoppedAt: string | undefined;
  for (const sid of ids) {
    const stream = findStream(plan, sid);
    const prediction = predicted.find((p) => p.stream === sid);
    plans.push({
      id: sid,
      name: stream.name,
      branch: state.streams[sid]?.branch ?? undefined,
      base,
      mergeOrder: order,
      predictedConflicts: prediction?.conflictFiles ?? [],
      conflictsWith: prediction?.conflictsWith ?? [],
      validate: plan.validate,
      blockers: [
        ...(await streamBlockers(project, stream, atTurn, checkpoints)),
        ...mainBlockers,
        ...(await inTheWayBlockers(project, sid, state.streams[sid]?.branch)),
        ...(stoppedAt ? [`tower merge --all stops at ${stoppedAt}, before ${sid}`] : []),
      ],
    });
    const merges = plans[plans.length - 1]?.blockers.length === 0;
    if (!id && !merges) stoppedAt ??= sid;
    const entry = atTurn.streams[sid];
    if (merges && entry) atTurn.streams[sid] = { ...entry, status: "merged" };
  }
  return plans;
}
