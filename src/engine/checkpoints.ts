/**
 * Checkpoints: named gates passed by a command (`run:`), by criteria (a quality gate, see
 * gates/), or by a human approval (`approval: human`); a gate with none of them passes once
 * everything it depends on has passed (checkpoints in `depends_on`, streams in `after`). Their
 * state lives in `checkpoints.json`.
 */
import { RefusedError, UnknownIdError } from "./errors.js";
import type { CheckpointSpec, Plan, StreamStatus } from "./plan/index.js";
import type { Seal } from "./seal.js";
import type { CheckpointStatus, CheckpointsFile } from "./state/formats.js";
import type { StateStore } from "./state/store.js";
import { toUtcIso } from "./state/time.js";

const SATISFIED: ReadonlySet<CheckpointViewStatus> = new Set(["approved", "passed"]);
export const isSatisfied = (status: CheckpointViewStatus): boolean => SATISFIED.has(status);

/** A recorded pass without Tower's seal: written by hand or by an agent, it passes nothing. */
export type CheckpointViewStatus = CheckpointStatus | "forged";

export interface CheckpointView {
  id: string;
  status: CheckpointViewStatus;
  depends_on: string[];
  /** `run` for a command or a quality gate's criteria; `gate` passes by itself. */
  kind: "approval" | "run" | "gate";
  waiting_for: string[];
  /** Streams of its `after` that are not completed or merged yet. */
  waiting_for_streams: string[];
  /** A quality gate's criteria by name; empty for any other checkpoint. */
  criteria: string[];
  /** Runs by itself once nothing is waited for (see gates/auto.ts). */
  auto: boolean;
}

/** Stream statuses that count as done for a checkpoint's `after`. */
const STREAM_DONE: ReadonlySet<StreamStatus | undefined> = new Set([
  "completed",
  "merged",
  "merge_failed",
]);

/** The streams of `after` that are not done, given every stream's status. */
export function streamsWaitedFor(
  cp: CheckpointSpec,
  streams: Readonly<Record<string, StreamStatus | undefined>> | undefined,
): string[] {
  return cp.after.filter((id) => !STREAM_DONE.has(streams?.[id]));
}

/**
 * The status of every checkpoint in plan order. A recorded status wins, but a recorded pass
 * (approved, passed) that does not bear Tower's seal is `forged`; a gate with none of `run`,
 * `criteria` and `approval` is `passed` when all its dependencies are satisfied. `streams`
 * (each stream's status) decides `after:`; without it, streams in `after` count as not done.
 */
export function checkpointViews(
  plan: Plan,
  file: CheckpointsFile,
  seal: Seal,
  streams?: Readonly<Record<string, StreamStatus | undefined>>,
): CheckpointView[] {
  const status = new Map<string, CheckpointViewStatus>();
  const recordedStatus = (id: string): CheckpointViewStatus | undefined => {
    const entry = Object.hasOwn(file.checkpoints, id) ? file.checkpoints[id] : undefined;
    if (!entry) return undefined;
    if (isSatisfied(entry.status) && !seal.verify(id, entry)) return "forged";
    return entry.status;
  };
  const resolve = (cp: CheckpointSpec, seen: Set<string>): CheckpointViewStatus => {
    const known = status.get(cp.id);
    if (known) return known;
    const recorded = recordedStatus(cp.id);
    let result: CheckpointViewStatus = recorded ?? "pending";
    if (!recorded && !cp.run && !cp.approval && !cp.criteria && !seen.has(cp.id)) {
      seen.add(cp.id);
      const deps = cp.dependsOn.map((d) => plan.checkpoints.find((c) => c.id === d));
      const ready =
        deps.every((d) => d && isSatisfied(resolve(d, seen))) &&
        streamsWaitedFor(cp, streams).length === 0;
      result = ready ? "passed" : "pending";
    }
    status.set(cp.id, result);
    return result;
  };
  return plan.checkpoints.map((cp) => {
    const own = resolve(cp, new Set());
    return {
      id: cp.id,
      status: own,
      depends_on: cp.dependsOn,
      kind: cp.approval ? "approval" : cp.run || cp.criteria ? "run" : "gate",
      waiting_for: cp.dependsOn.filter((d) => !isSatisfied(status.get(d) ?? "pending")),
      waiting_for_streams: streamsWaitedFor(cp, streams),
      criteria: cp.criteria?.map((c) => c.name) ?? [],
      auto: cp.auto,
    };
  });
}

function findCheckpoint(plan: Plan, id: string): CheckpointSpec {
  const cp = plan.checkpoints.find((c) => c.id === id);
  if (cp) return cp;
  const known = plan.checkpoints.map((c) => c.id).join(", ") || "none";
  throw new UnknownIdError(`unknown checkpoint "${id}" (known: ${known})`);
}

export interface DecisionRequest {
  plan: Plan;
  store: StateStore;
  /** Tower's seal, with its key: the approval is sealed with it. */
  seal: Seal;
  id: string;
  by: string;
  note?: string;
  now?: Date;
}

function assertHumanGate(cp: CheckpointSpec, verb: string): void {
  if (cp.criteria) {
    throw new RefusedError(
      `checkpoint "${cp.id}" passes when its criteria (${cp.criteria.map((c) => c.name).join(", ")}) do: run them with \`tower gate run ${cp.id}\`; it cannot be ${verb} by hand`,
    );
  }
  if (cp.run) {
    throw new RefusedError(
      `checkpoint "${cp.id}" passes when \`${cp.run}\` exits 0; it cannot be ${verb} by hand`,
    );
  }
  if (!cp.approval) {
    throw new RefusedError(
      `checkpoint "${cp.id}" passes by itself once ${cp.dependsOn.join(", ") || "its dependencies"} pass; it cannot be ${verb} by hand`,
    );
  }
}

/**
 * Records a human approval; refused while a checkpoint it depends on has not passed. An approval
 * of an approved checkpoint changes nothing and logs nothing: it returns the approval on record.
 */
export async function approveCheckpoint(
  request: DecisionRequest,
): Promise<{ already?: { by: string; updated: string } }> {
  const { plan, store, id } = request;
  const cp = findCheckpoint(plan, id);
  assertHumanGate(cp, "approved");
  const now = request.now ?? new Date();
  let already: { by: string; updated: string } | undefined;
  const streamStatuses = await recordedStreamStatuses(store);
  await store.update("checkpoints", (file) => {
    const current = file.checkpoints[id];
    if (current?.status === "approved" && request.seal.verify(id, current)) {
      already = { by: current.by ?? "", updated: current.updated ?? "" };
      return;
    }
    const views = checkpointViews(plan, file, request.seal, streamStatuses);
    const view = views.find((v) => v.id === id);
    if (view && (view.waiting_for.length > 0 || view.waiting_for_streams.length > 0)) {
      const waits = [
        ...view.waiting_for.map(
          (d) => `${d} (${views.find((v) => v.id === d)?.status ?? "pending"})`,
        ),
        ...view.waiting_for_streams.map((s) => `stream ${s} (${streamStatuses[s] ?? "pending"})`),
      ].join(", ");
      throw new RefusedError(`checkpoint "${id}" cannot be approved yet: waiting for ${waits}`);
    }
    const entry = {
      status: "approved" as const,
      updated: toUtcIso(now),
      by: request.by,
      note: request.note ?? "",
    };
    file.checkpoints[id] = { ...entry, seal: request.seal.sign(id, entry) };
  });
  if (already) return { already };
  await store.appendActivity(
    {
      agent: request.by,
      stream: "",
      action: "checkpoint_approved",
      checkpoint: id,
      note: request.note ?? "",
    },
    now,
  );
  return {};
}

/** Records a human rejection with its reason. */
export async function rejectCheckpoint(request: DecisionRequest & { note: string }): Promise<void> {
  const { plan, store, id } = request;
  assertHumanGate(findCheckpoint(plan, id), "rejected");
  const now = request.now ?? new Date();
  await store.update("checkpoints", (file) => {
    file.checkpoints[id] = {
      status: "rejected",
      updated: toUtcIso(now),
      by: request.by,
      note: request.note,
    };
  });
  await store.appendActivity(
    {
      agent: request.by,
      stream: "",
      action: "checkpoint_rejected",
      checkpoint: id,
      note: request.note,
    },
    now,
  );
}

/** Every stream's recorded status, for checkpoints that come `after` streams. */
export async function recordedStreamStatuses(
  store: StateStore,
): Promise<Record<string, StreamStatus | undefined>> {
  const file = await store.read("orchestrator");
  return Object.fromEntries(Object.entries(file.streams).map(([id, s]) => [id, s.status]));
}
