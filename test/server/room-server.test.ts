/**
 * `tower server` as a real process on a real socket, driven without Ink: the room's state
 * arrives as a snapshot and then patches, input reaches the agent, commands are answered, two
 * clients see the same room, a client leaving is a detach (the agent's pid does not change),
 * `tower ps`/`tower ls` see it, and `tower server stop` stops the agent and then the server.
 */
import { chmodSync, existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HOOK_SOCKET } from "../../src/room/hook-endpoint.js";
import { ROOM_SOCKET } from "../../src/room/protocol/index.js";
import { roomDir } from "../../src/room/runtime-dir.js";
import { isAlive, readInfo } from "../../src/server/info.js";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, tower, waitFor } from "../helpers/repo.js";
import {
  agentRecord,
  attach,
  cleanupRigs,
  planWith,
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

  it("a broken client's commands are answered with what is wrong; a screen larger than any terminal is sized at the most Tower sizes", async () => {
    // The agent says its terminal's size whenever it changes.
    const agent = `process.stdout.write("ready A1\\r\\n");
const say = () => process.stdout.write("size " + process.stdout.columns + "x" + process.stdout.rows + "\\r\\n");
process.stdout.on("resize", say);
process.stdin.on("data", () => {});`;
    const rig = await serverRig(planWith([process.execPath, "-e", agent]));
    await startServer(rig);
    const { remote, store } = await attach(rig, "broken");
    await remote.run({ type: "layout", cols: 120, rows: 40, zoomed: true, selected: "A1" });
    await waitForScreen(store, "A1", "ready A1");
    // Wrong kinds are refused by name, and nothing reaches the agent.
    expect(await remote.run({ type: "input", agent: "A1", data: 7 } as never)).toEqual({
      ok: false,
      error: 'input: "data" must be a string (got 7)',
    });
    expect(
      await remote.run({ type: "layout", cols: "wide", rows: 40, zoomed: true } as never),
    ).toEqual({
      ok: false,
      error: 'layout: "cols" must be a whole number of at least 1 (got "wide")',
    });
    // A copy-mode search with no query: refused, where it once took the server down at the
    // pane's next frame; the pane in copy mode still draws as output comes.
    expect(
      await remote.run({
        type: "copy",
        agent: "A1",
        action: { do: "search", query: null, backward: false },
      } as never),
    ).toEqual({ ok: false, error: 'copy: "action.query" must be a string (got null)' });
    expect((await remote.run({ type: "copy", agent: "A1", action: { do: "enter" } })).ok).toBe(
      true,
    );
    await remote.run({ type: "layout", cols: 100, rows: 30, zoomed: true, selected: "A1" });
    await waitForScreen(store, "A1", "size 100x27");
    expect((await remote.run({ type: "copy", agent: "A1", action: { do: "exit" } })).ok).toBe(true);
    // 20,000 x 20,000 (gigabytes of cells): the agent's terminal gets the zoomed pane of a
    // 2,000 x 1,000 screen (less the header, the footer and its title), at once, and the server
    // goes on answering.
    const asked = Date.now();
    const huge = await remote.run({
      type: "layout",
      cols: 20_000,
      rows: 20_000,
      zoomed: true,
      selected: "A1",
    });
    expect(huge.ok).toBe(true);
    expect(Date.now() - asked).toBeLessThan(2_000);
    await waitForScreen(store, "A1", "size 2000x997");
    expect(await remote.run({ type: "running" })).toEqual({ ok: true, value: ["A1"] });
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
    // Its sockets go with it (a file left would make the next server's listen fail).
    for (const socket of [ROOM_SOCKET, HOOK_SOCKET])
      expect(existsSync(path.join(rig.dir, socket)), socket).toBe(false);
    const ps = await tower(rig.root, ["ps"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(ps.stdout).toContain("no Tower server runs");
    expect(ps.stdout).toMatch(/A1\s+A\s+not running\s+-/);
  });

  it("tower attach outside any repository: none running or several, it says so and names them; a missing folder is named", async () => {
    const one = await serverRig();
    const env = { XDG_RUNTIME_DIR: one.runtime };
    // The test's runtime folder is in no repository.
    const outside = one.runtime;
    const none = await tower(outside, ["attach"], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      "is not inside a git repository, and no Tower server runs on this machine: run `tower` in your project's repository",
    );
    const missing = path.join(outside, "nope");
    const named = await tower(outside, ["attach", missing], env);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain(`${missing}: no such folder`);
    // The other commands that find a room say the same, as a user's error (exit 1, one line),
    // not as a defect with its stack; `tower server --stdio` too, which is what an SSH client
    // shows of the far side.
    for (const args of [["ps"], ["server", "stop"], ["server", "--stdio"], ["ps", missing]]) {
      const said = await tower(outside, args, env);
      expect(said.code, args.join(" ")).toBe(1);
      expect(said.stderr, args.join(" ")).toMatch(/is not inside a git repository|no such folder/);
      expect(said.stderr, args.join(" ")).not.toContain("unexpected error");
      expect(said.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    // A folder that is in no repository, named.
    const plain = await tower(outside, ["ps", outside], env);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(`${outside} is not inside a git repository`);
    expect(plain.stderr).not.toContain("unexpected error");
    // Two rooms on this machine (the second repository's server in the same runtime folder).
    await startServer(one);
    const two = await serverRig();
    const twoEnv = { ...two.env, XDG_RUNTIME_DIR: one.runtime };
    const twoDir = await roomDir(two.root, twoEnv);
    await startServer({ ...two, env: twoEnv, dir: twoDir });
    try {
      const several = await tower(outside, ["attach"], env);
      expect(several.code).toBe(1);
      expect(several.stderr).toContain(
        "2 Tower servers run on this machine: name the one to open, `tower attach <repository>`:",
      );
      expect(several.stderr).toContain(`  ${one.root}\n`);
      expect(several.stderr).toContain(`  ${two.root}`);
      // --ssh takes the remote repository in its target.
      const ssh = await tower(outside, ["attach", "--ssh", "me@host", one.root], env);
      expect(ssh.code).not.toBe(0);
      expect(ssh.stderr).toContain("takes the remote repository in its target (user@host:");
    } finally {
      const info = await readInfo(twoDir);
      if (info && isAlive(info.pid)) process.kill(info.pid, "SIGTERM");
      await waitFor(() => (info && isAlive(info.pid) ? undefined : true), 15_000, "two's server");
    }
  });

  it("a server that does not answer (stopped, or hung): tower attach and tower say so within seconds, naming it, and wait no more", async () => {
    const rig = await serverRig();
    const server = await startServer(rig);
    const env = { XDG_RUNTIME_DIR: rig.runtime, TOWER_IN_PROCESS: "0" };
    process.kill(server.pid!, "SIGSTOP");
    try {
      const said = `the Tower server of ${rig.root} (pid ${server.pid}) accepts connections but does not answer: it is stopped or hung (kill -CONT ${server.pid} wakes a stopped one; kill -9 ${server.pid} ends it, and the next tower starts its agents again)`;
      let started = Date.now();
      const attached = await tower(rig.root, ["attach"], env);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(attached.code).toBe(1);
      expect(attached.stderr).toBe(`tower: ${said}\n`);
      // tower itself, in a terminal: once, not once more by the full command line.
      started = Date.now();
      const terminal = new TmuxRig(rig.root, `node ${CLI}`, { cols: 200, rows: 30 }, env);
      try {
        await terminal.waitForText("[exited 1]", 30_000);
        expect(Date.now() - started).toBeLessThan(20_000);
        // Wrapped lines joined (-J), as the terminal holds them.
        expect(terminal.tmux("capture-pane", "-p", "-J")).toContain(`tower: ${said}\n`);
      } finally {
        terminal.kill();
      }
    } finally {
      process.kill(server.pid!, "SIGCONT");
    }
  }, 90_000);

  it("a runtime folder other users can open: the commands that look for a room say so in one line", async () => {
    const rig = await serverRig();
    // The room folders' parent, tower-<uid>, made open to others (as a careless chmod would).
    const parent = path.dirname(rig.dir);
    chmodSync(parent, 0o755);
    const env = { XDG_RUNTIME_DIR: rig.runtime };
    for (const args of [["ps"], ["server", "stop"], ["server", "--stdio"], ["attach"], ["ls"]]) {
      const said = await tower(rig.root, args, env);
      expect(said.code, args.join(" ")).toBe(1);
      expect(said.stderr, args.join(" ")).toContain(
        `${parent} can be opened by other users (mode 755): make it private with chmod 700`,
      );
      expect(said.stderr, args.join(" ")).not.toContain("unexpected error");
      expect(said.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    chmodSync(parent, 0o700);
  });

  it("tower server stop and tower ps name a repository from elsewhere, or outside any take the only room", async () => {
    const rig = await serverRig();
    const env = { XDG_RUNTIME_DIR: rig.runtime };
    // The test's runtime folder is in no repository.
    const outside = rig.runtime;
    for (const args of [
      ["server", "stop", rig.root],
      ["server", "stop"],
    ]) {
      const server = await startServer(rig);
      // tower ps finds the room the same way.
      const ps = await tower(outside, ["ps", ...args.slice(2)], env);
      expect(ps.stdout).toContain(`Tower server pid ${server.pid} for ${rig.root}`);
      const stop = await tower(outside, args, env);
      expect(stop.stderr).toBe("");
      expect(stop.stdout).toContain(`stopped the Tower server of ${rig.root} (pid ${server.pid})`);
      expect(isAlive(server.pid!)).toBe(false);
    }
    const none = await tower(outside, ["server", "stop"], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no Tower server runs on this machine");
  });
});
