import type { Command } from "commander";
import { approveCheckpoint, rejectCheckpoint } from "../../engine/checkpoints.js";
import { loadContext, reportRecoveries } from "../context.js";
import { localTime } from "../format.js";
import { decider } from "./identity.js";

export function registerApproval(program: Command): void {
  program
    .command("approve")
    .description("approve a checkpoint that needs a human (approval: human)")
    .argument("<checkpoint>", "checkpoint id from streams.yaml")
    .option("--note <text>", "a note kept with the approval")
    .action(async (id: string, options: { note?: string }) => {
      const context = await loadContext();
      const result = await approveCheckpoint({
        plan: context.plan,
        store: context.store,
        id,
        by: decider(),
        note: options.note,
      });
      reportRecoveries(context);
      process.stdout.write(
        result.already
          ? `${id} was already approved${result.already.by ? ` by ${result.already.by}` : ""}${result.already.updated ? ` at ${localTime(result.already.updated)}` : ""}: nothing changed\n`
          : `approved ${id}\n`,
      );
    });
  program
    .command("reject")
    .description("reject a checkpoint that needs a human, with the reason")
    .argument("<checkpoint>", "checkpoint id from streams.yaml")
    .requiredOption("--reason <text>", "why it is rejected")
    .action(async (id: string, options: { reason: string }) => {
      const context = await loadContext();
      await rejectCheckpoint({
        plan: context.plan,
        store: context.store,
        id,
        by: decider(),
        note: options.reason,
      });
      reportRecoveries(context);
      process.stdout.write(`rejected ${id}: ${options.reason}\n`);
    });
}
