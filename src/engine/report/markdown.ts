/** The run report as Markdown, for a pull request's description. */
import { duration, mark, when } from "./format.js";
import { type ReportTable, reportTables } from "./tables.js";
import type { RunReport } from "./types.js";

/** A table cell: no pipes or line breaks to break the row. */
const cell = (value: string): string => value.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

function markdownTable(table: ReportTable): string[] {
  if (table.rows.length === 0) return table.empty ? [`## ${table.title}`, "", table.empty, ""] : [];
  return [
    `## ${table.title}`,
    "",
    `| ${table.head.map(cell).join(" | ")} |`,
    `| ${table.head.map(() => "---").join(" | ")} |`,
    ...table.rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
    "",
  ];
}

/** What the run took against what its agents worked: what running them side by side bought. */
export function timeSummary(report: RunReport): string {
  const { run } = report;
  if (run.wall_ms === null) return "The run has not started.";
  const parallel =
    run.parallelism !== null && run.saved_ms !== null
      ? `: ${run.parallelism}× in parallel, ${duration(Math.max(0, run.saved_ms))} saved over running them one after another`
      : "";
  return `The run took ${duration(run.wall_ms)} (${when(run.started_at)} to ${when(run.ended_at)}${run.finished ? "" : ", not finished"}); its agents worked ${duration(run.agent_ms)} in all${parallel}.`;
}

export function verdictHeadline(report: RunReport): string {
  return `${mark(report.verdict.ok)} ${report.verdict.ok ? "Success" : "Not done yet"}`;
}

export function renderMarkdown(report: RunReport): string {
  return [
    `# Run report: ${report.project}`,
    "",
    `**${verdictHeadline(report)}**${report.base ? ` (into \`${report.base}\`)` : ""}`,
    "",
    ...report.verdict.lines.map((l) => `- ${mark(l.ok)} ${l.text}`),
    "",
    timeSummary(report),
    "",
    ...reportTables(report).flatMap(markdownTable),
    `<sub>Made by \`tower report\` at ${when(report.generated_at)} from Tower's state files and git.</sub>`,
    "",
  ].join("\n");
}
