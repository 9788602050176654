import type { Command } from "commander";
import type { AppStore } from "../../ui/store/index.js";
import { clientInfo } from "../attach-main.js";
import { loadContext } from "../context.js";
import { loadControlRoom } from "../control-room.js";
import { usageError } from "../errors.js";
import { keepYoungGenerationSmall } from "../young-generation.js";
import { MOUSE_OPTION } from "./ui.js";

/** Attaches `store` to this repository's server (starting it when `start` and none runs). */
export async function attachLocal(
  repoRoot: string,
  store: AppStore,
  options: { start?: boolean; resume?: boolean } = {},
) {
  const { connectLocal } = await import("../../server/connect.js");
  const { RemoteRoom } = await import("../../server/remote.js");
  const connection = await connectLocal(repoRoot, clientInfo(), options);
  return RemoteRoom.attach(connection, store);
}

/**
 * `tower attach`: the control room on a running room, this repository's, or with `--ssh
 * user@host[:path]` the one of a repository on another machine (through `ssh host tower server
 * --stdio`, which starts the server there if none runs). The command line's usual way there;
 * main.ts takes the quicker one of attach-main.ts whenever it can.
 */
async function attach(
  repository: string | undefined,
  options: { ssh?: string; start?: boolean; mouse?: boolean },
): Promise<void> {
  if (options.ssh && repository !== undefined) {
    throw usageError(
      `tower attach --ssh takes the remote repository in its target (user@host:${repository}), not as an argument`,
    );
  }
  keepYoungGenerationSmall();
  const { runControlRoom } = await loadControlRoom();
  const mouse = options.mouse ? { mouse: true } : {};
  if (options.ssh) {
    const { connectSsh, parseSshTarget } = await import("../../server/connect.js");
    const { RemoteRoom } = await import("../../server/remote.js");
    const target = parseSshTarget(options.ssh);
    await runControlRoom(undefined, {
      attach: async (store) =>
        RemoteRoom.attach(await connectSsh(target, clientInfo(`tower attach --ssh`)), store),
      ...mouse,
    });
    return;
  }
  const { attachRoot } = await import("../../server/target.js");
  const context = await loadContext(await attachRoot(repository, { fallback: !options.start }));
  await runControlRoom(context, {
    attach: (store) => attachLocal(context.repo.mainRoot, store, { start: options.start === true }),
    ...mouse,
  });
}

export function registerAttach(program: Command): void {
  program
    .command("attach")
    .description(
      "open the control room on a running room: this repository's, the named one's, the only one running, or --ssh",
    )
    .argument(
      "[repository]",
      "a folder of the repository whose room to open (default: this one; outside any, the only room running)",
    )
    .option("--ssh <target>", "the room of a repository on another machine: user@host[:path]")
    .option("--start", "start this repository's server if none runs (what plain `tower` does)")
    .option(...MOUSE_OPTION)
    .action(attach);
}
