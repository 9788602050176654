/**
 * One picture of the project: the plan's DAG joined with the recorded state. This is the shape
 * of `tower status --json`, kept stable for other tools.
 */
import { type CheckpointView, checkpointViews } from "./checkpoints.js";
import { type LockInfo, listLocks } from "./locks.js";
import { branchName, worktreePath } from "./naming.js";
import { mergeOrder, phases, type StreamStatus, startability } from "./plan/index.js";
import type { Project } from "./project.js";

export interface StreamReport {
  id: string;
  name: string;
  status: StreamStatus;
  depends_on: string[];
  can_start: boolean;
  waiting_for: string[];
  /** Why it cannot start, when it cannot (`E cannot start: waiting for A (in_progress)`). */
  reason: string | null;
  branch: string;
  worktree: string;
  agents: { id: string; task: string }[];
}

export interface StatusReport {
  project: string;
  base: string | null;
  state_dir: string;
  phases: string[][];
  merge_order: string[];
  streams: StreamReport[];
  locks: LockInfo[];
  checkpoints: { id: string; status: CheckpointView["status"]; depends_on: string[] }[];
}

export async function buildStatus(
  project: Pick<Project, "plan" | "store" | "base" | "seal">,
  now = new Date(),
): Promise<StatusReport> {
  const { plan, store, base, seal } = project;
  const [orchestrator, locksFile, checkpointsFile] = await Promise.all([
    store.read("orchestrator"),
    store.read("locks"),
    store.read("checkpoints"),
  ]);
  const statuses: Record<string, StreamStatus> = {};
  for (const stream of plan.streams)
    statuses[stream.id] = orchestrator.streams[stream.id]?.status ?? "pending";
  const starts = new Map(startability(plan, statuses).map((s) => [s.id, s]));
  return {
    project: plan.project,
    base: base ?? null,
    state_dir: store.dir,
    phases: phases(plan),
    merge_order: mergeOrder(plan),
    streams: plan.streams.map((stream) => {
      const recorded = orchestrator.streams[stream.id];
      const start = starts.get(stream.id);
      return {
        id: stream.id,
        name: stream.name,
        status: statuses[stream.id] ?? "pending",
        depends_on: stream.dependsOn,
        can_start: start?.canStart ?? false,
        waiting_for: start?.waitingFor.map((w) => w.id) ?? [],
        reason: start?.reason ?? null,
        branch: recorded?.branch ?? branchName(plan, stream),
        worktree: recorded?.worktree ?? worktreePath(plan, stream),
        agents: stream.agents.map((a) => ({ id: a.id, task: a.task })),
      };
    }),
    locks: listLocks(locksFile, now),
    checkpoints: checkpointViews(plan, checkpointsFile, seal, statuses).map((c) => ({
      id: c.id,
      status: c.status,
      depends_on: c.depends_on,
    })),
  };
}
