/** The bottom panel: its tab bar and the rows of the active tab, newest first where it is a log. */
import { type ProjectView, TABS, type Tab } from "./model.js";
import { activityDetails } from "./rows.js";
import { fitLine, type Line, seg, type Tone } from "./types.js";

export const TAB_TITLES: Record<Tab, string> = {
  locks: "Locks",
  conflicts: "Conflicts",
  checkpoints: "Checkpoints",
  tasks: "Tasks",
  activity: "Activity",
  handoffs: "Handoffs",
  snapshots: "Snapshots",
};

/** The titles in a tab bar too narrow for the whole ones. */
const SHORT_TITLES: Record<Tab, string> = {
  locks: "Locks",
  conflicts: "Confl",
  checkpoints: "Chkpt",
  tasks: "Tasks",
  activity: "Activ",
  handoffs: "Hand",
  snapshots: "Snap",
};

export function tabBar(view: ProjectView, active: Tab, width: number): Line {
  const counts: Record<Tab, number> = {
    locks: view.locks.length,
    conflicts: view.conflicts.length,
    checkpoints: view.checkpoints.length,
    tasks: view.tasks.filter((t) => t.status !== "done").length,
    activity: view.activity.length,
    handoffs: view.handoffs.length,
    snapshots: view.snapshots.length,
  };
  const bar = (titles: Record<Tab, string>) => {
    const line: Line = [];
    for (const tab of TABS) {
      const label = ` ${titles[tab]} ${counts[tab]} `;
      line.push(seg(label, tab === active ? "selected" : "muted"), seg(" "));
    }
    return line;
  };
  const whole = bar(TAB_TITLES);
  const fits = whole.reduce((n, s) => n + s.text.length, 0) - 1 <= width;
  return fitLine(fits ? whole : bar(SHORT_TITLES), width, true);
}

const SEVERITY_TONE: Record<string, Tone> = { high: "error", medium: "warn", low: "muted" };
const TASK_TONE: Record<string, Tone> = {
  todo: "plain",
  in_progress: "ok",
  blocked: "warn",
  done: "muted",
};

/** `HH:MM:SS` of a timestamp, in local time. */
function clock(text: string | undefined): string {
  const date = text ? new Date(text) : undefined;
  if (!date || Number.isNaN(date.getTime())) return "--:--:--";
  return date.toTimeString().slice(0, 8);
}

export function tabLines(view: ProjectView, tab: Tab, width: number, selected: number): Line[] {
  const mark = (i: number): Tone => (i === selected ? "selected" : "plain");
  let lines: Line[];
  switch (tab) {
    case "locks": {
      const exited = new Set(view.agents.filter((a) => a.status === "exited").map((a) => a.id));
      lines = view.locks.length
        ? view.locks.map((l, i) => [
            seg(l.path.padEnd(32), mark(i)),
            seg(` ${l.agent.padEnd(6)}`, "accent"),
            seg(` ${l.stream ?? ""}`.padEnd(6)),
            seg(
              l.expired
                ? " expired"
                : ` until ${clock(l.expiresAt ? new Date(l.expiresAt).toISOString() : l.expires)}`,
              l.expired ? "muted" : "plain",
            ),
            // An exited agent's lock on what it left uncommitted stays (see SessionManager.exited):
            // said before the task, which a narrow terminal cuts.
            seg(exited.has(l.agent) ? `  ${l.agent} has exited` : "", "warn"),
            seg(l.task ? `  ${l.task}` : "", "muted"),
          ])
        : [[seg("no locks", "muted")]];
      break;
    }
    case "conflicts":
      lines = view.conflicts.length
        ? view.conflicts.map((c, i) => [
            seg(c.severity.padEnd(7), SEVERITY_TONE[c.severity] ?? "plain"),
            seg(c.kind.padEnd(9), mark(i)),
            seg(c.message),
          ])
        : [[seg("no conflicts", "muted")]];
      break;
    case "checkpoints":
      lines = view.checkpoints.length
        ? view.checkpoints.map((c, i) => [
            seg(c.id.padEnd(26), mark(i)),
            seg(
              c.status.padEnd(9),
              c.status === "approved" || c.status === "passed"
                ? "ok"
                : c.status === "pending"
                  ? "muted"
                  : "error",
            ),
            seg(
              c.kind === "approval" ? "human approval" : c.kind === "run" ? "command" : "gate",
              "muted",
            ),
            seg(c.waitingFor.length ? `  waits for ${c.waitingFor.join(", ")}` : "", "muted"),
          ])
        : [[seg("the plan has no checkpoints", "muted")]];
      break;
    case "activity":
      lines = view.activity.length
        ? [...view.activity]
            .reverse()
            .map((a, i) => [
              seg(`${clock(a.timestamp)} `, i === selected ? "selected" : "muted"),
              seg(`${a.agent}`.padEnd(7), "accent"),
              seg(`${a.stream ?? ""}`.padEnd(4)),
              seg(`${a.action} `),
              seg(
                typeof a.file === "string"
                  ? a.file
                  : typeof a.command === "string"
                    ? a.command
                    : "",
                "muted",
              ),
              seg(` ${activityDetails(a)}`, "muted"),
            ])
        : [[seg("no activity yet", "muted")]];
      break;
    case "tasks":
      lines = view.tasks.length
        ? view.tasks.map((t, i) => [
            seg(`${t.stream} `, "accent"),
            seg(
              `${t.priority} `,
              t.priority === "P0" ? "error" : t.priority === "P1" ? "warn" : "muted",
            ),
            seg(t.id.padEnd(14), mark(i)),
            seg(` ${t.status.replace("_", " ").padEnd(12)}`, TASK_TONE[t.status] ?? "plain"),
            seg(`${(t.assignee ?? "any").padEnd(6)} `, "accent"),
            seg(t.title),
            seg(t.note ? `  (${t.note})` : "", "muted"),
          ])
        : [[seg("no tasks", "muted")]];
      break;
    case "snapshots":
      lines = view.snapshots.length
        ? view.snapshots.map((snap, i) => [
            seg(`${clock(snap.at)} `, i === selected ? "selected" : "muted"),
            seg(snap.stream.padEnd(3), "accent"),
            seg(`${snap.commit.slice(0, 10)}  `, "muted"),
            seg(
              `${snap.files.length} file${snap.files.length === 1 ? "" : "s"}: ${snap.files.join(", ")}`,
            ),
            seg(`  ${snap.message}`, "muted"),
          ])
        : [[seg("no snapshots yet", "muted")]];
      break;
    case "handoffs":
      lines = view.handoffs.length
        ? [...view.handoffs]
            .reverse()
            .map((h, i) => [
              seg(`${clock(h.timestamp)} `, i === selected ? "selected" : "muted"),
              seg(`${h.from_agent} → ${h.to_agents.join(", ")}  `, "accent"),
              seg((h.completed_tasks ?? []).join("; ")),
            ])
        : [[seg("no handoffs yet", "muted")]];
      break;
  }
  return lines.map((l) => fitLine(l, width, true));
}

/**
 * The rows the bottom panel's content needs at `width`: its tab bar, a problem with the plan or
 * the state, and the active tab's rows (the layout caps it; see `screenLayout`).
 */
export function panelRows(
  view: ProjectView & { problem?: string | undefined },
  tab: Tab,
  width: number,
): number {
  const problem = view.problem ? problemLines(view.problem, width).length : 0;
  return 1 + problem + tabLines(view, tab, width, 0).length;
}

/** The rows of a tab that fit `height`, scrolled so that the selected row is among them. */
export function visibleRows<T>(rows: readonly T[], selected: number, height: number): T[] {
  if (rows.length <= height) return [...rows];
  const at = Math.min(Math.max(0, selected), rows.length - 1);
  const start = Math.min(Math.max(0, at - height + 1), rows.length - height);
  return rows.slice(start, start + height);
}

/** A problem reading the plan or the state, for the top of the bottom panel: every line, in red. */
export function problemLines(problem: string, width: number): Line[] {
  return problem
    .split("\n")
    .map((text, i) => fitLine([seg(i === 0 ? `! ${text}` : `  ${text}`, "error")], width));
}
