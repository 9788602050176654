/** The data the control room shows, as the store holds it (plain data, no class instances). */
import type { ConflictWarning } from "../../engine/conflicts/index.js";
import type { LockInfo } from "../../engine/locks.js";
import type { ActivityEntry, Handoff } from "../../engine/state/formats.js";
import type { StatusReport } from "../../engine/status.js";

export type AgentStatus = "starting" | "running" | "idle" | "waiting" | "exited";
export type Tab = "locks" | "conflicts" | "checkpoints" | "activity" | "handoffs";
export const TABS: readonly Tab[] = ["locks", "conflicts", "checkpoints", "activity", "handoffs"];

export interface AgentView {
  id: string;
  stream: string;
  task: string;
  branch: string;
  status: AgentStatus;
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
  /** Oldest first, capped. */
  activity: ActivityEntry[];
  handoffs: Handoff[];
}
