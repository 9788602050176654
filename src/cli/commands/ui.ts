import type { Command } from "commander";
import { runControlRoom } from "../../ui/run.js";
import { loadContext } from "../context.js";

/** `tower` with no command, or `tower ui`: the control room. */
export async function openControlRoom(options: { resume?: boolean }): Promise<void> {
  const context = await loadContext();
  await runControlRoom(context, { resume: options.resume !== false });
}

export function registerUi(program: Command): void {
  program
    .command("ui", { isDefault: true })
    .description("open the control room (the default when no command is given)")
    .option("--no-resume", "start agents afresh instead of resuming their previous conversations")
    .action(openControlRoom);
}
