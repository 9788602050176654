/**
 * The run report as one self-contained HTML page: the verdict, the time, the timeline as inline
 * SVG, and the tables. No script, no stylesheet or font from elsewhere: it opens offline and can
 * be attached to a pull request or kept as a build artefact.
 */
import { mark, when } from "./format.js";
import { timeSummary, verdictHeadline } from "./markdown.js";
import { type ReportTable, reportTables } from "./tables.js";
import { COLORS, escapeXml, timelineSvg } from "./timeline.js";
import type { RunReport } from "./types.js";

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #e5e7eb; padding-bottom: .2rem; }
.verdict { font-size: 1.2rem; font-weight: 600; }
ul.lines { list-style: none; padding-left: 0; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.muted { color: #6b7280; }
.legend span { display: inline-block; margin-right: 1rem; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: middle; border-radius: 2px; }
.timeline { overflow-x: auto; }
`;

function htmlTable(table: ReportTable): string {
  if (table.rows.length === 0) {
    return table.empty
      ? `<h2>${escapeXml(table.title)}</h2>\n<p class="muted">${escapeXml(table.empty)}</p>`
      : "";
  }
  const head = table.head.map((h) => `<th>${escapeXml(h)}</th>`).join("");
  const rows = table.rows
    .map((row) => `<tr>${row.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<h2>${escapeXml(table.title)}</h2>\n<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
}

const LEGEND: [string, string][] = [
  [COLORS.wait, "waiting for dependencies"],
  [COLORS.work, "at work"],
  [COLORS.review, "completed, not merged yet"],
  [COLORS.merged, "merged"],
  [COLORS.agent, "agent active"],
  [COLORS.lock, "lock taken"],
  [COLORS.refusal, "refused"],
  [COLORS.handoff, "handoff"],
];

export function renderHtml(report: RunReport): string {
  const title = `Run report: ${report.project}`;
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<h1>${escapeXml(title)}</h1>`,
    `<p class="verdict">${escapeXml(verdictHeadline(report))}${report.base ? ` <span class="muted">into ${escapeXml(report.base)}</span>` : ""}</p>`,
    '<ul class="lines">',
    ...report.verdict.lines.map((l) => `<li>${mark(l.ok)} ${escapeXml(l.text)}</li>`),
    "</ul>",
    `<p>${escapeXml(timeSummary(report))}</p>`,
    "<h2>Timeline</h2>",
    `<p class="legend">${LEGEND.map(([color, label]) => `<span><i style="background:${color}"></i>${escapeXml(label)}</span>`).join("")}</p>`,
    `<div class="timeline">\n${timelineSvg(report)}\n</div>`,
    ...reportTables(report).map(htmlTable).filter(Boolean),
    `<p class="muted">Made by <code>tower report</code> at ${escapeXml(when(report.generated_at))} from Tower's state files and git.</p>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
