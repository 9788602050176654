/**
 * Checkpoints: named gates passed by a command (`run:`) or by a human approval
 * (`approval: human`); a gate with neither passes once everything it depends on has passed.
 * Their state lives in `checkpoints.json`.
 */
import { RefusedError, UnknownIdError } from "./errors.js";
import type { CheckpointSpec, Plan } from "./plan/index.js";
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
  kind: "approval" | "run" | "gate";
  waiting_for: string[];
}

/**
 * The status of every checkpoint in plan order. A recorded status wins, but a recorded pass
 * (approved, passed) that does not bear Tower's seal is `forged`; a gate with neither `run` nor
 * `approval` is `passed` when all its dependencies are satisfied.
 */
export function checkpointViews(plan: Plan, file: CheckpointsFile, seal: Seal): CheckpointView[] {
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
    if (!recorded && !cp.run && !cp.approval && !seen.has(cp.id)) {
      seen.add(cp.id);
      const deps = cp.dependsOn.map((d) => plan.checkpoints.find((c) => c.id === d));
      result = deps.every((d) => d && isSatisfied(resolve(d, seen))) ? "passed" : "pending";
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
      kind: cp.approval ? "approval" : cp.run ? "run" : "gate",
      waiting_for: cp.dependsOn.filter((d) => !isSatisfied(status.get(d) ?? "pending")),
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
  await store.update("checkpoints", (file) => {
    const current = file.checkpoints[id];
    if (current?.status === "approved" && request.seal.verify(id, current)) {
      already = { by: current.by ?? "", updated: current.updated ?? "" };
      return;
    }
    const views = checkpointViews(plan, file, request.seal);
    const view = views.find((v) => v.id === id);
    if (view && view.waiting_for.length > 0) {
      const waits = view.waiting_for
        .map((d) => `${d} (${views.find((v) => v.id === d)?.status ?? "pending"})`)
        .join(", ");
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
