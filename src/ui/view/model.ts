/** The data the control room shows, as the store holds it (plain data, no class instances). */
import type { AgentStatus, AgentView, CheckpointRow, SnapshotRow } from "../../room/state.js";

export type { AgentStatus, AgentView, CheckpointRow, SnapshotRow };

import type { ConflictWarning } from "../../engine/conflicts/index.js";
import type { LockInfo } from "../../engine/locks.js";
import type { ActivityEntry, Handoff } from "../../engine/state/formats.js";
import type { StatusReport } from "../../engine/status.js";
import type { TaskRow } from "../../engine/tasks/index.js";

export type Tab =
  | "locks"
  | "conflicts"
  | "checkpoints"
  | "tasks"
  | "activity"
  | "handoffs"
  | "snapshots";
export const TABS: readonly Tab[] = [
  "locks",
  "conflicts",
  "checkpoints",
  "tasks",
  "activity",
  "handoffs",
  "snapshots",
];

export interface ProjectView {
  status: StatusReport | undefined;
  agents: AgentView[];
  locks: LockInfo[];
  conflicts: ConflictWarning[];
  checkpoints: CheckpointRow[];
  /** The task board: by stream in plan order, by priority within a stream. */
  tasks: TaskRow[];
  /** Oldest first, capped. */
  activity: ActivityEntry[];
  handoffs: Handoff[];
  /** The stream worktrees' snapshots, newest first, capped. */
  snapshots: SnapshotRow[];
}

/** What the views read of a store holding the room's slices, with the agents in pane order. */
export function projectViewOf(
  s: Omit<ProjectView, "agents">,
  agents: AgentView[] = [],
): ProjectView {
  return {
    status: s.status,
    agents,
    locks: s.locks,
    conflicts: s.conflicts,
    checkpoints: s.checkpoints,
    tasks: s.tasks,
    activity: s.activity,
    handoffs: s.handoffs,
    snapshots: s.snapshots,
  };
}
