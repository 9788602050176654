import type { Command } from "commander";
import { TargetError } from "../../engine/errors.js";
import { loadContext } from "../context.js";

/**
 * `tower server`: hosts this repository's room until stopped (see src/server/host.ts);
 * `--stdio` joins it from an SSH link; `tower server stop` stops the agents, then the server.
 */
async function serve(options: { stdio?: boolean; resume?: boolean }): Promise<void> {
  if (options.stdio) return joinFromStdio(options);
  const context = await loadContext();
  // The server's git runs from a helper process: see git-process.ts.
  const [{ GIT_PROCESS_MAIN, startGitProcess }, { runGitHere, setGitRunner }] = await Promise.all([
    import("../../engine/git/git-process.js"),
    import("../../engine/git/run.js"),
  ]);
  const helper = startGitProcess(GIT_PROCESS_MAIN, {
    fallback: runGitHere,
    onFallback: (why) => process.stderr.write(`${why}; git runs from the server itself\n`),
  });
  setGitRunner(helper.run);
  const { hostRoom } = await import("../../server/host.js");
  const hosted = await hostRoom(context, { resume: options.resume !== false }).catch(
    (error: unknown) => {
      // A server that did not start has closed what it opened (host.ts); the git helper and
      // anything a half-opened room left must not keep the process alive once the error is
      // said (main writes it to stderr, which is the log of a server started in the background).
      setTimeout(() => process.exit(process.exitCode || 1), 200).unref();
      throw error;
    },
  );
  const stop = (signal: NodeJS.Signals) => void hosted.stop(`the server got ${signal}`);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // A server started from a terminal keeps going when that terminal closes.
  process.on("SIGHUP", () => {});
  await hosted.stopped;
  // Watchers and timers of the room are closed; anything left must not keep a stopped server.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
}

/**
 * `--stdio`: joins the room of the repository it runs in (`ssh host 'cd path && tower server
 * --stdio'`), starting its server if none runs; run outside any repository (`--ssh user@host`,
 * no path: the login folder), the only room running on this machine, as `ssh host tmux attach`.
 */
async function joinFromStdio(options: { resume?: boolean }): Promise<void> {
  const { attachRoot } = await import("../../server/target.js");
  const root = await attachRoot(undefined, { fallback: true });
  const { findServer, startServer } = await import("../../server/connect.js");
  let { dir, server } = await findServer(root);
  if (!server) {
    // Started here: the plan is read first, so that a broken one is reported with its line.
    const context = await loadContext(root);
    // The folder of the server that serves now: the one started, or another that won the race.
    dir = await startServer(context.repo.mainRoot, options);
  }
  const { bridgeStdio } = await import("../../server/bridge.js");
  await bridgeStdio(dir, { input: process.stdin, output: process.stdout });
}

/**
 * `tower server stop [repository]`: the server of this repository, of the named one, or outside
 * any repository of the only room running (as `tower attach` finds it: server/target.ts).
 */
async function stopServer(repository: string | undefined): Promise<void> {
  const { attachRoot } = await import("../../server/target.js");
  const root = await attachRoot(repository, { fallback: true });
  const { findServer } = await import("../../server/connect.js");
  const { dir, server: info } = await findServer(root);
  const { isAlive, STOP_CLIENT } = await import("../../server/info.js");
  if (!info) {
    process.stdout.write(`no Tower server runs for ${root}\n`);
    return;
  }
  const { connectToRoom } = await import("../../room/protocol/index.js");
  const { RemoteRoom } = await import("../../server/remote.js");
  const { createRoomStore } = await import("../../room/state.js");
  const connection = await connectToRoom(dir, { cols: 80, rows: 24, name: STOP_CLIENT });
  const remote = await RemoteRoom.attach(connection, createRoomStore());
  const reply = await remote.run({ type: "shutdown" });
  remote.detach();
  if (!reply.ok) throw new TargetError(`the server (pid ${info.pid}) did not stop: ${reply.error}`);
  while (isAlive(info.pid)) await new Promise((resolve) => setTimeout(resolve, 50));
  process.stdout.write(`stopped the Tower server of ${root} (pid ${info.pid})\n`);
}

export function registerServer(program: Command): void {
  const server = program
    .command("server")
    .description(
      "host this repository's room: the agents run here and outlive every control room (tower starts it when needed)",
    )
    .option("--stdio", "speak the protocol on stdin/stdout (what `tower attach --ssh` runs)")
    .option("--no-resume", "start agents afresh instead of resuming their previous conversations")
    .action(serve);
  server
    .command("stop")
    .description(
      "stop every agent gracefully, then the server (this repository's, the named one's, or outside any the only one running)",
    )
    .argument("[repository]", "a folder of the repository whose server to stop")
    .action(stopServer);
}
