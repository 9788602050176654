/** The data the control room shows, as the store holds it (plain data, no class instances). */

import type { ConflictWarning } from "../../engine/conflicts/index.js";
import type { LockInfo } from "../../engine/locks.js";
import type { ActivityEntry, Handoff } from "../../engine/state/formats.js";
import type { StatusReport } from "../../engine/status.js";
import type { TaskRow } from "../../engine/tasks/index.js";

export type AgentStatus = "starting" | "running" | "idle" | "waiting" | "exited";
export type Tab = "locks" | "conflicts" | "checkpoints" | "tasks" | "activity" | "handoffs";
export const TABS: readonly Tab[] = [
  "locks",
  "conflicts",
  "checkpoints",
  "tasks",
  "activity",
  "handoffs",
];

export interface AgentView {
  id: string;
  stream: string;
  task: string;
  branch: string;
  status: AgentStatus;
  /** The agent's role (its name), if the plan gives it one. */
  role?: string;
  /** What told the status: the agent's hooks, its title or OSC, the screen, its output. */
  source?: string;
  exitCode?: number | null;
  signal?: string | null;
}

export interface CheckpointRow {
  id: string;
  status: string;
  kind: "approval" | "run" | "gate";
  dependsOn: string[];
  waitingFor: string[];
}

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
}
