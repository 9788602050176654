/**
 * One conflict scan: read every active stream's changes (in parallel, a few git calls per
 * stream), predict the merges (in parallel with that), and derive the warnings. Detection only:
 * `recordConflicts` persists. Cheap enough to repeat every few seconds; merge predictions of
 * unchanged branches are remembered between scans of one process.
 */
import path from "node:path";
import { baseCommit } from "../base.js";
import { lockNamesFold } from "../locks.js";
import { byCodeUnit } from "../order.js";
import { mergeOrder, type Plan } from "../plan/index.js";
import type { OrchestratorFile } from "../state/formats.js";
import { collectChanges, StreamScanError } from "./changes.js";
import { importWarnings } from "./imports.js";
import { lockWarnings } from "./locks.js";
import {
  type FileSets,
  mergeWarnings,
  type PredictedMerge,
  predictMergeOrder,
  predictPairwise,
} from "./merge.js";
import { overlapWarnings } from "./overlap.js";
import { scopeWarnings } from "./scope.js";
import {
  type ActiveStream,
  type ConflictWarning,
  type ScanInput,
  SEVERITY_RANK,
  type StreamChanges,
  warningKey,
} from "./types.js";

/** Some streams could not be scanned; `warnings` holds what the others gave. */
export class ConflictScanError extends Error {
  constructor(
    readonly problems: StreamScanError[],
    readonly warnings: ConflictWarning[],
  ) {
    super(
      problems.length === 1
        ? `cannot scan for conflicts: ${problems[0]?.message}`
        : `cannot scan for conflicts:\n${problems.map((p) => `  ${p.message}`).join("\n")}`,
    );
    this.name = "ConflictScanError";
  }
}

const INACTIVE = new Set(["pending", "merged"]);

/**
 * Streams whose status is neither `pending` nor `merged` (so `in_progress`, `completed`,
 * `merge_failed`) and that have a worktree and a branch recorded, in merge order; streams the
 * plan does not know come last, by id. A relative worktree path is taken from `mainRoot`.
 */
export function activeStreams(
  plan: Plan,
  state: OrchestratorFile,
  mainRoot: string,
): ActiveStream[] {
  const order = mergeOrder(plan);
  const rank = (id: string) => {
    const i = order.indexOf(id);
    return i === -1 ? order.length : i;
  };
  const result: ActiveStream[] = [];
  for (const [id, entry] of Object.entries(state.streams)) {
    if (INACTIVE.has(entry.status)) continue;
    if (!entry.worktree || !entry.branch) continue;
    const spec = plan.streams.find((s) => s.id === id);
    const recorded = (entry.agents ?? []).filter((a): a is string => typeof a === "string");
    result.push({
      id,
      branch: entry.branch,
      worktree: path.resolve(mainRoot, entry.worktree),
      scope: spec?.scope ?? [],
      agents: spec ? spec.agents.map((a) => a.id) : recorded,
    });
  }
  return result.sort((a, b) => rank(a.id) - rank(b.id) || byCodeUnit(a.id, b.id));
}

const KIND_ORDER = ["merge", "lock", "overlap", "scope", "import"];

/** One warning per key (the first), most severe first, then by kind, streams and files. */
export function sortWarnings(warnings: readonly ConflictWarning[]): ConflictWarning[] {
  const unique = new Map<string, ConflictWarning>();
  for (const w of warnings) if (!unique.has(warningKey(w))) unique.set(warningKey(w), w);
  return [...unique.values()].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      byCodeUnit(warningKey(a), warningKey(b)),
  );
}

const baseCommitOf = (input: ScanInput): Promise<string> => baseCommit(input.mainRoot, input.base);

/** The active streams of the shared state, in merge order. */
export async function readActiveStreams(input: ScanInput): Promise<ActiveStream[]> {
  return activeStreams(input.plan, await input.store.read("orchestrator"), input.mainRoot);
}

/**
 * Predicted merges of the active streams in merge order into the base, as `tower merge` would
 * do them (committed work only). For `tower merge --dry-run` and the UI.
 */
export async function predictStreamMerges(input: ScanInput): Promise<PredictedMerge[]> {
  const base = await baseCommitOf(input);
  return predictMergeOrder(input.mainRoot, base, await readActiveStreams(input));
}

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

const asProblem = (stream: string, error: unknown): StreamScanError =>
  error instanceof StreamScanError
    ? error
    : new StreamScanError(stream, `stream ${stream}: ${(error as Error).message}`);

/** Scans the active streams; throws ConflictScanError when a stream cannot be read. */
export async function scanConflicts(input: ScanInput): Promise<ConflictWarning[]> {
  const now = input.now ?? new Date();
  const [streams, locks, base] = await Promise.all([
    readActiveStreams(input),
    input.store.read("locks"),
    baseCommitOf(input),
  ]);
  if (streams.length === 0) return [];
  const agents = new Map(streams.map((s) => [s.id, s.agents]));
  const reads = streams.map((s) => settle(collectChanges(s, base)));
  const all = Promise.all(reads);
  const committed: Promise<FileSets> = all.then(
    (results) =>
      new Map(
        results.flatMap((r) =>
          r.ok ? [[r.value.stream.id, r.value.committed] as [string, ReadonlySet<string>]] : [],
        ),
      ),
  );
  const [results, chain, pairs] = await Promise.all([
    all,
    settle(predictMergeOrder(input.mainRoot, base, streams, { committedFiles: committed })),
    settle(predictPairwise(input.mainRoot, streams, { base, committedFiles: committed })),
  ]);
  const changes: StreamChanges[] = [];
  const problems: StreamScanError[] = [];
  results.forEach((r, i) => {
    if (r.ok) changes.push(r.value);
    else problems.push(asProblem(streams[i]?.id ?? "?", r.error));
  });
  const warnings = [
    ...overlapWarnings(changes, agents),
    ...scopeWarnings(changes, agents),
    ...lockWarnings(changes, locks, input.plan, agents, now, await lockNamesFold(input.mainRoot)),
    ...importWarnings(changes, agents),
  ];
  if (chain.ok && pairs.ok) {
    warnings.push(...mergeWarnings(chain.value, pairs.value, input.base ?? "the base", agents));
  } else {
    const error = chain.ok ? (pairs.ok ? undefined : pairs.error) : chain.error;
    problems.push(
      new StreamScanError("", `merge prediction failed: ${(error as Error)?.message ?? error}`),
    );
  }
  const sorted = sortWarnings(warnings);
  if (problems.length > 0) throw new ConflictScanError(problems, sorted);
  return sorted;
}
