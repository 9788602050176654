import type { Command } from "commander";
import { TargetError } from "../../engine/errors.js";
import { loadContext } from "../context.js";
import { loadControlRoom } from "../control-room.js";
import { keepYoungGenerationSmall } from "../young-generation.js";

/**
 * `tower` with no command, or `tower ui`: the control room, attached to this repository's
 * server, which is started in the background when none runs. `--in-process` (or
 * TOWER_IN_PROCESS=1) hosts the room in the control room's own process instead, as before the
 * server: quitting then stops the agents. In a terminal, the installed `tower` first tries the
 * quicker way of `tower attach --start` (attach-main.ts fastOpenArgs); this one does the rest and
 * reports what that one could not (a broken plan, no terminal).
 */
export async function openControlRoom(options: {
  resume?: boolean;
  inProcess?: boolean;
  mouse?: boolean;
}): Promise<void> {
  const inProcess = options.inProcess || process.env.TOWER_IN_PROCESS === "1";
  if (!inProcess) keepYoungGenerationSmall();
  const context = await loadContext();
  const { runControlRoom } = await loadControlRoom();
  const resume = options.resume !== false;
  const mouse = options.mouse ? { mouse: true } : {};
  if (inProcess) {
    const claim = await claimInProcess(context.repo.mainRoot);
    try {
      await runControlRoom(context, { resume, ...mouse });
    } finally {
      claim.release();
    }
    return;
  }
  const { attachLocal } = await import("./attach.js");
  await runControlRoom(context, {
    attach: (store) => attachLocal(context.repo.mainRoot, store, { start: true, resume }),
    ...mouse,
  });
}

/**
 * A control room that hosts the agents itself takes the repository's claim as a server does
 * (server/claim.ts): it does not open beside a server, whose agents it would show as not
 * running, nor beside another such control room, and no server starts beside it.
 */
export async function claimInProcess(mainRoot: string): Promise<{ release(): void }> {
  const { findServer } = await import("../../server/connect.js");
  // A runtime folder unsafe to use holds no server this process would join; the claim still
  // keeps a server from starting beside it.
  const { roomDirPath } = await import("../../room/runtime-dir.js");
  const { dir, server } = await findServer(mainRoot).catch(() => ({
    dir: roomDirPath(mainRoot),
    server: undefined,
  }));
  if (server) {
    throw new TargetError(
      `a Tower server (pid ${server.pid}) runs the agents of ${mainRoot}: open its room with tower (or tower attach), or stop it first (tower server stop) to host them in this process`,
    );
  }
  const { claimOrWait } = await import("../../server/take-claim.js");
  const { claimedBy } = await import("../../server/claim.js");
  const claim = await claimOrWait(mainRoot, dir, "in-process");
  if (!claim.held) throw new TargetError(claimedBy(claim.other, mainRoot));
  return claim;
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
