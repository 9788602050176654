/** The header line: project, base branch, and the counts that need attention. */
import type { ProjectView } from "./model.js";
import { fitLine, type Line, lineText, seg } from "./types.js";

export function headerLine(
  view: ProjectView,
  width: number,
  page?: { first: number; last: number; total: number },
): Line {
  const project = view.status?.project ?? "tower";
  const base = view.status?.base ?? "(no base)";
  const running = view.agents.filter(
    (a) => a.status === "running" || a.status === "starting",
  ).length;
  const waiting = view.agents.filter((a) => a.status === "waiting").length;
  const locks = view.locks.filter((l) => !l.expired).length;
  const conflicts = view.conflicts.length;
  const approvals = view.checkpoints.filter(
    (c) => c.kind === "approval" && c.status === "pending" && c.waitingFor.length === 0,
  ).length;
  // Where the whole line does not fit (80 columns), shorter words keep every count in sight.
  const build = (short: boolean): Line => [
    seg(" tower ", "title"),
    seg(` ${project} `, "accent"),
    seg(short ? base : `base ${base}`, "muted"),
    seg("  "),
    seg(`${running} ${short ? "run" : "running"}`, running ? "ok" : "muted"),
    seg(" · "),
    seg(`${waiting} ${short ? "wait" : "waiting"}`, waiting ? "warn" : "muted"),
    seg(" · "),
    seg(`${locks} lock${locks === 1 ? "" : "s"}`, locks ? "plain" : "muted"),
    seg(" · "),
    seg(`${conflicts} conflict${conflicts === 1 ? "" : "s"}`, conflicts ? "error" : "muted"),
    seg(" · "),
    seg(
      `${approvals} approval${approvals === 1 ? "" : "s"}${short ? "" : " waiting"}`,
      approvals ? "warn" : "muted",
    ),
    // More agents than fit: which of them this page shows (the selection moves between pages).
    ...(page
      ? [
          seg(
            short
              ? ` ${page.first}–${page.last}/${page.total}`
              : `  panes ${page.first}–${page.last} of ${page.total}`,
            "accent",
          ),
        ]
      : []),
  ];
  const full = build(false);
  return fitLine(lineText(full).length <= width ? full : build(true), width, true);
}
