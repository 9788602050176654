import type { Command } from "commander";
import { pendingMerges } from "../../engine/orchestrator/pending.js";
import { buildStatus, type StatusReport } from "../../engine/status.js";
import { loadContext, reportRecoveries } from "../context.js";
import { printJson, table } from "../format.js";

export function formatStatus(report: StatusReport): string {
  const out: string[] = [
    `${report.project}  base ${report.base ?? "(detached)"}  state ${report.state_dir}`,
    "",
  ];
  const byId = new Map(report.streams.map((s) => [s.id, s]));
  report.phases.forEach((ids, i) => {
    out.push(`Phase ${i + 1}`);
    const rows = ids.flatMap((id) => {
      const s = byId.get(id);
      if (!s) return [];
      const note = s.can_start
        ? "can start"
        : s.status === "pending"
          ? (s.reason?.replace(/^.* cannot start: /, "") ?? "")
          : "";
      const agents = s.agents.map((a) => a.id).join(",");
      return [[`  ${s.id}`, s.name, s.status, agents, note]];
    });
    out.push(table(rows), "");
  });
  out.push(`Merge order: ${report.merge_order.join(" ")}`);
  const expired = report.locks.filter((l) => l.expired).length;
  out.push(`Locks: ${report.locks.length}${expired ? ` (${expired} expired)` : ""}`);
  if (report.checkpoints.length) {
    out.push(`Checkpoints: ${report.checkpoints.map((c) => `${c.id} ${c.status}`).join(", ")}`);
  }
  return `${out.join("\n")}\n`;
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show streams by phase, what each waits for, locks and checkpoints")
    .option("--json", "print the status as JSON")
    .action(async (options: { json?: boolean }) => {
      const context = await loadContext();
      const report = await buildStatus(context);
      reportRecoveries(context);
      if (options.json) printJson(report);
      else process.stdout.write(formatStatus(report));
      // A merge that was interrupted (Tower killed during validation) is settled by the next one.
      for (const pending of await pendingMerges(context)) {
        process.stderr.write(`warning: ${pending.message}\n`);
      }
    });
}
