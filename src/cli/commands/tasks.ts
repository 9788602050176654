import type { Command } from "commander";
import { findStream } from "../../engine/orchestrator/streams.js";
import { boardText, filterBoard, taskBoard } from "../../engine/tasks/index.js";
import { loadContext, reportRecoveries } from "../context.js";
import { printJson } from "../format.js";
import { resolveIdentity } from "./identity.js";

export function registerTasks(program: Command): void {
  program
    .command("tasks")
    .description(
      "show the task board: each stream's tasks with priority, status and who works on them",
    )
    .option("--stream <id>", "only this stream's tasks")
    .option("--agent <id>", "only the tasks this agent holds or may take")
    .option("--json", "print the board as JSON (by stream and by priority)")
    .action(async (options: { stream?: string; agent?: string; json?: boolean }) => {
      const context = await loadContext();
      if (options.stream) findStream(context.plan, options.stream);
      if (options.agent) resolveIdentity(context.plan, { agent: options.agent }, "tasks");
      const board = filterBoard(taskBoard(context.plan, await context.store.read("tasks")), {
        ...(options.stream && { stream: options.stream }),
        ...(options.agent && { agent: options.agent }),
      });
      reportRecoveries(context);
      if (options.json) printJson(board);
      else process.stdout.write(`${boardText(board)}\n`);
    });
}
