import type { Command } from "commander";
import { loadContext } from "../context.js";

/**
 * Loads the control room (Ink, React) only when it is opened, so other commands start fast.
 * While it loads, the environment is what a terminal program needs, and is put back afterwards
 * for everything else (the agents' environment included):
 * - Ink decides once, when it is loaded, whether it runs "in CI" (CI or CONTINUOUS_INTEGRATION
 *   set) and then draws nothing until exit; the control room only ever runs in a terminal.
 * - React picks its build by NODE_ENV when it is loaded. The development build records every
 *   component render on the performance timeline, which Node keeps until cleared: hundreds of
 *   megabytes a minute under a flood of agent output, and several times the CPU. Unless
 *   NODE_ENV is set, the production build is loaded.
 */
export async function loadControlRoom(): Promise<typeof import("../../ui/run.js")> {
  const keys = ["CI", "CONTINUOUS_INTEGRATION", "NODE_ENV"] as const;
  const saved = keys.map((key) => [key, process.env[key]] as const);
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  process.env.NODE_ENV ??= "production";
  try {
    return await import("../../ui/run.js");
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/**
 * `tower` with no command, or `tower ui`: the control room, attached to this repository's
 * server, which is started in the background when none runs. `--in-process` (or
 * TOWER_IN_PROCESS=1) hosts the room in the control room's own process instead, as before the
 * server: quitting then stops the agents.
 */
export async function openControlRoom(options: {
  resume?: boolean;
  inProcess?: boolean;
  mouse?: boolean;
}): Promise<void> {
  const context = await loadContext();
  const { runControlRoom } = await loadControlRoom();
  const resume = options.resume !== false;
  const mouse = options.mouse ? { mouse: true } : {};
  if (options.inProcess || process.env.TOWER_IN_PROCESS === "1") {
    await runControlRoom(context, { resume, ...mouse });
    return;
  }
  const { attachLocal } = await import("./attach.js");
  await runControlRoom(context, {
    attach: (store) => attachLocal(context.repo.mainRoot, store, { start: true, resume }),
    ...mouse,
  });
}

/** `--mouse`, for the commands that open the control room. */
export const MOUSE_OPTION = [
  "--mouse",
  "the mouse: the wheel scrolls the pane under it, a click selects a pane or a tab (ui.mouse in streams.yaml)",
] as const;

export function registerUi(program: Command): void {
  program
    .command("ui", { isDefault: true })
    .description("open the control room (the default when no command is given)")
    .option("--no-resume", "start agents afresh instead of resuming their previous conversations")
    .option(
      "--in-process",
      "host the agents in this process instead of a server (quitting stops them; also TOWER_IN_PROCESS=1)",
    )
    .option(...MOUSE_OPTION)
    .action(openControlRoom);
}
