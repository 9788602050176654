import type { Command } from "commander";
import { checkpointViews, recordedStreamStatuses } from "../../engine/checkpoints.js";
import { UnknownIdError } from "../../engine/errors.js";
import {
  type GateResult,
  gateResultText,
  recordedGate,
  recordedGateText,
  runDueGates,
  runGate,
} from "../../engine/gates/index.js";
import { type Context, loadContext, reportRecoveries } from "../context.js";
import { CliError, usageError } from "../errors.js";
import { printJson } from "../format.js";

const hooks = {
  onCriterion: (name: string, command: string, where: string) =>
    process.stdout.write(`$ ${command}  (${name}${where === "main" ? "" : `, in ${where}`})\n`),
  onLine: (_name: string, line: string) => process.stdout.write(`  ${line}\n`),
};

function printResult(result: GateResult): void {
  process.stdout.write(`${gateResultText(result)}\n`);
}

/** Runs one gate (criteria or run:) and prints it; a failed gate exits 1. */
export async function runGateCommand(context: Context, id: string): Promise<void> {
  const result = await runGate(context, id, hooks);
  reportRecoveries(context);
  printResult(result);
  if (!result.passed) throw new CliError(`checkpoint ${id} failed: ${result.note}`);
}

async function runDue(context: Context): Promise<void> {
  const due = await runDueGates(context, hooks);
  reportRecoveries(context);
  if (due.skipped) throw new CliError(due.skipped);
  for (const result of due.results) printResult(result);
  for (const error of due.errors) process.stderr.write(`${error.id}: ${error.message}\n`);
  if (due.results.length === 0 && due.errors.length === 0) {
    process.stdout.write("no automatic gate is due\n");
  }
  const failed = [
    ...due.results.filter((r) => !r.passed).map((r) => r.id),
    ...due.errors.map((e) => e.id),
  ];
  if (failed.length > 0) throw new CliError(`failed: ${failed.join(", ")}`);
}

export function registerGate(program: Command): void {
  const gate = program.command("gate").description("quality gates: checkpoints with criteria");
  gate
    .command("run")
    .description(
      "run a gate's criteria (or a run: checkpoint) and record passed or failed with each value",
    )
    .argument("[checkpoint]", "checkpoint id from streams.yaml")
    .option(
      "--due",
      "run every auto: true gate whose dependencies have passed and that has not run",
    )
    .action(async (id: string | undefined, options: { due?: boolean }) => {
      if (!id && !options.due) throw usageError("tower gate run needs a checkpoint id, or --due");
      if (id && options.due) throw usageError("give a checkpoint id or --due, not both");
      const context = await loadContext();
      if (id) await runGateCommand(context, id);
      else await runDue(context);
    });
  gate
    .command("show")
    .description("show a gate's last result: each criterion, its value and the output that failed")
    .argument("<checkpoint>", "checkpoint id from streams.yaml")
    .option("--json", "print the recorded result as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const context = await loadContext();
      const { plan, store, seal } = context;
      if (!plan.checkpoints.some((c) => c.id === id)) {
        const known = plan.checkpoints.map((c) => c.id).join(", ") || "none";
        throw new UnknownIdError(`unknown checkpoint "${id}" (known: ${known})`);
      }
      const file = await store.read("checkpoints");
      const streams = await recordedStreamStatuses(store);
      const view = checkpointViews(plan, file, seal, streams).find((v) => v.id === id);
      const entry = Object.hasOwn(file.checkpoints, id) ? file.checkpoints[id] : undefined;
      reportRecoveries(context);
      if (options.json) {
        printJson({
          id,
          status: view?.status ?? "pending",
          updated: entry?.updated ?? null,
          by: entry?.by ?? null,
          note: entry?.note ?? null,
          criteria: recordedGate(entry) ?? [],
        });
        return;
      }
      process.stdout.write(`${recordedGateText(id, entry, view?.status ?? "pending")}\n`);
    });
  gate.exitOverride();
}
