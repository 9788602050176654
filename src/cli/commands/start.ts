import type { Command } from "commander";
import { guardNotInstalled, installGuard } from "../../agents/guard.js";
import { selfCommand } from "../../agents/self.js";
import { completeStream, completeWarnings } from "../../engine/orchestrator/complete.js";
import { startStream } from "../../engine/orchestrator/start.js";
import { copiedText } from "../../engine/worktree-include.js";
import { loadContext, reportRecoveries } from "../context.js";
import { CliError, EXIT, exitCodeOf } from "../errors.js";

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("start streams: branch from the base, worktree, link to the shared state")
    .argument("<stream...>", "stream ids; each must have all its dependencies completed or merged")
    .action(async (ids: string[]) => {
      const context = await loadContext();
      const failures: { message: string; code: number }[] = [];
      for (const id of ids) {
        try {
          // The guard goes in before the start is recorded (see startStream).
          const result = await startStream(context, id, new Date(), async (worktree) => {
            const guard = await installGuard(
              context.store,
              context.repo.mainRoot,
              worktree,
              selfCommand(),
            );
            return guard.kind === "other" ? guardNotInstalled(id, guard.folder) : undefined;
          });
          const how = result.reused ? "reusing its worktree" : "new worktree";
          process.stdout.write(
            `started ${id} on ${result.branch} in ${result.worktree} (${how})\n`,
          );
          const copied = copiedText(result.copied);
          if (copied) process.stdout.write(`${copied}\n`);
          for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
        } catch (error) {
          failures.push({
            message: error instanceof Error ? error.message : String(error),
            code: exitCodeOf(error),
          });
        }
      }
      reportRecoveries(context);
      if (failures.length > 0) {
        const code = failures.some((f) => f.code === EXIT.error) ? EXIT.error : EXIT.refused;
        throw new CliError(failures.map((f) => f.message).join("\n"), code);
      }
    });
}

export function registerComplete(program: Command): void {
  program
    .command("complete")
    .description(
      "mark a stream's work done: it waits to be merged, and streams that depend on it can start",
    )
    .argument("<stream>", "stream id")
    .action(async (id: string) => {
      const context = await loadContext();
      const result = await completeStream(context, id);
      reportRecoveries(context);
      process.stdout.write(`completed ${id}\n`);
      process.stdout.write(
        result.nowStartable.length
          ? `can start now: ${result.nowStartable.join(", ")} (tower start ${result.nowStartable.join(" ")})\n`
          : "no other stream can start because of this yet\n",
      );
      for (const warning of completeWarnings(result)) process.stderr.write(`warning: ${warning}\n`);
    });
}
