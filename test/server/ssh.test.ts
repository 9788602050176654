/**
 * `tower attach --ssh` through a real sshd on 127.0.0.1 (test/helpers/sshd.ts): the far side's
 * `tower server --stdio` starts the repository's server and joins it; the room's screens, keys
 * and commands cross the SSH channel; leaving (D, or the link dropped with the terminal) is a
 * detach and the agent goes on on the far side.
 */
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRoomStore } from "../../src/room/state.js";
import { connectSsh } from "../../src/server/connect.js";
import { isAlive, readInfo } from "../../src/server/info.js";
import { RemoteRoom } from "../../src/server/remote.js";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, waitFor } from "../helpers/repo.js";
import { type Sshd, sshdUnavailable, startSshd } from "../helpers/sshd.js";
import {
  cleanupRigs,
  recordedPid,
  type ServerRig,
  serverRig,
  startServer,
  waitForScreen,
} from "./helpers.js";

const unavailable = sshdUnavailable();
let sshd: Sshd | undefined;
const tmuxes: TmuxRig[] = [];

beforeAll(async () => {
  if (!unavailable) sshd = await startSshd();
});
afterAll(() => sshd?.stop());
afterEach(async () => {
  for (const t of tmuxes.splice(0)) t.kill();
  await cleanupRigs();
});

/** The far side's tower: the built CLI, with the test's runtime and configuration folders. */
function remoteCommand(rig: ServerRig): string {
  const env = [
    `XDG_RUNTIME_DIR=${rig.runtime}`,
    `TOWER_CONFIG_DIR=${process.env.TOWER_CONFIG_DIR ?? ""}`,
  ];
  return `env ${env.join(" ")} ${process.execPath} ${CLI}`;
}

/** `tower attach --ssh host:path` in tmux, on a new room whose agent is ready. */
async function attachedOverSsh(): Promise<{ rig: ServerRig; tmux: TmuxRig }> {
  const rig = await serverRig();
  const tmux = new TmuxRig(
    rig.root,
    `node ${CLI} attach --ssh ${sshd!.host}:${rig.root}`,
    undefined,
    { TOWER_SSH: sshd!.ssh, TOWER_REMOTE_COMMAND: remoteCommand(rig) },
  );
  tmuxes.push(tmux);
  await tmux.waitForText("ready A1", 20_000);
  return { rig, tmux };
}

describe.skipIf(unavailable !== undefined)(`over SSH ${unavailable ?? ""}`, () => {
  it("a room reached through ssh host tower server --stdio: frames, input, commands", async () => {
    const rig = await serverRig();
    const store = createRoomStore();
    const connection = await connectSsh(
      { host: sshd!.host, path: rig.root },
      { cols: 120, rows: 40, name: "over ssh" },
      { ssh: sshd!.ssh, remoteCommand: remoteCommand(rig) },
    );
    const remote = await RemoteRoom.attach(connection, store);
    await remote.run({ type: "layout", cols: 120, rows: 40, zoomed: false });
    await waitForScreen(store, "A1", "ready A1", 15_000);
    await remote.run({ type: "input", agent: "A1", data: "through ssh\r" });
    await waitForScreen(store, "A1", "You said: through ssh");
    expect(await remote.run({ type: "running" })).toEqual({ ok: true, value: ["A1"] });
    const pid = await waitFor(() => recordedPid(rig, "A1"));
    // The link drops (the ssh process killed): a detach; the agent and its server go on.
    const server = await readInfo(rig.dir);
    remote.transport.close("the link dropped");
    await waitFor(async () => ((await readInfo(rig.dir))?.clients === 0 ? true : undefined));
    expect(isAlive(pid)).toBe(true);
    expect((await readInfo(rig.dir))?.pid).toBe(server?.pid);
  });

  it("tower attach --ssh shows the room here; D detaches, the agent goes on", async () => {
    const { rig, tmux } = await attachedOverSsh();
    tmux.keys("i");
    await tmux.waitForText("INSERT");
    tmux.type("typed here");
    tmux.keys("Enter", "C-]");
    await tmux.waitForText("You said: typed here");
    const pid = await waitFor(() => recordedPid(rig, "A1"));
    tmux.keys("D");
    await tmux.waitForText("[exited 0]");
    // How to come back is the way it came: over SSH, not a local `tower attach`.
    expect(tmux.tmux("capture-pane", "-p", "-J")).toContain(
      `[detached: A1 goes on; \`tower attach --ssh ${sshd!.host}:${rig.root}\` opens the room again]`,
    );
    expect(isAlive(pid)).toBe(true);
    await waitFor(async () => ((await readInfo(rig.dir))?.clients === 0 ? true : undefined));
  });

  it("the link dropped under tower attach --ssh (ssh killed): it says so, exits with 1, and the agent goes on", async () => {
    const { rig, tmux } = await attachedOverSsh();
    const pid = await waitFor(() => recordedPid(rig, "A1"));
    const ssh = tmux.processes().filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, "utf8").trim() === "ssh";
      } catch {
        return false;
      }
    });
    expect(ssh).toHaveLength(1);
    process.kill(ssh[0]!, "SIGKILL");
    await tmux.waitForText("[exited 1]", 15_000);
    const said = tmux.tmux("capture-pane", "-p", "-J");
    expect(said).toContain(`tower: the link to the room on ${sshd!.host} ended (`);
    expect(said).toContain("was stopped by SIGKILL");
    expect(said).toContain(`\`tower attach --ssh ${sshd!.host}:${rig.root}\` opens it again`);
    await waitFor(async () => ((await readInfo(rig.dir))?.clients === 0 ? true : undefined));
    expect(isAlive(pid)).toBe(true);
  });

  it("tower attach --ssh user@host with no path joins the only room running there, as ssh host tmux attach", async () => {
    const rig = await serverRig();
    await startServer(rig);
    const store = createRoomStore();
    // The far side's login folder (the user's home) is in no repository.
    const connection = await connectSsh(
      { host: sshd!.host, path: undefined },
      { cols: 120, rows: 40, name: "over ssh, no path" },
      { ssh: sshd!.ssh, remoteCommand: remoteCommand(rig) },
    );
    const remote = await RemoteRoom.attach(connection, store);
    await remote.run({ type: "layout", cols: 120, rows: 40, zoomed: false });
    await waitForScreen(store, "A1", "ready A1", 15_000);
    remote.detach();
  });
});
