/**
 * The run as an inline SVG timeline: one row per stream (waiting for its dependencies, at work,
 * in review, merged) with a thinner row per agent under it (its active time, the locks it took,
 * the refusals it met, the handoffs it gave), and a line for each checkpoint passed. Every mark
 * has a <title>, so hovering says what it is without any script.
 */
import { duration, when } from "./format.js";
import type { RunReport } from "./types.js";

const WIDTH = 960;
const LEFT = 150;
const RIGHT = 20;
const TOP = 34;
const STREAM_ROW = 26;
const AGENT_ROW = 16;
const PHASE_GAP = 10;
const AXIS = 26;

export const COLORS = {
  wait: "#d9dde3",
  work: "#4a7fd4",
  review: "#e0a030",
  merged: "#2e9d57",
  agent: "#7fb7c9",
  lock: "#34495e",
  refusal: "#d0362c",
  handoff: "#8e44ad",
  checkpoint: "#2e9d57",
  failed: "#d0362c",
  text: "#1f2328",
  muted: "#6b7280",
} as const;

export const escapeXml = (text: string): string =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

const t = (iso: string | null): number | null => (iso ? Date.parse(iso) : null);
const r = (n: number) => Math.round(n * 10) / 10;

/** Round steps for the time axis, in milliseconds. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800].map(
  (s) => s * 1000,
);

export function timelineSvg(report: RunReport): string {
  const start = t(report.run.started_at);
  const endAt = t(report.run.ended_at);
  if (start === null || endAt === null) {
    return `<p class="muted">No timeline: no stream has started.</p>`;
  }
  const end = Math.max(endAt, start + 1000);
  const x = (ms: number) => r(LEFT + ((ms - start) / (end - start)) * (WIDTH - LEFT - RIGHT));
  const parts: string[] = [];
  const title = (text: string) => `<title>${escapeXml(text)}</title>`;
  const bar = (from: number, to: number, y: number, h: number, color: string, label: string) =>
    parts.push(
      `<rect x="${x(from)}" y="${r(y)}" width="${r(Math.max(1, x(to) - x(from)))}" height="${h}" rx="2" fill="${color}">${title(label)}</rect>`,
    );
  const tick = (at: number, y: number, h: number, color: string, label: string) =>
    parts.push(
      `<rect x="${r(x(at) - 1)}" y="${r(y)}" width="2" height="${h}" fill="${color}">${title(label)}</rect>`,
    );

  let y = TOP;
  const phases = [...new Set(report.streams.map((s) => s.phase))].sort((a, b) => a - b);
  for (const phase of phases) {
    parts.push(
      `<text x="4" y="${y - 4}" font-size="10" fill="${COLORS.muted}">phase ${phase}</text>`,
    );
    for (const stream of report.streams.filter((s) => s.phase === phase)) {
      parts.push(
        `<text x="4" y="${y + 16}" font-size="12" font-weight="600" fill="${COLORS.text}">${escapeXml(`${stream.id} ${stream.name}`.slice(0, 20))}</text>`,
      );
      const started = t(stream.started_at);
      const completed = t(stream.completed_at);
      const merged = t(stream.merged_at);
      if (started !== null) {
        // A wait shorter than a second is the moment between two `tower start`s, not a wait.
        if (started - start >= 1000) {
          bar(
            start,
            started,
            y + 8,
            6,
            COLORS.wait,
            `${stream.id} waits ${duration(started - start)} for ${stream.depends_on.join(", ") || "its start"}`,
          );
        }
        const workEnd = completed ?? end;
        bar(
          started,
          workEnd,
          y + 3,
          16,
          COLORS.work,
          `${stream.id} at work ${duration(workEnd - started)}: ${when(stream.started_at)} to ${completed ? when(stream.completed_at) : "the end of the log"}`,
        );
        if (completed !== null) {
          const reviewEnd = merged ?? end;
          bar(
            completed,
            reviewEnd,
            y + 3,
            16,
            COLORS.review,
            `${stream.id} completed, ${merged ? `merged ${duration(reviewEnd - completed)} later` : "not merged"}`,
          );
        }
        if (merged !== null) {
          const mx = x(merged);
          parts.push(
            `<path d="M${mx} ${y + 1} l7 10 l-7 10 l-7 -10 z" fill="${COLORS.merged}">${title(`${stream.id} merged at ${when(stream.merged_at)}${stream.merge_commit ? ` (${stream.merge_commit.slice(0, 10)})` : ""}`)}</path>`,
          );
        }
      }
      for (const v of report.validations.filter((v) => v.stream === stream.id && !v.ok)) {
        const at = t(v.at);
        if (at !== null)
          tick(
            at,
            y,
            22,
            COLORS.failed,
            `validation failed at ${when(v.at)}: ${v.commands.join(", ")}`,
          );
      }
      y += STREAM_ROW;
      for (const agent of report.agents.filter((a) => a.stream === stream.id)) {
        parts.push(
          `<text x="16" y="${y + 11}" font-size="10" fill="${COLORS.muted}">${escapeXml(`${agent.id}${agent.role_name ? ` · ${agent.role_name}` : ""}`.slice(0, 24))}</text>`,
        );
        const from = t(agent.started_at);
        const to = t(agent.ended_at);
        if (from !== null && to !== null) {
          bar(
            from,
            Math.max(to, from),
            y + 3,
            9,
            COLORS.agent,
            `${agent.id} active ${duration(agent.active_ms)}`,
          );
        }
        for (const lock of report.locks.filter((l) => l.agent === agent.id)) {
          const at = t(lock.taken_at);
          if (at !== null)
            tick(
              at,
              y + 1,
              13,
              COLORS.lock,
              `${agent.id} locked ${lock.file} at ${when(lock.taken_at)}${lock.held_ms !== null ? ` for ${duration(lock.held_ms)}` : ""}`,
            );
        }
        for (const refusal of report.refusals.filter((f) => f.agent === agent.id)) {
          const at = t(refusal.at);
          if (at !== null)
            tick(
              at,
              y,
              15,
              COLORS.refusal,
              `${agent.id} refused at ${when(refusal.at)}: ${refusal.reason}`,
            );
        }
        for (const handoff of report.handoffs.filter((h) => h.from === agent.id)) {
          const at = t(handoff.at);
          if (at === null) continue;
          const hx = x(at);
          parts.push(
            `<path d="M${hx - 5} ${y + 2} l10 5.5 l-10 5.5 z" fill="${COLORS.handoff}">${title(`${agent.id} handed off to ${handoff.to.join(", ")} at ${when(handoff.at)}`)}</path>`,
          );
        }
        y += AGENT_ROW;
      }
    }
    y += PHASE_GAP;
  }
  const bottom = y;
  for (const checkpoint of report.checkpoints) {
    const at = t(checkpoint.at);
    if (
      at === null ||
      (checkpoint.status !== "passed" &&
        checkpoint.status !== "approved" &&
        checkpoint.status !== "failed")
    )
      continue;
    const color = checkpoint.status === "failed" ? COLORS.failed : COLORS.checkpoint;
    const cx = x(at);
    parts.push(
      `<line x1="${cx}" y1="${TOP - 12}" x2="${cx}" y2="${bottom}" stroke="${color}" stroke-dasharray="3 3">${title(`${checkpoint.id} ${checkpoint.status} at ${when(checkpoint.at)}${checkpoint.by ? ` by ${checkpoint.by}` : ""}`)}</line>`,
      `<text x="${cx + 3}" y="${TOP - 14}" font-size="10" fill="${color}">${escapeXml(checkpoint.id)}</text>`,
    );
  }
  const span = end - start;
  const step = STEPS.find((s) => span / s <= 8) ?? STEPS[STEPS.length - 1]!;
  for (let at = 0; at <= span; at += step) {
    const ax = x(start + at);
    parts.push(
      `<line x1="${ax}" y1="${TOP - 6}" x2="${ax}" y2="${bottom}" stroke="#eef0f3"/>`,
      `<text x="${ax}" y="${bottom + 16}" font-size="10" text-anchor="middle" fill="${COLORS.muted}">+${duration(at)}</text>`,
    );
  }
  const height = bottom + AXIS;
  // The grid first, so that the bars are drawn over it.
  const grid = parts.filter((p) => p.includes('stroke="#eef0f3"'));
  const rest = parts.filter((p) => !p.includes('stroke="#eef0f3"'));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="Timeline of the run" font-family="system-ui, sans-serif">`,
    ...grid,
    ...rest,
    "</svg>",
  ].join("\n");
}
