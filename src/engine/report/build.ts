/**
 * The run report from what the state files and git say, as a pure function of them (collect.ts
 * reads them): the times of each stream and agent, what each did and met, the gates and the
 * approvals, and the verdict against the run's success criteria.
 */
import { checkpointViews } from "../checkpoints.js";
import { recordedGate } from "../gates/text.js";
import { type Plan, phases } from "../plan/index.js";
import { agentRole } from "../roles.js";
import type { Seal } from "../seal.js";
import type {
  ActivityEntry,
  AgentsFile,
  CheckpointsFile,
  ConflictWarning,
  HandoffsFile,
  OrchestratorFile,
  TasksFile,
} from "../state/formats.js";
import { parseTimestamp } from "../state/time.js";
import { taskBoard } from "../tasks/board.js";
import { when } from "./format.js";
import {
  type AgentReport,
  type ApprovalReport,
  type CheckpointReport,
  type ConflictCleared,
  type ConflictFound,
  type HandoffReport,
  type LockReport,
  REPORT_FORMAT,
  REPORT_VERSION,
  type RefusalReport,
  type RunReport,
  type StreamReport,
  type TaskReport,
  type ValidationReport,
  type Verdict,
} from "./types.js";

export interface GitFacts {
  commits: number | null;
  files: number | null;
}

export interface ReportSources {
  plan: Plan;
  base: string | null;
  activity: readonly ActivityEntry[];
  orchestrator: OrchestratorFile;
  checkpoints: CheckpointsFile;
  tasks: TasksFile;
  handoffs: HandoffsFile;
  agents: AgentsFile;
  conflictWarnings: readonly ConflictWarning[];
  /** Commits and changed files of each stream's branch, by stream id. */
  git: Readonly<Record<string, GitFacts>>;
  seal: Seal;
  now: Date;
  /** Problems met while reading (broken lines), carried into the report. */
  warnings: string[];
}

/** Any timestamp form, as UTC ISO; null for nothing or garbage. */
const iso = (value: unknown): string | null => parseTimestamp(value)?.toISOString() ?? null;
const ms = (value: string | null): number | null =>
  value === null ? null : (parseTimestamp(value)?.getTime() ?? null);
const span = (from: string | null, to: string | null): number | null => {
  const a = ms(from);
  const b = ms(to);
  return a === null || b === null ? null : Math.max(0, b - a);
};
const str = (value: unknown): string | null => (typeof value === "string" ? value : null);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
const latest = (times: (string | null)[]): string | null =>
  times
    .filter((t): t is string => t !== null)
    .reduce<string | null>((a, b) => (a === null || (ms(b) ?? 0) > (ms(a) ?? 0) ? b : a), null);
const earliest = (times: (string | null)[]): string | null =>
  times
    .filter((t): t is string => t !== null)
    .reduce<string | null>((a, b) => (a === null || (ms(b) ?? 0) < (ms(a) ?? 0) ? b : a), null);

export function buildRunReport(sources: ReportSources): RunReport {
  const { plan, activity } = sources;
  const byAction = (action: string) => activity.filter((e) => e.action === action);
  const streamOfAgent = new Map(plan.streams.flatMap((s) => s.agents.map((a) => [a.id, s.id])));

  const tasks = buildTasks(sources);
  const locks = buildLocks(activity);
  const refusals: RefusalReport[] = byAction("refused").map((e) => ({
    at: iso(e.timestamp) ?? e.timestamp,
    agent: e.agent,
    stream: e.stream ?? streamOfAgent.get(e.agent) ?? "",
    what: str(e["what"]) ?? "lock",
    file: str(e["file"]),
    holder: str(e["holder"]),
    reason: str(e["reason"]) ?? "",
  }));
  const handoffs: HandoffReport[] = sources.handoffs.handoffs.map((h) => ({
    at: iso(h.timestamp) ?? h.timestamp,
    from: h.from_agent,
    from_stream: streamOfAgent.get(h.from_agent) ?? null,
    to: h.to_agents,
    completed_tasks: h.completed_tasks ?? [],
    test_status: h.context?.test_status === undefined ? null : String(h.context.test_status),
  }));
  const conflicts = {
    found: sources.conflictWarnings.map(
      (w): ConflictFound => ({
        at: iso(w.timestamp) ?? w.timestamp,
        agent: w.agent,
        stream: streamOfAgent.get(w.agent) ?? null,
        severity: w.severity,
        warning: w.warning,
      }),
    ),
    cleared: byAction("conflict_cleared").map(
      (e): ConflictCleared => ({
        at: iso(e.timestamp) ?? e.timestamp,
        kind: str(e["kind"]) ?? "",
        streams: strings(e["streams"]),
        files: strings(e["files"]),
        message: str(e["message"]) ?? "",
      }),
    ),
  };

  const streams = buildStreams(sources, tasks);
  const started_at = earliest(streams.map((s) => s.started_at));
  const ended_at = latest([
    ...activity.map((e) => iso(e.timestamp)),
    ...streams.map((s) => s.merged_at),
  ]);
  const agents = buildAgents(sources, streams, tasks, locks, refusals, handoffs, ended_at);
  const agent_ms = agents.reduce((sum, a) => sum + (a.active_ms ?? 0), 0);
  const wall_ms = started_at === null ? null : span(started_at, ended_at);
  const checkpoints = buildCheckpoints(sources);
  const approvals = buildApprovals(activity);

  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    project: plan.project,
    base: sources.base,
    generated_at: sources.now.toISOString(),
    run: {
      started_at,
      ended_at: started_at === null ? null : ended_at,
      wall_ms,
      agent_ms,
      parallelism: wall_ms ? Math.round((agent_ms / wall_ms) * 100) / 100 : null,
      saved_ms: wall_ms === null ? null : agent_ms - wall_ms,
      finished: streams.every((s) => s.status === "merged"),
    },
    verdict: buildVerdict(streams, checkpoints, approvals),
    streams,
    agents,
    tasks,
    checkpoints,
    approvals,
    validations: buildValidations(sources),
    locks,
    refusals,
    conflicts,
    handoffs,
    warnings: sources.warnings,
  };
}

function buildTasks(sources: ReportSources): TaskReport[] {
  return taskBoard(sources.plan, sources.tasks).streams.flatMap((s) =>
    s.tasks.map((t) => ({
      id: t.id,
      title: t.title,
      stream: t.stream,
      priority: t.priority,
      assignee: t.assignee,
      agent: t.agent,
      status: t.status,
      started_at: iso(t.started_at),
      done_at: iso(t.done_at),
      note: t.note,
    })),
  );
}

/** Each lock from `locked` to its `released` (renewals extend it; a takeover ends the old one). */
function buildLocks(activity: readonly ActivityEntry[]): LockReport[] {
  const out: LockReport[] = [];
  const open = new Map<string, LockReport>();
  const close = (file: string, at: string) => {
    const lock = open.get(file);
    if (!lock) return;
    lock.released_at = at;
    lock.held_ms = span(lock.taken_at, at);
    open.delete(file);
  };
  for (const e of activity) {
    const file = str(e["file"]);
    const at = iso(e.timestamp);
    if (file === null || at === null) continue;
    if (e.action === "locked") {
      const current = open.get(file);
      if (current && current.agent === e.agent) continue; // a renewal
      if (current) close(file, at);
      const lock: LockReport = {
        agent: e.agent,
        stream: e.stream ?? "",
        file,
        taken_at: at,
        released_at: null,
        held_ms: null,
      };
      out.push(lock);
      open.set(file, lock);
    } else if (e.action === "released") {
      close(file, at);
    }
  }
  return out;
}

function buildStreams(sources: ReportSources, tasks: readonly TaskReport[]): StreamReport[] {
  const { plan, orchestrator, activity } = sources;
  const phaseOf = new Map(phases(plan).flatMap((ids, i) => ids.map((id) => [id, i + 1])));
  const firstOf = (stream: string, action: string) =>
    activity.find((e) => e.stream === stream && e.action === action);
  const lastOf = (stream: string, action: string) =>
    [...activity].reverse().find((e) => e.stream === stream && e.action === action);
  const rows = plan.streams.map((stream) => {
    const recorded = orchestrator.streams[stream.id];
    const started_at = iso(recorded?.started_at) ?? iso(firstOf(stream.id, "started")?.timestamp);
    const completed_at =
      iso(recorded?.completed_at) ?? iso(lastOf(stream.id, "completed")?.timestamp);
    const merged_at = iso(recorded?.["merged_at"]) ?? iso(lastOf(stream.id, "merged")?.timestamp);
    const own = tasks.filter((t) => t.stream === stream.id);
    const git = sources.git[stream.id];
    return {
      id: stream.id,
      name: stream.name,
      phase: phaseOf.get(stream.id) ?? 0,
      status: recorded?.status ?? "pending",
      depends_on: stream.dependsOn,
      branch: recorded?.branch ?? null,
      agents: stream.agents.map((a) => a.id),
      started_at,
      completed_at,
      merged_at,
      merge_commit: str(recorded?.["merge_commit"]),
      waited_ms: null as number | null,
      work_ms: span(started_at, completed_at),
      review_ms: span(completed_at, merged_at),
      merge_failures: activity.filter((e) => e.stream === stream.id && e.action === "merge_failed")
        .length,
      commits: git?.commits ?? null,
      files_changed: git?.files ?? null,
      tasks_total: own.length,
      tasks_done: own.filter((t) => t.status === "done").length,
    } satisfies StreamReport;
  });
  const runStart = earliest(rows.map((r) => r.started_at));
  for (const row of rows) row.waited_ms = runStart === null ? null : span(runStart, row.started_at);
  return rows;
}

function buildAgents(
  sources: ReportSources,
  streams: readonly StreamReport[],
  tasks: readonly TaskReport[],
  locks: readonly LockReport[],
  refusals: readonly RefusalReport[],
  handoffs: readonly HandoffReport[],
  runEnd: string | null,
): AgentReport[] {
  const { plan, activity, agents } = sources;
  return plan.streams.flatMap((spec) => {
    const stream = streams.find((s) => s.id === spec.id);
    return spec.agents.map((agent): AgentReport => {
      const own = activity.filter((e) => e.agent === agent.id);
      const startedEntry = own.find((e) => e.action === "agent_started");
      const exitedEntry = [...own].reverse().find((e) => e.action === "agent_exited");
      const live = Object.hasOwn(agents.agents, agent.id) ? agents.agents[agent.id] : undefined;
      const started_at = iso(startedEntry?.timestamp) ?? stream?.started_at ?? null;
      const exited =
        iso(exitedEntry?.timestamp) ?? (live?.status === "exited" ? iso(live.updated) : null);
      const lastOwn = latest(own.map((e) => iso(e.timestamp)));
      // Still at work when the log ends: counted up to the run's last event.
      const open = stream?.status === "in_progress" ? runEnd : null;
      let ended_at =
        started_at === null
          ? null
          : (exited ?? stream?.completed_at ?? stream?.merged_at ?? open ?? lastOwn ?? runEnd);
      if (ended_at !== null && started_at !== null && (ms(ended_at) ?? 0) < (ms(started_at) ?? 0))
        ended_at = started_at;
      const role = agentRole(plan, agent.id);
      const mine = tasks.filter((t) => t.agent === agent.id);
      return {
        id: agent.id,
        stream: spec.id,
        role: role?.id ?? null,
        role_name: role?.name ?? null,
        started_at,
        ended_at,
        active_ms: span(started_at, ended_at),
        status: live?.status ?? null,
        exit_code: live?.exit_code ?? null,
        tasks_done: mine.filter((t) => t.status === "done").map((t) => t.id),
        tasks_open: mine.filter((t) => t.status !== "done").map((t) => t.id),
        locks_taken: locks.filter((l) => l.agent === agent.id).length,
        refusals: refusals.filter((r) => r.agent === agent.id).length,
        handoffs_given: handoffs.filter((h) => h.from === agent.id).length,
        handoffs_received: handoffs.filter((h) => h.to.includes(agent.id)).length,
        activity: own.length,
      };
    });
  });
}

function buildCheckpoints(sources: ReportSources): CheckpointReport[] {
  const { plan, checkpoints, orchestrator, seal } = sources;
  const statuses = Object.fromEntries(
    Object.entries(orchestrator.streams).map(([id, s]) => [id, s.status]),
  );
  const views = checkpointViews(plan, checkpoints, seal, statuses);
  return plan.checkpoints.map((cp) => {
    const entry = Object.hasOwn(checkpoints.checkpoints, cp.id)
      ? checkpoints.checkpoints[cp.id]
      : undefined;
    const view = views.find((v) => v.id === cp.id);
    return {
      id: cp.id,
      kind: cp.approval ? "approval" : cp.criteria ? "gate" : cp.run ? "run" : "auto_pass",
      status: view?.status ?? "pending",
      by: entry?.by ?? null,
      at: iso(entry?.updated),
      note: entry?.note || null,
      criteria: (recordedGate(entry) ?? []).map((c) => ({
        name: c.name,
        ok: c.ok,
        value: c.value,
        detail: c.detail,
      })),
    };
  });
}

function buildApprovals(activity: readonly ActivityEntry[]): ApprovalReport[] {
  return activity
    .filter((e) => e.action === "checkpoint_approved" || e.action === "checkpoint_rejected")
    .map((e) => ({
      checkpoint: str(e["checkpoint"]) ?? "",
      decision: e.action === "checkpoint_approved" ? "approved" : "rejected",
      by: e.agent,
      at: iso(e.timestamp) ?? e.timestamp,
      note: str(e["note"]) || null,
    }));
}

function buildValidations(sources: ReportSources): ValidationReport[] {
  const { activity, plan, orchestrator } = sources;
  return activity.flatMap((e): ValidationReport[] => {
    const at = iso(e.timestamp) ?? e.timestamp;
    const stream = e.stream ?? "";
    if (e.action === "validation_failed") {
      const code = e["exit_code"];
      return [
        {
          at,
          stream,
          ok: false,
          commands: strings([e["command"]]),
          exit_code: typeof code === "number" ? code : null,
        },
      ];
    }
    if (e.action === "merged") {
      const last = orchestrator.streams[stream]?.["last_validation"] as
        | { commands?: unknown }
        | undefined;
      const commands = strings(last?.commands);
      return [
        {
          at,
          stream,
          ok: true,
          commands: commands.length > 0 ? commands : plan.validate,
          exit_code: 0,
        },
      ];
    }
    return [];
  });
}

function buildVerdict(
  streams: readonly StreamReport[],
  checkpoints: readonly CheckpointReport[],
  approvals: readonly ApprovalReport[],
): Verdict {
  const merged = streams.filter((s) => s.status === "merged");
  const notMerged = streams.filter((s) => s.status !== "merged");
  const gates = checkpoints.filter((c) => c.kind !== "approval");
  const unmet = gates.filter((c) => c.status !== "passed" && c.status !== "approved");
  const humans = checkpoints.filter((c) => c.kind === "approval");
  const missing = humans.filter((c) => c.status !== "approved");
  const lastApproval = (id: string) =>
    [...approvals].reverse().find((a) => a.checkpoint === id && a.decision === "approved");
  const lines: Verdict["lines"] = [
    {
      criterion: "streams_merged",
      ok: notMerged.length === 0,
      text:
        notMerged.length === 0
          ? `every stream merged (${merged.length} of ${streams.length})`
          : `${merged.length} of ${streams.length} streams merged; not merged: ${notMerged.map((s) => `${s.id} (${s.status})`).join(", ")}`,
    },
    {
      criterion: "gates_passed",
      ok: unmet.length === 0,
      text:
        gates.length === 0
          ? "no gates in the plan"
          : unmet.length === 0
            ? `every gate passed (${gates.map((g) => g.id).join(", ")})`
            : `${gates.length - unmet.length} of ${gates.length} gates passed; not passed: ${unmet.map((g) => `${g.id} (${g.status})`).join(", ")}`,
    },
    {
      criterion: "human_acceptance",
      ok: missing.length === 0,
      text:
        humans.length === 0
          ? "no human approval in the plan"
          : missing.length === 0
            ? `human acceptance given: ${humans
                .map((h) => {
                  const a = lastApproval(h.id);
                  const at = a?.at ?? h.at;
                  return `${h.id} by ${a?.by ?? h.by ?? "?"}${at ? ` at ${when(at)}` : ""}`;
                })
                .join(", ")}`
            : `waiting for human acceptance: ${missing.map((h) => `${h.id} (${h.status})`).join(", ")}`,
    },
  ];
  return { ok: lines.every((l) => l.ok), lines };
}
