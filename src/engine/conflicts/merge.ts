/**
 * Merge: textual conflicts predicted by `git merge-tree --write-tree`, from COMMITTED work only
 * (staged, unstaged and untracked changes are not part of a branch yet, so they cannot be
 * predicted; the overlap warnings cover them).
 *
 * - In merge order: each stream's branch is merged into the base as it will be after the earlier
 *   streams; every clean result is wrapped by `git commit-tree` (parents: the previous result and
 *   the branch) to be the next step's base. A stream that conflicts is left out of the chain.
 * - Pairwise: every two active streams' branches merged directly.
 *
 * No ref, index or working tree is touched. Results depend only on the commits involved, so they
 * are remembered for the life of the process: a repeated scan of unchanged branches runs no merge.
 */
import {
  changedFilesBetween,
  commitTree,
  mergeBase,
  mergeTree,
  resolveCommit,
} from "../git/index.js";
import { agentsOf, branchRef, type ConflictWarning, listFiles } from "./types.js";

export interface MergeCandidate {
  id: string;
  branch: string;
  /** The branch's commit, when the caller has already resolved it. */
  commit?: string;
}

/** One step of the predicted merge order. */
export interface PredictedMerge {
  stream: string;
  branch: string;
  /** The branch commit that was predicted. */
  commit: string;
  clean: boolean;
  /** Conflicted paths (empty when clean). */
  conflictFiles: string[];
  /**
   * The earlier streams of the chain whose committed changes touch a conflicted path; empty when
   * the conflict is with the base's own changes.
   */
  conflictsWith: string[];
  /** The streams merged before this one in the chain (the earlier clean ones). */
  after: string[];
  /** When clean: the predicted tree and an unreferenced commit of the base after this merge. */
  tree?: string;
  result?: string;
}

export interface PairPrediction {
  streams: [string, string];
  clean: boolean;
  conflictFiles: string[];
}

/** Per stream id: the files its branch changed against its merge base with the base. */
export type FileSets = ReadonlyMap<string, ReadonlySet<string>>;

interface Step {
  clean: boolean;
  tree: string;
  conflicts: string[];
  result?: string;
}

const MEMO_LIMIT = 4096;
const memo = new Map<string, Promise<Step>>();

function remember(key: string, compute: () => Promise<Step>): Promise<Step> {
  const known = memo.get(key);
  if (known) return known;
  if (memo.size >= MEMO_LIMIT) memo.clear();
  const pending = compute();
  memo.set(key, pending);
  pending.catch(() => memo.delete(key));
  return pending;
}

/** Forgets remembered merge results (for benchmarks measuring a cold scan). */
export function clearMergeMemo(): void {
  memo.clear();
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function commitOf(repoRoot: string, candidate: MergeCandidate): Promise<string> {
  if (candidate.commit) return candidate.commit;
  const commit = await resolveCommit(repoRoot, branchRef(candidate.branch));
  if (!commit) throw new Error(`stream ${candidate.id}: branch ${candidate.branch} does not exist`);
  return commit;
}

/** Files each stream's branch changed against its merge base with `base`. */
async function committedFiles(
  repoRoot: string,
  base: string,
  streams: readonly MergeCandidate[],
): Promise<FileSets> {
  const entries = await mapLimit(streams, 8, async (s) => {
    const commit = await commitOf(repoRoot, s);
    const from = await mergeBase(repoRoot, base, commit);
    const files = from ? await changedFilesBetween(repoRoot, from, commit) : [];
    return [s.id, new Set(files)] as const;
  });
  return new Map(entries);
}

/**
 * Predicts merging `streams` (in merge order) one after another into `base` (a commit or ref),
 * as `tower merge` will. Committed work only.
 */
export async function predictMergeOrder(
  repoRoot: string,
  base: string,
  streams: readonly MergeCandidate[],
  options: { committedFiles?: FileSets | Promise<FileSets> } = {},
): Promise<PredictedMerge[]> {
  const baseCommit = await resolveCommit(repoRoot, base);
  if (!baseCommit) throw new Error(`the base ${base} names no commit`);
  const commits = await Promise.all(streams.map((s) => commitOf(repoRoot, s)));
  let files: FileSets | undefined;
  const filesOf = async (): Promise<FileSets> => {
    files ??=
      (await options.committedFiles) ?? (await committedFiles(repoRoot, baseCommit, streams));
    return files;
  };
  let head = baseCommit;
  const applied: string[] = [];
  const steps: PredictedMerge[] = [];
  for (const [i, stream] of streams.entries()) {
    const commit = commits[i]!;
    const prev = head;
    const step = await remember(`chain\0${repoRoot}\0${prev}\0${commit}`, async () => {
      const merged = await mergeTree(repoRoot, prev, commit);
      if (!merged.clean) return merged;
      const message = `tower: predicted merge of ${stream.branch}`;
      return {
        ...merged,
        result: await commitTree(repoRoot, merged.tree, [prev, commit], message),
      };
    }).catch((error: unknown) => {
      // A remembered predicted commit may have been pruned since (git gc): start afresh.
      memo.clear();
      throw error;
    });
    const predicted: PredictedMerge = {
      stream: stream.id,
      branch: stream.branch,
      commit,
      clean: step.clean,
      conflictFiles: step.clean ? [] : step.conflicts,
      conflictsWith: [],
      after: [...applied],
    };
    if (step.clean && step.result) {
      predicted.tree = step.tree;
      predicted.result = step.result;
      head = step.result;
      applied.push(stream.id);
    } else if (applied.length > 0) {
      const sets = await filesOf();
      predicted.conflictsWith = applied.filter((id) =>
        step.conflicts.some((file) => sets.get(id)?.has(file)),
      );
    }
    steps.push(predicted);
  }
  return steps;
}

/**
 * Every two streams' branches merged with each other (`streams` order kept within each pair).
 *
 * With `base`, each branch is first merged onto the base (as `tower merge` will bring it), and
 * the pair is those two results merged: only what the two streams changed themselves can
 * conflict. Merging the branches directly blamed a stream branched after another stream's merge
 * for that merge's changes, which the base already holds. A branch that does not merge cleanly
 * onto the base (the merge-order warning says so) is merged directly, and only the files both
 * streams changed themselves count.
 */
export async function predictPairwise(
  repoRoot: string,
  streams: readonly MergeCandidate[],
  options: { base?: string; committedFiles?: FileSets | Promise<FileSets> } = {},
): Promise<PairPrediction[]> {
  const commits = await Promise.all(streams.map((s) => commitOf(repoRoot, s)));
  const base = options.base ? await resolveCommit(repoRoot, options.base) : undefined;
  const onto = await Promise.all(
    commits.map((commit, i) =>
      base === undefined
        ? undefined
        : remember(`onto\0${repoRoot}\0${base}\0${commit}`, async () => {
            const merged = await mergeTree(repoRoot, base, commit);
            if (!merged.clean) return merged;
            const message = `tower: predicted merge of ${streams[i]!.branch}`;
            return {
              ...merged,
              result: await commitTree(repoRoot, merged.tree, [base, commit], message),
            };
          }),
    ),
  );
  let files: FileSets | undefined;
  const filesOf = async (): Promise<FileSets | undefined> => {
    if (base === undefined) return undefined;
    files ??= (await options.committedFiles) ?? (await committedFiles(repoRoot, base, streams));
    return files;
  };
  const pairs: [number, number][] = [];
  for (let i = 0; i < streams.length; i++)
    for (let j = i + 1; j < streams.length; j++) pairs.push([i, j]);
  return mapLimit(pairs, 8, async ([i, j]) => {
    const ids: [string, string] = [streams[i]!.id, streams[j]!.id];
    const a = onto[i]?.result;
    const b = onto[j]?.result;
    if (a !== undefined && b !== undefined) {
      const step = await remember(`pair\0${repoRoot}\0${a}\0${b}`, () => mergeTree(repoRoot, a, b));
      return { streams: ids, clean: step.clean, conflictFiles: step.clean ? [] : step.conflicts };
    }
    const direct = await remember(`pair\0${repoRoot}\0${commits[i]}\0${commits[j]}`, () =>
      mergeTree(repoRoot, commits[i]!, commits[j]!),
    );
    const sets = direct.clean ? undefined : await filesOf();
    const conflictFiles = direct.clean
      ? []
      : direct.conflicts.filter(
          (file) => !sets || (sets.get(ids[0])?.has(file) && sets.get(ids[1])?.has(file)),
        );
    return { streams: ids, clean: conflictFiles.length === 0, conflictFiles };
  });
}

export function mergeWarnings(
  chain: readonly PredictedMerge[],
  pairs: readonly PairPrediction[],
  baseName: string,
  agents: ReadonlyMap<string, string[]>,
): ConflictWarning[] {
  const warnings: ConflictWarning[] = [];
  for (const step of chain) {
    if (step.clean) continue;
    const files = step.conflictFiles;
    const streams = [...step.conflictsWith, step.stream];
    const message =
      step.conflictsWith.length > 0
        ? `Merging stream ${step.stream} after ${step.conflictsWith.join(", ")} ` +
          `(merge order) would conflict in ${listFiles(files)}.`
        : `Merging stream ${step.stream} into ${baseName}` +
          (step.after.length > 0 ? ` after ${step.after.join(", ")}` : "") +
          ` would conflict in ${listFiles(files)}, which ${baseName} changed since ${step.stream} branched.`;
    warnings.push({
      kind: "merge",
      streams,
      agents: agentsOf(streams, agents),
      files,
      severity: "high",
      message,
    });
  }
  for (const pair of pairs) {
    if (pair.clean) continue;
    const [a, b] = pair.streams;
    warnings.push({
      kind: "merge",
      streams: [a, b],
      agents: agentsOf([a, b], agents),
      files: pair.conflictFiles,
      severity: "high",
      message: `The branches of streams ${a} and ${b} conflict with each other in ${listFiles(pair.conflictFiles)}.`,
    });
  }
  return warnings;
}
