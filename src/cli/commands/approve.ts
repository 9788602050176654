import type { Command } from "commander";
import { agentOrigin } from "../../engine/agent-processes.js";
import { approveCheckpoint, rejectCheckpoint } from "../../engine/checkpoints.js";
import { humanName } from "../../engine/human.js";
import { signingSeal } from "../../engine/seal.js";
import { type Context, loadContext, reportRecoveries } from "../context.js";
import { refused } from "../errors.js";
import { localTime } from "../format.js";

/**
 * A human decision must come from a human: not from an agent's process, session or terminal (an
 * agent could otherwise approve its own stream's gate). Returns who decides.
 */
async function human(context: Context, verb: string): Promise<string> {
  const origin = await agentOrigin(context.store);
  if (origin) {
    throw refused(
      `tower ${verb} is for a human, and this looks like agent ${origin.agent} (${origin.how}): ` +
        `${verb} from your own terminal, or with the key in the control room`,
    );
  }
  return humanName();
}

export function registerApproval(program: Command): void {
  program
    .command("approve")
    .description("approve a checkpoint that needs a human (approval: human)")
    .argument("<checkpoint>", "checkpoint id from streams.yaml")
    .option("--note <text>", "a note kept with the approval")
    .action(async (id: string, options: { note?: string }) => {
      const context = await loadContext();
      const by = await human(context, "approve");
      const result = await approveCheckpoint({
        plan: context.plan,
        store: context.store,
        seal: await signingSeal(context.repo.mainRoot, context.seal),
        id,
        by,
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
      const by = await human(context, "reject");
      await rejectCheckpoint({
        plan: context.plan,
        store: context.store,
        seal: context.seal,
        id,
        by,
        note: options.reason,
      });
      reportRecoveries(context);
      process.stdout.write(`rejected ${id}: ${options.reason}\n`);
    });
}
