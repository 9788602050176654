import type { PlanIssue } from "./issues.js";
import type { Position } from "./positions.js";

export type Preset = "claude" | "codex" | "aider" | "gemini" | "shell";
export type LockMode = "auto" | "advisory" | "off";
export type ScopeMode = "enforce" | "warn";

/** A string is run by `sh -c`; a list is argv. */
export type AgentCommand = string | string[];

export type Priority = "P0" | "P1" | "P2" | "P3";

/** A role as the plan resolves it: a built-in one, the plan's own, or a built-in overridden. */
export interface RoleSpec {
  id: string;
  /** How it is shown: `Senior developer`. */
  name: string;
  responsibilities: string[];
  deliverables: string[];
  criteria: string[];
  /** The default command of the role's agents (an agent's own `agent` wins). */
  command?: AgentCommand;
  preset?: Preset;
  source: "builtin" | "plan" | "override";
}

/** One task of a stream's board. */
export interface TaskSpec {
  id: string;
  stream: string;
  title: string;
  priority: Priority;
  /** The agent that does it; undefined: any agent of the stream. */
  agent?: string;
  dependsOn: string[];
  /** Made from an agent's `task:` in a stream without `tasks:` (its id is the agent's). */
  implicit: boolean;
}

/** One criterion of a quality gate. */
export interface CriterionSpec {
  name: string;
  run: string;
  metric?: string;
  /** As written: `>= 90`. */
  expect?: string;
  /**
   * Where to run and compare, as written (a stream or an agent id) with the stream whose worktree
   * that is; the first is the reference for `within`.
   */
  across?: { id: string; stream: string }[];
  within?: string | number;
}

export interface AgentSpec {
  id: string;
  stream: string;
  /** Its own `task:`, else the titles of the board's tasks it may take. */
  task: string;
  /** Its role's id, when it has one. */
  role?: string;
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
  /** The task board in plan order (the agents' own tasks when the stream lists none). */
  tasks: TaskSpec[];
}

export interface CheckpointSpec {
  id: string;
  dependsOn: string[];
  /** Streams that must be completed (or merged) first. */
  after: string[];
  approval?: "human";
  run?: string;
  /** A quality gate's criteria. */
  criteria?: CriterionSpec[];
  /** Runs by itself once everything it depends on has passed. */
  auto: boolean;
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
  /** Where `state_dir` is written in the file; undefined when it is not (the default applies). */
  stateDirAt?: Position;
  lockTtlMs: number;
  /** Default agent command. */
  agent: AgentCommand;
  validate: string[];
  /** Globs of ignored files that can be removed with a worktree; undefined: the default list. */
  reproducible?: string[];
  /** Every role an agent may name: the built-in ones (as overridden) and the plan's own. */
  roles: RoleSpec[];
  /** File order. */
  checkpoints: CheckpointSpec[];
  /** File order, which is the plan order. */
  streams: StreamSpec[];
  warnings: PlanIssue[];
  /** Keys of control room commands from `ui.keys`, by command id (only those given). */
  uiKeys: Record<string, string[]>;
  /** What marking a task done in the control room does about its agent's next task. */
  nextTask: "ask" | "paste" | "off";
  /** The events that ring the user's terminal (`ui.notify`). */
  uiNotify: NotifyEvent[];
  /** The mouse in the control room (`ui.mouse`). */
  uiMouse: boolean;
  /** The user's command for notifications (`notify:`). */
  notify?: { run: string; on: NotifyEvent[] };
}

export type NotifyEvent = "waiting" | "failed" | "merge" | "gate";

export type StreamStatus = "pending" | "in_progress" | "completed" | "merged" | "merge_failed";

export interface Startability {
  id: string;
  canStart: boolean;
  /** Dependencies not yet completed or merged, in depends_on order. */
  waitingFor: { id: string; status: StreamStatus }[];
  /** Why it cannot start; absent when it can. */
  reason?: string;
}
