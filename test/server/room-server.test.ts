/**
 * `tower server` as a real process on a real socket, driven without Ink: the room's state
 * arrives as a snapshot and then patches, input reaches the agent, commands are answered, two
 * clients see the same room, a client leaving is a detach (the agent's pid does not change),
 * `tower ps`/`tower ls` see it, and `tower server stop` stops the agent and then the server.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, readInfo } from "../../src/server/info.js";
import { tower, waitFor } from "../helpers/repo.js";
import {
  agentRecord,
  attach,
  cleanupRigs,
  recordedPid,
  screenOf,
  serverRig,
  startServer,
  waitForScreen,
} from "./helpers.js";

afterEach(cleanupRigs);

describe("tower server", () => {
  it("hosts the room: frames arrive, input reaches the agent, commands are answered", async () => {
    const rig = await serverRig();
    await startServer(rig);
    const { remote, store } = await attach(rig, "first");
    // The snapshot is in when attach resolves: the agent is known at once.
    expect(store.getState().agentOrder).toEqual(["A1"]);
    expect((await remote.run({ type: "layout", cols: 120, rows: 40, zoomed: false })).ok).toBe(
      true,
    );
    await waitForScreen(store, "A1", "ready A1");
    await remote.run({ type: "input", agent: "A1", data: "hello server\r" });
    await waitForScreen(store, "A1", "You said: hello server");
    expect(await remote.run({ type: "running" })).toEqual({ ok: true, value: ["A1"] });
    // A command the room does not have is answered, not dropped.
    const unknown = await remote.run({ type: "frobnicate" } as never);
    expect(unknown.ok).toBe(false);
    // The server's info and agents.json: the agent runs under the server.
    const pid = await waitFor(() => recordedPid(rig, "A1"));
    expect(isAlive(pid)).toBe(true);
    const ps = await tower(rig.root, ["ps"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(ps.stdout).toMatch(new RegExp(`A1\\s+A\\s+(running|idle|waiting)\\s+${pid}`));
    const ls = await tower(rig.root, ["ls", "--json"], { XDG_RUNTIME_DIR: rig.runtime });
    const rooms = JSON.parse(ls.stdout) as { repo: string; clients: number }[];
    expect(rooms.map((r) => r.repo)).toEqual([rig.root]);
    expect(rooms[0]!.clients).toBe(1);
  });

  it("serves two clients at once; one leaving is a detach, the agent goes on", async () => {
    const rig = await serverRig();
    await startServer(rig);
    const one = await attach(rig, "one");
    const two = await attach(rig, "two");
    await one.remote.run({ type: "layout", cols: 120, rows: 40, zoomed: false });
    await waitForScreen(two.store, "A1", "ready A1");
    const pid = await waitFor(() => recordedPid(rig, "A1"));
    // A key typed in one client shows in both.
    await one.remote.run({ type: "input", agent: "A1", data: "from one\r" });
    await waitForScreen(one.store, "A1", "You said: from one");
    await waitForScreen(two.store, "A1", "You said: from one");
    // The first client leaves without a word (as kill -9 of it would): a detach.
    one.remote.transport.close("gone");
    await two.remote.run({ type: "input", agent: "A1", data: "still here\r" });
    await waitForScreen(two.store, "A1", "You said: still here");
    expect(recordedPid(rig, "A1")).toBe(pid);
    expect(isAlive(pid)).toBe(true);
    // Pane sizes follow the client active last: a small client's layout, then the big one types.
    const cols = () => two.store.getState().frames.A1?.cols ?? 0;
    await two.remote.run({ type: "layout", cols: 160, rows: 44, zoomed: true });
    await waitFor(() => (cols() > 120 ? true : undefined), 10_000, "the big client's size");
    const small = await attach(rig, "small");
    await small.remote.run({ type: "layout", cols: 90, rows: 30, zoomed: true });
    await waitFor(() => (cols() < 100 ? true : undefined), 10_000, "the small client's size");
    await two.remote.run({ type: "input", agent: "A1", data: "big again\r" });
    await waitFor(() => (cols() > 120 ? true : undefined), 10_000, "the big client's size again");
    small.remote.detach();
    // A third client, attaching later, gets the current screen at once, in its snapshot.
    const three = await attach(rig, "three");
    expect(screenOf(three.store, "A1")).toContain("You said: still here");
  });

  it("tower server stop stops the agent gracefully, then the server", async () => {
    const rig = await serverRig();
    const server = await startServer(rig);
    const { store } = await attach(rig, "watcher");
    await waitForScreen(store, "A1", "ready A1");
    const pid = await waitFor(() => recordedPid(rig, "A1"));
    const stop = await tower(rig.root, ["server", "stop"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(stop.stderr).toBe("");
    expect(stop.stdout).toContain(`stopped the Tower server of ${rig.root} (pid ${server.pid})`);
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(server.pid!)).toBe(false);
    expect(agentRecord(rig, "A1")).toMatchObject({ status: "exited", pid: null });
    expect(await readInfo(rig.dir)).toBeUndefined();
    const ps = await tower(rig.root, ["ps"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(ps.stdout).toContain("no Tower server runs");
    expect(ps.stdout).toMatch(/A1\s+A\s+not running\s+-/);
  });
});
