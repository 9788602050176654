import type { PlanIssue } from "./issues.js";

export type Preset = "claude" | "codex" | "aider" | "gemini" | "shell";
export type LockMode = "auto" | "advisory" | "off";
export type ScopeMode = "enforce" | "warn";

/** A string is run by `sh -c`; a list is argv. */
export type AgentCommand = string | string[];

export interface AgentSpec {
  id: string;
  stream: string;
  task: string;
  /** The agent's own command, or the plan's default `agent`. */
  command: AgentCommand;
  /** Only when given explicitly in streams.yaml. */
  preset?: Preset;
}

export interface StreamSpec {
  id: string;
  name: string;
  dependsOn: string[];
  requires: string[];
  scope: string[];
  /** The plan's `scope_mode`, or the stream's own. */
  scopeMode: ScopeMode;
  /** The plan's `locks`, or the stream's own. */
  locks: LockMode;
  agents: AgentSpec[];
}

export interface CheckpointSpec {
  id: string;
  dependsOn: string[];
  approval?: "human";
  run?: string;
}

export interface Plan {
  /** Absolute path of streams.yaml. */
  file: string;
  /** Absolute path of the folder containing it (the repository root). */
  root: string;
  version: 1;
  project: string;
  /** Undefined when not written: the caller resolves it via git. */
  base?: string;
  /** As written, relative to `root`; default "..". */
  worktrees: string;
  branchPrefix: string;
  /** As written, relative to the main worktree root; default ".claude/state". */
  stateDir: string;
  lockTtlMs: number;
  /** Default agent command. */
  agent: AgentCommand;
  validate: string[];
  /** Globs of ignored files that can be removed with a worktree; undefined: the default list. */
  reproducible?: string[];
  /** File order. */
  checkpoints: CheckpointSpec[];
  /** File order, which is the plan order. */
  streams: StreamSpec[];
  warnings: PlanIssue[];
  /** Keys of control room commands from `ui.keys`, by command id (only those given). */
  uiKeys: Record<string, string[]>;
}

export type StreamStatus = "pending" | "in_progress" | "completed" | "merged" | "merge_failed";

export interface Startability {
  id: string;
  canStart: boolean;
  /** Dependencies not yet completed or merged, in depends_on order. */
  waitingFor: { id: string; status: StreamStatus }[];
  /** Why it cannot start; absent when it can. */
  reason?: string;
}
