import type { Command } from "commander";
import { loadContext, reportRecoveries } from "../context.js";
import { CliError } from "../errors.js";
import { runGateCommand } from "./gate.js";

export function registerCheckpoint(program: Command): void {
  const checkpoint = program.command("checkpoint").description("checkpoint gates");
  checkpoint
    .command("run")
    .description(
      "run a checkpoint's `run:` command (or a gate's criteria) and record passed or failed",
    )
    .argument("<checkpoint>", "checkpoint id from streams.yaml")
    .action(async (id: string) => {
      const context = await loadContext();
      if (context.plan.checkpoints.find((c) => c.id === id)?.criteria) {
        await runGateCommand(context, id);
        return;
      }
      // Loaded here: its validation runs programs (execa), which no other command needs.
      const { runCheckpoint } = await import("../../engine/orchestrator/checkpoint-run.js");
      const result = await runCheckpoint(context, id, {
        onLine: (line) => process.stdout.write(`  ${line}\n`),
      });
      reportRecoveries(context);
      if (!result.passed) {
        const how = result.run.signal
          ? `signal ${result.run.signal}`
          : `exit ${result.run.exitCode}`;
        throw new CliError(
          `checkpoint ${id} failed: \`${result.run.command}\` ended with ${how} (log: ${result.logFile})`,
        );
      }
      process.stdout.write(`checkpoint ${id} passed\n`);
    });
  checkpoint.exitOverride();
}
