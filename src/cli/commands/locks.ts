import type { Command } from "commander";
import { listLocks } from "../../engine/locks.js";
import { STATE_FILES } from "../../engine/state/index.js";
import { loadContext, reportRecoveries } from "../context.js";
import { localTime, printJson, table } from "../format.js";

export function registerLocks(program: Command): void {
  program
    .command("locks")
    .description("list file locks, expired ones marked")
    .option("--json", "print the locks as JSON")
    .action(async (options: { json?: boolean }) => {
      const context = await loadContext();
      const locks = listLocks(await context.store.read("locks"));
      reportRecoveries(context);
      const file = context.store.path(STATE_FILES.locks);
      for (const lock of locks) {
        if (lock.problem) process.stderr.write(`warning: ${file}: the ${lock.problem}\n`);
      }
      if (options.json) {
        printJson(
          locks.map((l) => ({
            path: l.path,
            agent: l.agent,
            stream: l.stream ?? "",
            acquired: l.acquired ?? "",
            expires: l.expires,
            task: l.task ?? "",
            expired: l.expired,
            ...(l.problem !== undefined && { problem: l.problem }),
          })),
        );
        return;
      }
      if (locks.length === 0) {
        process.stdout.write("no locks\n");
        return;
      }
      const rows = locks.map((l) => [
        l.path,
        l.agent,
        l.stream ?? "",
        l.problem
          ? `${l.expires} (unreadable)`
          : `${localTime(l.expiresAt ?? l.expires)}${l.expired ? " (expired)" : ""}`,
        l.task ?? "",
      ]);
      process.stdout.write(`${table([["PATH", "AGENT", "STREAM", "EXPIRES", "TASK"], ...rows])}\n`);
    });
}
