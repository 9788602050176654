/** The report's tables, as plain text cells, shared by the Markdown and the HTML. */
import { byCodeUnit } from "../order.js";
import { duration, mark, when } from "./format.js";
import type { RunReport } from "./types.js";

export interface ReportTable {
  title: string;
  head: string[];
  rows: string[][];
  /** Said instead of an empty table; an empty table without it is left out. */
  empty?: string;
}

const text = (value: unknown): string =>
  value === null || value === undefined || value === "" ? "-" : String(value);

export function reportTables(report: RunReport): ReportTable[] {
  return [
    {
      title: "Streams",
      head: [
        "stream",
        "phase",
        "status",
        "started",
        "completed",
        "merged",
        "waited",
        "worked",
        "review",
        "commits",
        "files",
        "tasks",
      ],
      rows: report.streams.map((s) => [
        `${s.id} ${s.name}`,
        text(s.phase),
        s.status +
          (s.merge_failures
            ? ` (${s.merge_failures} failed merge${s.merge_failures > 1 ? "s" : ""})`
            : ""),
        when(s.started_at),
        when(s.completed_at),
        when(s.merged_at),
        duration(s.waited_ms),
        duration(s.work_ms),
        duration(s.review_ms),
        text(s.commits),
        text(s.files_changed),
        s.tasks_total ? `${s.tasks_done}/${s.tasks_total}` : "-",
      ]),
    },
    {
      title: "Agents",
      head: [
        "agent",
        "stream",
        "role",
        "started",
        "ended",
        "active",
        "tasks done",
        "locks",
        "refusals",
        "handoffs out/in",
      ],
      rows: report.agents.map((a) => [
        a.id,
        a.stream,
        text(a.role_name),
        when(a.started_at),
        when(a.ended_at),
        duration(a.active_ms),
        a.tasks_done.join(", ") || "-",
        String(a.locks_taken),
        String(a.refusals),
        `${a.handoffs_given}/${a.handoffs_received}`,
      ]),
    },
    {
      title: "Tasks",
      head: ["task", "stream", "priority", "agent", "status", "done", "note"],
      rows: report.tasks.map((t) => [
        `${t.id}: ${t.title}`,
        t.stream,
        t.priority,
        text(t.agent ?? t.assignee),
        t.status,
        when(t.done_at),
        text(t.note),
      ]),
    },
    {
      title: "Gates and checkpoints",
      head: ["", "checkpoint", "kind", "status", "by", "at", "result"],
      rows: report.checkpoints.map((c) => [
        mark(c.status === "passed" || c.status === "approved"),
        c.id,
        c.kind.replace("_", " "),
        c.status,
        text(c.by),
        when(c.at),
        c.criteria.length
          ? c.criteria.map((k) => `${mark(k.ok)} ${k.name}: ${k.detail}`).join("; ")
          : text(c.note),
      ]),
    },
    {
      title: "Human approvals",
      head: ["checkpoint", "decision", "by", "at", "note"],
      rows: report.approvals.map((a) => [a.checkpoint, a.decision, a.by, when(a.at), text(a.note)]),
      empty: "None yet.",
    },
    {
      title: "Validations",
      head: ["at", "stream", "result", "commands"],
      rows: report.validations.map((v) => [
        when(v.at),
        v.stream,
        v.ok ? "passed" : `failed (exit ${v.exit_code ?? "?"})`,
        v.commands.join(", ") || "-",
      ]),
    },
    {
      title: "Locks",
      head: ["file", "agent", "taken", "released", "held"],
      rows: report.locks.map((l) => [
        l.file,
        l.agent,
        when(l.taken_at),
        when(l.released_at),
        duration(l.held_ms),
      ]),
    },
    {
      title: "Refusals",
      head: ["at", "agent", "what", "file", "reason"],
      rows: report.refusals.map((r) => [when(r.at), r.agent, r.what, text(r.file), r.reason]),
    },
    {
      title: "Conflicts",
      head: ["at", "event", "severity", "what"],
      rows: [
        ...report.conflicts.found.map((c) => [when(c.at), "found", c.severity, c.warning]),
        ...report.conflicts.cleared.map((c) => [when(c.at), "cleared", "-", c.message]),
      ].sort((a, b) => byCodeUnit(a[0] ?? "", b[0] ?? "")),
    },
    {
      title: "Handoffs",
      head: ["at", "from", "to", "completed", "tests"],
      rows: report.handoffs.map((h) => [
        when(h.at),
        h.from,
        h.to.join(", "),
        h.completed_tasks.join("; ") || "-",
        text(h.test_status),
      ]),
    },
    {
      title: "Warnings",
      head: ["warning"],
      rows: report.warnings.map((w) => [w]),
    },
  ];
}
