/**
 * Trust and sealed approvals: a plan's commands run only once the user trusted them on this
 * machine, and a human approval counts only when Tower recorded it from a human.
 */
import { spawn } from "node:child_process";
import { existsSync, promises as fsp, statSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPlan } from "../../src/engine/plan/index.js";
import { trustPlan, trustState } from "../../src/engine/trust.js";
import {
  CLI,
  cleanEnv,
  git,
  makeRepo,
  readJson,
  type TempRepo,
  tower,
  waitFor,
} from "../helpers/repo.js";

let repo: TempRepo;
let config: string;

const PLAN = (marker: string) => `version: 1
project: demo
agent: [sh, -c, "exit 0"]
checkpoints:
  review: { approval: human }
  tests: { run: "touch ${marker}" }
streams:
  A:
    name: Alpha
    requires: [review]
    agents: [{ id: A1, task: one }]
`;

beforeEach(async () => {
  repo = await makeRepo({ plan: PLAN("ran"), trust: false });
  // A Tower folder of this test's own: nothing trusted yet.
  config = path.join(path.dirname(repo.root), "tower-config");
});
afterEach(() => repo.cleanup());

const as = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  tower(repo.root, args, { TOWER_CONFIG_DIR: config, ...env });

describe("trust", () => {
  it("runs no command of a plan that is not trusted, and says how to trust it", async () => {
    const result = await as(["checkpoint", "run", "tests"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      "has not been trusted on this machine, so Tower runs none of its commands",
    );
    expect(result.stderr).toContain("+ checkpoints.tests.run: touch ran");
    expect(existsSync(path.join(repo.root, "ran"))).toBe(false);
    const trusted = await as(["trust", "--yes"]);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toContain("streams.A.agents.A1:");
    expect((await as(["checkpoint", "run", "tests"])).code).toBe(0);
    expect(existsSync(path.join(repo.root, "ran"))).toBe(true);
    // Trust lives in Tower's own folder, not in the repository.
    expect(existsSync(path.join(config, "trusted-plans.json"))).toBe(true);
    expect((await fsp.readdir(repo.stateDir)).some((f) => f.includes("trust"))).toBe(false);
  });

  // Each trust read the file, added its plan and wrote the file back: two at once, and the one
  // written first was lost (its plan asked again at the next start).
  it("keeps every plan trusted when several are trusted at once, in this process and in others", async () => {
    const plans = [];
    for (let i = 0; i < 6; i++) {
      const folder = path.join(path.dirname(repo.root), `plan-${i}`);
      await fsp.mkdir(folder);
      const file = path.join(folder, "streams.yaml");
      await fsp.writeFile(file, PLAN(`ran-${i}`));
      plans.push(await loadPlan(file));
    }
    const env = { ...process.env, TOWER_CONFIG_DIR: config };
    await Promise.all([
      ...plans.map((plan) => trustPlan(plan, env)),
      as(["trust", "--yes"]),
      as(["trust", "--yes"]),
    ]);
    for (const plan of [...plans, await loadPlan(path.join(repo.root, "streams.yaml"))]) {
      expect((await trustState(plan, env)).trusted, plan.file).toBe(true);
    }
    // No file of a writer's left beside it.
    expect((await fsp.readdir(config)).filter((name) => name.includes(".tmp"))).toEqual([]);
  });

  it("asks again when a command changes, showing what changed, but not for other edits", async () => {
    await as(["trust", "--yes"]);
    const file = path.join(repo.root, "streams.yaml");
    await fsp.writeFile(file, PLAN("ran").replace("name: Alpha", "name: Alpha renamed"));
    expect((await as(["trust", "--show"])).stdout).toContain("trusted on this machine");
    await fsp.writeFile(file, PLAN("pwned"));
    const result = await as(["checkpoint", "run", "tests"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("the commands in");
    expect(result.stderr).toContain("changed since you trusted it");
    expect(result.stderr).toContain("+ checkpoints.tests.run: touch pwned");
    expect(existsSync(path.join(repo.root, "pwned"))).toBe(false);
    // Without a terminal, `tower trust` does not trust by itself.
    const piped = await as(["trust"]);
    expect(piped.code).toBe(3);
    expect(piped.stderr).toContain("tower trust --yes");
  });
});

describe("approvals", () => {
  const checkpoints = () => path.join(repo.stateDir, "checkpoints.json");
  const statusOf = async (id: string) => {
    const report = JSON.parse((await as(["status", "--json"])).stdout) as {
      checkpoints: { id: string; status: string }[];
    };
    return report.checkpoints.find((c) => c.id === id)?.status;
  };

  it("reads an approval written by hand (or by an agent) as forged, and it passes nothing", async () => {
    await fsp.writeFile(
      checkpoints(),
      JSON.stringify({
        checkpoints: {
          review: { status: "approved", by: "human", updated: "2026-01-01T00:00:00Z", note: "" },
        },
        version: 1,
      }),
    );
    expect(await statusOf("review")).toBe("forged");
    // A stream that requires it does not merge on a forged approval.
    expect((await as(["start", "A"])).code).toBe(0);
    const worktree = path.join(path.dirname(repo.root), "demo-stream-A");
    await fsp.writeFile(path.join(worktree, "a.txt"), "a\n");
    git(worktree, "add", "a.txt");
    git(
      worktree,
      "-c",
      "user.name=A",
      "-c",
      "user.email=a@x",
      "commit",
      "-q",
      "--no-verify",
      "-m",
      "a",
    );
    expect((await as(["complete", "A"])).code).toBe(0);
    const merge = await as(["merge", "A"]);
    expect(merge.code).toBe(3);
    expect(merge.stderr).toContain("requires checkpoint review (forged) to pass first");
    // A real approval from a human replaces it, sealed, and the merge goes through.
    expect((await as(["approve", "review"])).code).toBe(0);
    expect(await statusOf("review")).toBe("approved");
    const recorded = (
      (await readJson(checkpoints())) as { checkpoints: Record<string, { seal?: string }> }
    ).checkpoints.review;
    expect(recorded?.seal).toMatch(/^[0-9a-f]{64}$/);
    expect((await as(["merge", "A"])).code).toBe(0);
    // The key that seals it is Tower's own, private, outside the repository.
    const key = path.join(config, "seal.key");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    // Changing the sealed record by hand breaks the seal.
    const file = (await readJson(checkpoints())) as {
      checkpoints: Record<string, Record<string, string>>;
    };
    file.checkpoints.review!.by = "someone else";
    await fsp.writeFile(checkpoints(), JSON.stringify(file));
    expect(await statusOf("review")).toBe("forged");
  });

  it("refuses tower approve from an agent: with TOWER_AGENT_ID, or run under an agent's process", async () => {
    const withId = await as(["approve", "review"], { TOWER_AGENT_ID: "A1" });
    expect(withId.code).toBe(3);
    expect(withId.stderr).toContain("looks like agent A1 (TOWER_AGENT_ID is set)");
    // An "agent" (a shell recorded in agents.json, leading its own session as Tower's agents
    // do) that unsets the variable and approves, then does it again from a session of its own.
    const approve = `env -u TOWER_AGENT_ID "${process.execPath}" "${CLI}" approve review`;
    const script = `read line; ${approve}; echo "exit=$?"; setsid -w ${approve}; echo "exit=$?"`;
    const agent = spawn("sh", ["-c", script], {
      cwd: repo.root,
      env: cleanEnv({ TOWER_CONFIG_DIR: config }),
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    agent.stdout.on("data", (d) => (output += String(d)));
    agent.stderr.on("data", (d) => (output += String(d)));
    await fsp.writeFile(
      path.join(repo.stateDir, "agents.json"),
      JSON.stringify({
        agents: {
          A1: { stream: "A", status: "running", updated: "2026-01-01T00:00:00Z", pid: agent.pid },
        },
        version: 1,
      }),
    );
    agent.stdin.write("go\n");
    const finished = () => (output.match(/exit=/g)?.length === 2 ? true : undefined);
    await waitFor(finished, 20_000, "the agent's two approvals");
    expect(output.match(/exit=\d+/g)).toEqual(["exit=3", "exit=3"]);
    expect(output).toContain("looks like agent A1 (it runs in the agent's session)");
    expect(output).toContain("looks like agent A1 (it runs under the agent's process)");
    expect(await statusOf("review")).toBe("pending");
  });
});
