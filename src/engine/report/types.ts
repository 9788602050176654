/**
 * The run report's JSON (`tower report --json`), documented in docs/report-json.md. Stable:
 * fields are only ever added. Times are ISO 8601 in UTC (`Z`), durations whole milliseconds;
 * anything unknown is null, never left out.
 */

export const REPORT_FORMAT = "tower-run-report";
export const REPORT_VERSION = 1;

export interface RunReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  project: string;
  base: string | null;
  generated_at: string;
  run: RunTimes;
  verdict: Verdict;
  streams: StreamReport[];
  agents: AgentReport[];
  tasks: TaskReport[];
  checkpoints: CheckpointReport[];
  approvals: ApprovalReport[];
  validations: ValidationReport[];
  locks: LockReport[];
  refusals: RefusalReport[];
  conflicts: { found: ConflictFound[]; cleared: ConflictCleared[] };
  handoffs: HandoffReport[];
  /** Lines of the state files that could not be read, and other doubts about the numbers. */
  warnings: string[];
}

export interface RunTimes {
  /** The first stream's start. */
  started_at: string | null;
  /** The last event: the last activity entry or merge. */
  ended_at: string | null;
  /** ended_at - started_at: what the run took. */
  wall_ms: number | null;
  /** The sum of every agent's active time. */
  agent_ms: number;
  /** agent_ms / wall_ms, two decimals: how many agents worked at once, on average. */
  parallelism: number | null;
  /** agent_ms - wall_ms: what running the agents side by side saved over one after another. */
  saved_ms: number | null;
  /** Every stream is merged. */
  finished: boolean;
}

export type VerdictCriterion = "streams_merged" | "gates_passed" | "human_acceptance";

export interface Verdict {
  /** Every line is ok. */
  ok: boolean;
  lines: { criterion: VerdictCriterion; ok: boolean; text: string }[];
}

export interface StreamReport {
  id: string;
  name: string;
  /** 1-based phase of the plan's DAG. */
  phase: number;
  status: "pending" | "in_progress" | "completed" | "merged" | "merge_failed";
  depends_on: string[];
  branch: string | null;
  agents: string[];
  started_at: string | null;
  completed_at: string | null;
  merged_at: string | null;
  merge_commit: string | null;
  /** From the run's start to the stream's: waiting for its dependencies. */
  waited_ms: number | null;
  /** From its start to its completion. */
  work_ms: number | null;
  /** From its completion to its merge: review, gates, validation. */
  review_ms: number | null;
  /** Merges that failed (conflict, validation) before the one that held. */
  merge_failures: number;
  /** Commits of its branch (from git; null when git no longer has them). */
  commits: number | null;
  /** Files its branch changed (from git). */
  files_changed: number | null;
  tasks_total: number;
  tasks_done: number;
}

export interface AgentReport {
  id: string;
  stream: string;
  role: string | null;
  role_name: string | null;
  /** When it started working: its stream's start (or its own `agent_started`). */
  started_at: string | null;
  /** Its exit, else its stream's completion, else its last activity. */
  ended_at: string | null;
  active_ms: number | null;
  /** Its last status in agents.json, when Tower ran it. */
  status: string | null;
  exit_code: number | null;
  tasks_done: string[];
  tasks_open: string[];
  locks_taken: number;
  refusals: number;
  handoffs_given: number;
  handoffs_received: number;
  /** Activity entries it wrote. */
  activity: number;
}

export interface TaskReport {
  id: string;
  title: string;
  stream: string;
  priority: string;
  assignee: string | null;
  agent: string | null;
  status: "todo" | "in_progress" | "blocked" | "done";
  started_at: string | null;
  done_at: string | null;
  note: string | null;
}

export interface CriterionOutcome {
  name: string;
  ok: boolean;
  value: number | null;
  detail: string;
}

export interface CheckpointReport {
  id: string;
  /** approval: a human; run: a command; gate: criteria; auto_pass: passes with its dependencies. */
  kind: "approval" | "run" | "gate" | "auto_pass";
  /** As `tower status` shows it (a pass without Tower's seal is `forged`). */
  status: string;
  by: string | null;
  at: string | null;
  note: string | null;
  criteria: CriterionOutcome[];
}

export interface ApprovalReport {
  checkpoint: string;
  decision: "approved" | "rejected";
  by: string;
  at: string;
  note: string | null;
}

export interface ValidationReport {
  at: string;
  stream: string;
  ok: boolean;
  /** The command that failed, or every command that passed. */
  commands: string[];
  exit_code: number | null;
}

export interface LockReport {
  agent: string;
  stream: string;
  file: string;
  taken_at: string;
  /** null: still held at the end of the log. */
  released_at: string | null;
  held_ms: number | null;
}

export interface RefusalReport {
  at: string;
  agent: string;
  stream: string;
  what: string;
  file: string | null;
  holder: string | null;
  reason: string;
}

export interface ConflictFound {
  at: string;
  agent: string;
  stream: string | null;
  severity: string;
  warning: string;
}

export interface ConflictCleared {
  at: string;
  kind: string;
  streams: string[];
  files: string[];
  message: string;
}

export interface HandoffReport {
  at: string;
  from: string;
  from_stream: string | null;
  to: string[];
  completed_tasks: string[];
  test_status: string | null;
}
