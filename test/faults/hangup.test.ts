/**
 * Tower's end never leaves an agent behind: the built CLI in a real tmux with agents that ignore
 * SIGHUP (as vim, or a shell loop with `trap '' HUP`, do), ended by a closed terminal (the pane
 * or the whole tmux server killed), SIGTERM, or an uncaught error. Every agent process is gone
 * afterwards and agents.json says each exited, with no pid. A Tower killed with kill -9 cannot
 * stop anything; the next Tower finds its agents, stops them, says so, and starts one copy.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, makeRepo, PROJECT_ROOT, type TempRepo, tower, waitFor } from "../helpers/repo.js";
import { agentProcesses, killAgents, readAgents, settle } from "./agents.js";
import { Invariants } from "./invariants.js";

/** Ignores SIGHUP like the agents that outlived Tower did; SIGTERM ends it. */
const STUBBORN = `trap '' HUP; echo "agent $TOWER_AGENT_ID ready"; while :; do sleep 1; done`;
/** Ends on SIGHUP, as most programs do. */
const PLAIN = `echo "agent $TOWER_AGENT_ID ready"; while :; do sleep 1; done`;

const plan = `version: 1
project: shop
agent: [sh, -c, ${JSON.stringify(STUBBORN)}]
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }, { id: A2, task: "two" }]
  B:
    name: Billing
    agents:
      - { id: B1, task: "three" }
      - { id: B2, task: "four", agent: [sh, -c, ${JSON.stringify(PLAIN)}] }
`;
const AGENTS = ["A1", "A2", "B1", "B2"];

let repo: TempRepo;
let root: string;
let home: string;
let invariants: Invariants;
const rigs: TmuxRig[] = [];

beforeEach(async () => {
  repo = await makeRepo({ plan });
  root = realpathSync(repo.root);
  home = path.join(path.dirname(root), "home");
  mkdirSync(home);
  writeFileSync(path.join(home, ".profile"), "# the user's\n");
  expect((await tower(repo.root, ["start", "A", "B"], { HOME: home })).code).toBe(0);
  invariants = await Invariants.take({ root, stateDir: repo.stateDir, sentinels: [home] });
});
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
  await settle(path.dirname(root));
  // Every run ends with the shared invariants: nothing lost, nothing written in HOME, and no
  // agent left once the last Tower is gone.
  const problems = await invariants.check();
  killAgents(root);
  repo.cleanup();
  expect(problems).toEqual([]);
});

function open(command = `node ${CLI}`): TmuxRig {
  const rig = new TmuxRig(repo.root, command, undefined, { HOME: home });
  rigs.push(rig);
  return rig;
}

/** Waits until every agent shows its first line, and returns their pids (one process each). */
async function agentsRunning(rig: TmuxRig): Promise<Map<string, number>> {
  await rig.waitFor(
    (screen) => AGENTS.every((id) => screen.includes(`agent ${id} ready`)),
    "four agents",
  );
  return waitFor(
    () => {
      const records = readAgents(repo.stateDir);
      const pids = new Map(AGENTS.map((id) => [id, records[id]?.pid ?? 0]));
      return [...pids.values()].every((pid) => pid > 0) ? pids : undefined;
    },
    10_000,
    "the agents' pids in agents.json",
  );
}

/** The pid of Tower: the node process in the rig's pane. */
function towerPid(rig: TmuxRig): number {
  const shell = rig.tmux("list-panes", "-F", "#{pane_pid}").trim();
  const child = execFileSync("pgrep", ["-P", shell], { encoding: "utf8" }).trim().split("\n")[0];
  return Number(child);
}

async function noAgentLeft(): Promise<void> {
  await waitFor(
    () => (agentProcesses(root).length === 0 ? true : undefined),
    20_000,
    `no agent process left (left: ${JSON.stringify(agentProcesses(root))})`,
  );
}

/** Whether each agent's log has its first line. */
function logsHaveFirstLines(): boolean {
  return AGENTS.every((id) => {
    try {
      const log = readFileSync(path.join(repo.stateDir, "logs", `agent-${id}.log`), "utf8");
      return log.split("\n").includes(`agent ${id} ready`);
    } catch {
      return false;
    }
  });
}

/** agents.json says every agent exited, with its code or signal and no pid. */
async function recordedExited(): Promise<void> {
  const records = await waitFor(
    () => {
      const all = readAgents(repo.stateDir);
      return AGENTS.every((id) => all[id]?.status === "exited") ? all : undefined;
    },
    10_000,
    `every agent exited in agents.json: ${JSON.stringify(readAgents(repo.stateDir))}`,
  );
  for (const id of AGENTS) {
    const record = records[id];
    expect(record?.pid ?? null, id).toBeNull();
    expect(record?.exit_code != null || record?.signal != null, `${id} has a code or signal`).toBe(
      true,
    );
  }
}

describe("Tower's end stops every agent", () => {
  it.each([
    ["its tmux pane is killed", (rig: TmuxRig) => rig.tmux("kill-pane")],
    ["the tmux server is killed", (rig: TmuxRig) => rig.kill()],
  ])("when its terminal closes: %s", async (_, hangUp) => {
    const rig = open();
    await agentsRunning(rig);
    hangUp(rig);
    await noAgentLeft();
    await recordedExited();
    expect(logsHaveFirstLines()).toBe(true);
  });

  it("on SIGTERM", async () => {
    const rig = open();
    await agentsRunning(rig);
    process.kill(towerPid(rig), "SIGTERM");
    await rig.waitForText("[exited");
    await noAgentLeft();
    await recordedExited();
  });

  it("on an uncaught error", async () => {
    const rig = open(`node ${path.join(PROJECT_ROOT, "test/e2e/programs/crash-ui.mjs")}`);
    await agentsRunning(rig);
    rig.type("!");
    const after = await rig.waitForText("[exited 1]");
    expect(after).toContain("Error: boom: a defect for the crash test");
    await noAgentLeft();
    await recordedExited();
  });

  it("after kill -9, the next Tower stops the agents left running and starts one of each", async () => {
    const first = open();
    const old = await agentsRunning(first);
    // What the agents showed reaches their logs while they run, so kill -9 cannot take it.
    await waitFor(() => (logsHaveFirstLines() ? true : undefined), 10_000, "the agents' logs");
    process.kill(towerPid(first), "SIGKILL");
    await first.waitForText("[exited");
    // B2 ends with its terminal; the others ignore the hang-up and live on without a Tower.
    await waitFor(
      () => {
        const left = agentProcesses(root).filter((p) => old.get(p.agent) === p.pid);
        return left.length === 3 && !left.some((p) => p.agent === "B2") ? true : undefined;
      },
      10_000,
      "A1, A2 and B1 left running, B2 gone",
    );
    const second = open();
    await second.waitForText("left running by a previous Tower");
    const now = await agentsRunning(second);
    for (const id of AGENTS) expect(now.get(id)).not.toBe(old.get(id));
    // One process group per agent: the leaders are the new pids, and none of the old is alive.
    const leaders = agentProcesses(root).filter((p) => p.pid === now.get(p.agent));
    expect(leaders.map((p) => p.agent).sort()).toEqual(AGENTS);
    for (const [id, pid] of old) {
      expect(
        agentProcesses(root).some((p) => p.pid === pid),
        `${id}'s old process ${pid}`,
      ).toBe(false);
    }
  });
});
