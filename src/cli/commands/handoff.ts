import type { Command } from "commander";
import { recordHandoff } from "../../engine/handoffs.js";
import { loadContext, reportRecoveries } from "../context.js";
import { usageError } from "../errors.js";
import { collect, splitList } from "../format.js";

interface HandoffOptions {
  from?: string;
  to: string[];
  task: string[];
  interface: string[];
  breaking: string[];
  tests?: string;
  note?: string;
}

export function registerHandoff(program: Command): void {
  program
    .command("handoff")
    .description("record what an agent passes on to the agents that continue its work")
    .option("--from <agent>", "agent handing off (default: $TOWER_AGENT_ID)")
    .option("--to <agents>", "receiving agents, comma-separated or repeated", collect, [])
    .option("--task <text>", "a completed task (repeatable)", collect, [])
    .option("--interface <text>", "a new interface the receivers can use (repeatable)", collect, [])
    .option(
      "--breaking <text>",
      "a breaking change the receivers must know (repeatable)",
      collect,
      [],
    )
    .option("--tests <status>", "test status, e.g. passing, failing, none")
    .option("--note <text>", "free notes")
    .action(async (options: HandoffOptions) => {
      const from = options.from ?? process.env.TOWER_AGENT_ID;
      if (!from) throw usageError("tower handoff needs --from AGENT (or TOWER_AGENT_ID)");
      const to = splitList(options.to);
      if (to.length === 0) throw usageError("tower handoff needs --to AGENT[,AGENT]");
      const context = await loadContext();
      const handoff = await recordHandoff(context.plan, context.store, {
        from,
        to,
        completedTasks: options.task,
        newInterfaces: options.interface,
        breakingChanges: options.breaking,
        testStatus: options.tests,
        note: options.note,
      });
      reportRecoveries(context);
      process.stdout.write(
        `handed off from ${handoff.from_agent} to ${handoff.to_agents.join(", ")}\n`,
      );
    });
}
