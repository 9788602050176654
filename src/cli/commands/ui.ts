import type { Command } from "commander";
import { loadContext } from "../context.js";

/**
 * Loads the control room (Ink, React) only when it is opened, so other commands start fast.
 * Ink decides once, when it is loaded, whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION set)
 * and then draws nothing until exit; the control room only ever runs in a terminal, so those
 * variables are hidden while Ink loads and put back for everything else (the agents included).
 */
export async function loadControlRoom(): Promise<typeof import("../../ui/run.js")> {
  const hidden = ["CI", "CONTINUOUS_INTEGRATION"] as const;
  const saved = hidden.map((key) => [key, process.env[key]] as const);
  for (const key of hidden) delete process.env[key];
  try {
    return await import("../../ui/run.js");
  } finally {
    for (const [key, value] of saved) if (value !== undefined) process.env[key] = value;
  }
}

/** `tower` with no command, or `tower ui`: the control room. */
export async function openControlRoom(options: { resume?: boolean }): Promise<void> {
  const context = await loadContext();
  const { runControlRoom } = await loadControlRoom();
  await runControlRoom(context, { resume: options.resume !== false });
}

export function registerUi(program: Command): void {
  program
    .command("ui", { isDefault: true })
    .description("open the control room (the default when no command is given)")
    .option("--no-resume", "start agents afresh instead of resuming their previous conversations")
    .action(openControlRoom);
}
