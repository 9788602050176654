/** The `tower` command line: one thin module per command (parse -> engine -> print). */
import { Command } from "commander";
import { registerApproval } from "./commands/approve.js";
import { registerAttach } from "./commands/attach.js";
import { registerCheck } from "./commands/check.js";
import { registerCheckpoint } from "./commands/checkpoint.js";
import { registerConflicts } from "./commands/conflicts.js";
import { registerDemo } from "./commands/demo.js";
import { registerGate } from "./commands/gate.js";
import { registerGuard } from "./commands/guard.js";
import { registerHandoff } from "./commands/handoff.js";
import { registerHook } from "./commands/hook.js";
import { registerInit } from "./commands/init.js";
import { registerLock, registerUnlock } from "./commands/lock.js";
import { registerLocks } from "./commands/locks.js";
import { registerLog } from "./commands/log.js";
import { registerMcp } from "./commands/mcp.js";
import { registerMerge } from "./commands/merge.js";
import { registerReport } from "./commands/report.js";
import { registerRooms } from "./commands/rooms.js";
import { registerSchema } from "./commands/schema.js";
import { registerServer } from "./commands/server.js";
import { registerSnapshots } from "./commands/snapshots.js";
import { registerComplete, registerStart } from "./commands/start.js";
import { registerStatus } from "./commands/status.js";
import { registerTask } from "./commands/task.js";
import { registerTasks } from "./commands/tasks.js";
import { registerTrust } from "./commands/trust.js";
import { registerUi } from "./commands/ui.js";
import { VERSION } from "./version.js";

export { VERSION };

export function buildProgram(): Command {
  const program = new Command("tower")
    .description(
      "A terminal control room for AI coding agents working in parallel on one repository.",
    )
    .version(VERSION)
    .showHelpAfterError("(run `tower --help` or `tower <command> --help` for usage)")
    .exitOverride();
  for (const register of [
    registerUi,
    registerDemo,
    registerInit,
    registerCheck,
    registerSchema,
    registerStatus,
    registerStart,
    registerComplete,
    registerMerge,
    registerCheckpoint,
    registerGate,
    registerTasks,
    registerTask,
    registerLock,
    registerUnlock,
    registerLocks,
    registerConflicts,
    registerLog,
    registerSnapshots,
    registerHandoff,
    registerApproval,
    registerHook,
    registerMcp,
    registerGuard,
    registerTrust,
    registerReport,
    registerServer,
    registerAttach,
    registerRooms,
  ]) {
    register(program);
  }
  const overrideAll = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride();
      overrideAll(sub);
    }
  };
  overrideAll(program);
  return program;
}
