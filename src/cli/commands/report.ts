import { promises as fsp } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { collectRunReport, renderHtml, renderMarkdown } from "../../engine/report/index.js";
import { loadContext, reportRecoveries } from "../context.js";
import { usageError } from "../errors.js";

const FORMATS = ["md", "json", "html"] as const;
type Format = (typeof FORMATS)[number];

interface ReportOptions {
  format?: string;
  json?: boolean;
  output?: string;
}

function formatOf(options: ReportOptions): Format {
  if (options.json && options.format && options.format !== "json") {
    throw usageError(`give --json or --format ${options.format}, not both`);
  }
  const format = options.json ? "json" : (options.format ?? "md");
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format must be one of ${FORMATS.join(", ")}, got "${format}"`);
  }
  return format as Format;
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "what happened in this run: verdict, times, streams, agents, tasks, gates, approvals, locks, conflicts, handoffs",
    )
    .option("--format <format>", `md (for a pull request, the default), json or html`)
    .option("--json", "the same as --format json (a stable shape, see docs/report-json.md)")
    .option("-o, --output <file>", "write it to this file instead of printing it")
    .action(async (options: ReportOptions) => {
      const format = formatOf(options);
      const context = await loadContext();
      const report = await collectRunReport(context);
      reportRecoveries(context);
      const text =
        format === "json"
          ? `${JSON.stringify(report, null, 2)}\n`
          : format === "html"
            ? renderHtml(report)
            : renderMarkdown(report);
      if (!options.output) {
        process.stdout.write(text);
        return;
      }
      const file = path.resolve(options.output);
      await fsp.writeFile(file, text);
      process.stderr.write(`wrote ${file}\n`);
    });
}
