/**
 * The session manager at the edges of a Tower's life, with agents that ignore SIGHUP: closing
 * while agents are being started leaves none running; agents left running by a Tower killed
 * with kill -9 are stopped (and said so) before one copy of each starts; agents that a live
 * Tower runs are left to it and not started twice. Real pseudo-terminals, real processes, the
 * previous Tower a real process too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "../../src/engine/state/store.js";
import { SessionManager } from "../../src/room/sessions.js";
import { startStateWatcher } from "../../src/room/state-watcher.js";
import { startServices } from "../../src/ui/services/index.js";
import { agentProcesses, killAgents } from "../faults/agents.js";
import { cleanEnv, PROJECT_ROOT, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fixture, onCleanup, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const STUBBORN = `trap '' HUP; echo "agent $TOWER_AGENT_ID ready"; while :; do sleep 1; done`;
const PLAN = `version: 1
project: demo
agent: ${yamlArgv(["sh", "-c", STUBBORN])}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }, { id: A2, task: "two" }]
  B:
    name: Billing
    agents: [{ id: B1, task: "three" }]
`;
const AGENTS = ["A1", "A2", "B1"];
const PREVIOUS = path.join(PROJECT_ROOT, "test/room/programs/previous-tower.mjs");

async function started() {
  const f = await fixture(PLAN);
  const root = realpathSync(f.repo.root);
  onCleanup(() => killAgents(root));
  expect((await tower(f.repo.root, ["start", "A", "B"])).code).toBe(0);
  f.store.getState().setSize(200, 50);
  return { ...f, root };
}

const agentsFile = (stateDir: string) => new StateStore(stateDir).read("agents");

/**
 * A Tower in another process, running the plan's agents; resolves once they are started and
 * agents.json has their pids.
 */
async function previousTower(cwd: string, stateDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [PREVIOUS], {
    cwd,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  onCleanup(() => child.kill("SIGKILL"));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (data: Buffer) => {
      if (String(data).includes("started")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the previous Tower exited (${code})`)));
  });
  await waitFor(
    async () => {
      const records = (await agentsFile(stateDir)).agents;
      return AGENTS.every((id) => typeof records[id]?.pid === "number") ? true : undefined;
    },
    10_000,
    "the previous Tower's agents in agents.json",
  );
  return child;
}

/** The agents' process-group leaders: agent -> pid. */
function leaders(root: string): Map<string, number> {
  const all = agentProcesses(root);
  const pids = new Set(all.map((p) => p.pid));
  return new Map(all.filter((p) => !pids.has(p.ppid)).map((p) => [p.agent, p.pid]));
}

describe("session manager lifecycle", () => {
  it("starts nothing once closed, even when closed while the agents are being started", async () => {
    const { repo, project, store, root } = await started();
    const watcher = await startStateWatcher(project, store);
    onCleanup(() => watcher.close());
    const status = store.getState().status;
    if (!status) throw new Error("no status");
    const manager = new SessionManager(project, store, {
      resume: true,
      session: { env: cleanEnv(), stopGraceMs: 1_000 },
    });
    // Closed at the moment the agents appear in the store: their starts are under way.
    let closing: Promise<void> | undefined;
    const off = store.subscribe((s) => {
      if (!closing && Object.keys(s.agents).length > 0) closing = manager.close(1_000);
    });
    await manager.sync(status);
    off();
    await closing;
    expect(closing).toBeDefined();
    expect(agentProcesses(root)).toEqual([]);
    for (const record of Object.values((await agentsFile(repo.stateDir)).agents)) {
      expect(record).toMatchObject({ status: "exited", pid: null });
    }
  });

  it("records the true end in agents.json however fast agents exit and are restarted", async () => {
    const { repo, project, store } = await started();
    const services = await startServices(project, store, {
      session: { env: cleanEnv(), stopGraceMs: 1_000 },
      commandOverride: ["sh", "-c", "exit 3"],
    });
    onCleanup(() => services.close(500));
    const allExited = async () => {
      const records = (await agentsFile(repo.stateDir)).agents;
      return AGENTS.every((id) => records[id]?.status === "exited") ? records : undefined;
    };
    await waitFor(allExited, 10_000, "every agent exited in agents.json");
    // One of them starts it; the others may find it running (an error reply, nothing else).
    await Promise.allSettled([1, 2, 3, 4, 5].map(() => services.sessions.restart("A1")));
    await waitFor(
      () => (services.sessions.running().length === 0 ? true : undefined),
      10_000,
      "the restarts to end",
    );
    await services.close(500);
    const records = await waitFor(allExited, 10_000, "every agent exited in agents.json");
    for (const id of AGENTS) {
      expect(records[id]).toMatchObject({
        status: "exited",
        pid: null,
        exit_code: 3,
        signal: null,
      });
    }
  });

  it("stops the agents a Tower killed with kill -9 left running, says so, and starts one of each", async () => {
    const { repo, project, store, root } = await started();
    const previous = await previousTower(repo.root, repo.stateDir);
    const old = leaders(root);
    expect([...old.keys()].sort()).toEqual(AGENTS);
    previous.kill("SIGKILL");
    await new Promise((resolve) => previous.once("exit", resolve));
    // They ignore the hang-up: still running, with no Tower.
    expect([...leaders(root).values()].sort()).toEqual([...old.values()].sort());

    const messages: string[] = [];
    const services = await startServices(project, store, {
      session: { env: cleanEnv(), stopGraceMs: 1_000 },
      onMessage: (message) => messages.push(message),
    });
    onCleanup(() => services.close(500));
    expect(messages.join("\n")).toMatch(/stopped A1, A2, B1: left running by a previous Tower/);
    await waitFor(
      () => (services.sessions.running().length === 3 ? true : undefined),
      10_000,
      "three agents running",
    );
    // A process is an agent's in /proc once it has run its program (its environment before
    // that is its parent's): under load, a while after its session says it runs.
    const now = await waitFor(
      () => {
        const found = leaders(root);
        return AGENTS.every((id) => found.get(id) === services.sessions.get(id)?.pid)
          ? found
          : undefined;
      },
      10_000,
      () =>
        `the three agents' processes (${JSON.stringify([...leaders(root)])}); ${messages.join("; ")}`,
    );
    expect([...now.keys()].sort()).toEqual(AGENTS);
    for (const id of AGENTS) {
      expect(now.get(id)).toBe(services.sessions.get(id)?.pid);
      expect(now.get(id)).not.toBe(old.get(id));
    }
    // What the log of activity says for other tools.
    const activity = await project.store.readActivity();
    expect(
      activity.entries
        .filter((e) => e.action === "leftover_stopped")
        .map((e) => e["target"])
        .sort(),
    ).toEqual(AGENTS);
  });

  it("leaves the agents of a Tower that is still running to it, and does not start them twice", async () => {
    const { repo, project, store, root } = await started();
    await previousTower(repo.root, repo.stateDir);
    const theirs = leaders(root);
    const messages: string[] = [];
    const services = await startServices(project, store, {
      session: { env: cleanEnv(), stopGraceMs: 1_000 },
      onMessage: (message) => messages.push(message),
    });
    onCleanup(() => services.close(500));
    expect(messages.join("\n")).toMatch(
      /not started here, running in another Tower: A1 \(Tower pid \d+\)/,
    );
    expect(services.sessions.running()).toEqual([]);
    expect(leaders(root)).toEqual(theirs);
    await expect(services.sessions.restart("A1")).rejects.toThrow(/A1 runs in another Tower/);
    expect(services.sessions.running()).toEqual([]);
  });
});
