import type { Command } from "commander";
import { handoffFactsFromGit } from "../../engine/handoff-git.js";
import { recordHandoff, streamOfAgent } from "../../engine/handoffs.js";
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
    .description(
      "record what an agent passes on to the agents that continue its work; what you do not give is read from git",
    )
    .option("--from <agent>", "agent handing off (default: $TOWER_AGENT_ID)")
    .option("--to <agents>", "receiving agents, comma-separated or repeated", collect, [])
    .option(
      "--task <text>",
      "a completed task (repeatable; default: the stream's commit subjects)",
      collect,
      [],
    )
    .option(
      "--interface <text>",
      "a new interface (repeatable; default: exported names the stream added)",
      collect,
      [],
    )
    .option(
      "--breaking <text>",
      "a breaking change (repeatable; default: exported names removed or changed)",
      collect,
      [],
    )
    .option("--tests <status>", "test status (default: the stream's last validation run)")
    .option("--note <text>", "free notes")
    .action(async (options: HandoffOptions) => {
      const from = options.from ?? process.env.TOWER_AGENT_ID;
      if (!from) throw usageError("tower handoff needs --from AGENT (or TOWER_AGENT_ID)");
      const to = splitList(options.to);
      if (to.length === 0) throw usageError("tower handoff needs --to AGENT[,AGENT]");
      const context = await loadContext();
      const stream = streamOfAgent(context.plan, from);
      const needsGit =
        !options.task.length ||
        !options.interface.length ||
        !options.breaking.length ||
        !options.tests;
      const facts =
        stream && needsGit ? await handoffFactsFromGit(context, stream, from) : undefined;
      const pick = (given: string[], fromGit: string[] | undefined) =>
        given.length ? given : (fromGit ?? []);
      const handoff = await recordHandoff(context.plan, context.store, {
        from,
        to,
        completedTasks: pick(options.task, facts?.completedTasks),
        newInterfaces: pick(options.interface, facts?.newInterfaces),
        breakingChanges: pick(options.breaking, facts?.breakingChanges),
        testStatus: options.tests ?? facts?.testStatus,
        note: options.note,
      });
      reportRecoveries(context);
      const summary = `handed off from ${handoff.from_agent} to ${handoff.to_agents.join(", ")}`;
      const filled = facts ? " (details read from git where not given)" : "";
      process.stdout.write(`${summary}${filled}\n`);
    });
}
