/** The streams sidebar: streams by phase with status and what each waits for, their agents, then checkpoints. */
import type { AgentStatus, ProjectView } from "./model.js";
import { statusWord } from "./pane.js";
import { fitLine, type Line, seg, type Tone } from "./types.js";

const STREAM_TONE: Record<string, Tone> = {
  pending: "muted",
  in_progress: "accent",
  completed: "ok",
  merged: "ok",
  merge_failed: "error",
};

const AGENT_TONE: Record<AgentStatus, Tone> = {
  starting: "muted",
  running: "ok",
  idle: "plain",
  waiting: "warn",
  exited: "muted",
};

export function sidebarLines(
  view: ProjectView,
  width: number,
  selectedAgent: string | undefined,
): Line[] {
  const status = view.status;
  if (!status) return [fitLine([seg("reading the plan…", "muted")], width, true)];
  const lines: Line[] = [];
  const byId = new Map(status.streams.map((s) => [s.id, s]));
  // Of several waiting agents, the one that started waiting last: it most likely needs the
  // user now (one alone needs no mark).
  const waiting = view.agents.filter((a) => a.status === "waiting");
  const newest = (waiting.length > 1 ? waiting : []).reduce<
    (typeof view.agents)[number] | undefined
  >((best, a) => (best === undefined || (a.since ?? 0) > (best.since ?? 0) ? a : best), undefined);
  status.phases.forEach((ids, i) => {
    lines.push([seg(`Phase ${i + 1}`, "title")]);
    for (const id of ids) {
      const s = byId.get(id);
      if (!s) continue;
      lines.push([
        seg(` ${s.id} `, "accent"),
        seg(`${s.name} `),
        seg(s.status.replace("_", " "), STREAM_TONE[s.status] ?? "plain"),
      ]);
      if (s.status === "pending" && s.waiting_for.length)
        lines.push([seg(`   waits for ${s.waiting_for.join(", ")}`, "muted")]);
      else if (s.status === "pending" && s.can_start)
        lines.push([seg("   can start (s)", "muted")]);
      for (const agent of view.agents.filter((a) => a.stream === s.id)) {
        const mark = agent.id === selectedAgent ? "▸" : " ";
        const word = statusWord(agent);
        lines.push([
          seg(`  ${mark}${agent.id} `, agent.id === selectedAgent ? "selected" : "plain"),
          seg(word, AGENT_TONE[agent.status]),
          seg(agent === newest ? " ◆ newest" : "", "warn"),
          seg(agent.role ? ` ${agent.role}` : "", "muted"),
        ]);
      }
    }
  });
  if (view.checkpoints.length) {
    lines.push([seg("Checkpoints", "title")]);
    for (const c of view.checkpoints) {
      const tone: Tone =
        c.status === "approved" || c.status === "passed"
          ? "ok"
          : c.status === "pending"
            ? "muted"
            : "error";
      lines.push([seg(` ${c.id} `), seg(c.status, tone)]);
    }
  }
  return lines.map((l) => fitLine(l, width, true));
}
