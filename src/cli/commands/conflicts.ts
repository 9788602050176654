import type { Command } from "commander";
import {
  ConflictScanError,
  type ConflictWarning,
  recordConflicts,
  scanConflicts,
} from "../../engine/conflicts/index.js";
import { plural } from "../../engine/plural.js";
import { loadContext, reportRecoveries } from "../context.js";
import { CliError } from "../errors.js";
import { printJson, table } from "../format.js";

export function formatConflicts(warnings: readonly ConflictWarning[]): string {
  if (warnings.length === 0) return "no conflicts\n";
  const rows = warnings.map((w) => [w.severity, w.kind, w.streams.join(","), w.message]);
  const count = plural(warnings.length, "conflict warning");
  return `${table([["SEVERITY", "KIND", "STREAMS", "MESSAGE"], ...rows])}\n\n${count}\n`;
}

export function registerConflicts(program: Command): void {
  program
    .command("conflicts")
    .description(
      "scan the active streams for overlapping changes, scope and lock violations, predicted " +
        "merge conflicts and imports of changed modules; new warnings go to conflict_warnings.jsonl",
    )
    .option("--json", "print the warnings as a JSON array")
    .action(async (options: { json?: boolean }) => {
      const context = await loadContext();
      let warnings: ConflictWarning[];
      try {
        warnings = await scanConflicts({
          plan: context.plan,
          store: context.store,
          mainRoot: context.repo.mainRoot,
          base: context.base,
        });
      } catch (error) {
        // A partial scan is not recorded: it would clear the warnings of unreadable streams.
        if (error instanceof ConflictScanError) throw new CliError(error.message);
        throw error;
      }
      await recordConflicts(context.store, warnings);
      reportRecoveries(context);
      if (options.json) printJson(warnings);
      else process.stdout.write(formatConflicts(warnings));
    });
}
