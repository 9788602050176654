import type { Command } from "commander";
import { changeTask, type TaskAction, taskActionText } from "../../engine/tasks/index.js";
import { loadContext, reportRecoveries } from "../context.js";
import { resolveIdentity } from "./identity.js";

const ACTIONS: [TaskAction, string][] = [
  ["start", "start a task (its dependencies must be done)"],
  ["done", "mark a task done; the next task for the agent is offered"],
  ["block", "mark a task blocked, with the reason in --note"],
];

export function registerTask(program: Command): void {
  const task = program
    .command("task")
    .description("move a task on the board, as an agent (--agent or $TOWER_AGENT_ID)");
  for (const [action, description] of ACTIONS) {
    task
      .command(action)
      .description(description)
      .argument("<task>", "task id from streams.yaml (see tower tasks)")
      .option("--agent <id>", "agent acting (default: $TOWER_AGENT_ID; a person is human)")
      .option("--note <text>", "a note kept with the task (why it is blocked, what was done)")
      .action(async (id: string, options: { agent?: string; note?: string }) => {
        const context = await loadContext();
        const who = resolveIdentity(context.plan, options, `task ${action}`);
        const result = await changeTask(action, {
          plan: context.plan,
          store: context.store,
          id,
          agent: who.agent,
          ...(options.note !== undefined && { note: options.note }),
        });
        reportRecoveries(context);
        process.stdout.write(`${taskActionText(result)}\n`);
      });
  }
  task.exitOverride();
}
