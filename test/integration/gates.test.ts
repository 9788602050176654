/**
 * Quality gates through the built CLI, on real worktrees: criteria with metrics, thresholds and a
 * comparison across two streams' worktrees; the result kept in checkpoints.json with each value
 * and output tail, sealed (an edited value reads as forged); auto gates run once when due; gate
 * commands are plan commands that need trust.
 */
import { promises as fsp, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { git, makeRepo, readJson, readJsonlFile, type TempRepo, tower } from "../helpers/repo.js";

const PLAN = `version: 1
project: shop
agent: [sh, -c, "true"]
checkpoints:
  impl: { after: [A, B] }
  quality:
    depends_on: [impl]
    auto: true
    criteria:
      - { name: tests, run: "test -f README.md" }
      - { name: coverage, run: "echo start; cat coverage.txt", metric: "All files\\\\s*\\\\|\\\\s*([\\\\d.]+)", expect: ">= 90" }
      - { name: parity, run: "cat perf.txt", metric: "p95_ms=(\\\\d+)", across: [A, B1], within: 20% }
  acceptance: { approval: human, depends_on: [quality] }
streams:
  A:
    name: API
    scope: ["perf.txt", "src/**"]
    agents: [{ id: A1, task: api }]
  B:
    name: Billing
    scope: ["perf.txt", "billing/**"]
    agents: [{ id: B1, task: billing }]
`;

interface Entry {
  status: string;
  note: string;
  seal?: string;
  criteria?: {
    name: string;
    ok: boolean;
    value: number | null;
    detail: string;
    runs: { where: string; stream: string | null; value: number | null; tail: string[] }[];
  }[];
}

let repo: TempRepo;
const worktree = (id: string) => path.join(path.dirname(repo.root), `shop-stream-${id}`);
const checkpointsFile = () => path.join(repo.stateDir, "checkpoints.json");
const entries = async () =>
  ((await readJson(checkpointsFile())) as { checkpoints: Record<string, Entry> }).checkpoints;
const statusOf = async (id: string) => {
  const status = JSON.parse((await tower(repo.root, ["status", "--json"])).stdout) as {
    checkpoints: { id: string; status: string }[];
  };
  return status.checkpoints.find((c) => c.id === id)?.status;
};

beforeEach(async () => {
  repo = await makeRepo({ plan: PLAN });
  writeFileSync(path.join(repo.root, "coverage.txt"), "File | % Stmts\nAll files |   92.5 |\n");
  git(repo.root, "add", "coverage.txt");
  git(repo.root, "commit", "-q", "-m", "coverage");
  for (const id of ["A", "B"]) expect((await tower(repo.root, ["start", id])).code).toBe(0);
  writeFileSync(path.join(worktree("A"), "perf.txt"), "p95_ms=100\n");
  writeFileSync(path.join(worktree("B"), "perf.txt"), "p95_ms=115\n");
});
afterEach(() => repo.cleanup());

describe("tower gate run", () => {
  // A state file recording another folder as a stream's worktree (a clone's, or edited) had the
  // plan's commands run there: in another repository, or in the main worktree.
  it("runs a criterion across streams only in their linked worktrees, not in any folder the state names", async () => {
    for (const id of ["A", "B"]) expect((await tower(repo.root, ["complete", id])).code).toBe(0);
    const other = path.join(path.dirname(repo.root), "other-repo");
    await fsp.mkdir(other);
    writeFileSync(path.join(other, "perf.txt"), "p95_ms=999\n");
    const file = path.join(repo.stateDir, "orchestrator_state.json");
    const state = JSON.parse(await fsp.readFile(file, "utf8"));
    state.streams.B.worktree = "../other-repo";
    await fsp.writeFile(file, `${JSON.stringify(state, null, 2)}\n`);

    const ran = await tower(repo.root, ["gate", "run", "quality"]);
    expect(ran.stdout).not.toContain("999");
    expect(ran.stdout + ran.stderr).toContain(
      "records ../other-repo as stream B's worktree, which is not a worktree of this repository",
    );
    expect(ran.code).not.toBe(0);
    const runs = (await entries())["quality"]!.criteria![2]!.runs;
    expect(runs.map((r) => [r.where, r.value])).toEqual([
      ["A", 100],
      ["B1", null],
    ]);
  });

  it("waits for its dependencies, then runs every criterion and records each value, sealed", async () => {
    const early = await tower(repo.root, ["gate", "run", "quality"]);
    expect(early.code).toBe(3);
    expect(early.stderr).toContain('checkpoint "quality" cannot run yet: waiting for impl to pass');
    expect(await statusOf("impl")).toBe("pending");
    for (const id of ["A", "B"]) expect((await tower(repo.root, ["complete", id])).code).toBe(0);
    // impl passes by itself once A and B are completed.
    expect(await statusOf("impl")).toBe("passed");

    const ran = await tower(repo.root, ["gate", "run", "quality"]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("$ cat perf.txt  (parity, in B1)\n  p95_ms=115\n");
    expect(ran.stdout).toContain(
      [
        "checkpoint quality passed",
        "  ok    tests     exit 0",
        "  ok    coverage  92.5 >= 90",
        "  ok    parity    A 100, B1 115 (within 20%)",
      ].join("\n"),
    );
    const quality = (await entries())["quality"]!;
    expect(quality).toMatchObject({
      status: "passed",
      by: "tower",
      note: "3 of 3 criteria passed",
    });
    expect(quality.seal).toMatch(/^[0-9a-f]{64}$/);
    expect(quality.criteria!.map((c) => [c.name, c.ok, c.value])).toEqual([
      ["tests", true, null],
      ["coverage", true, 92.5],
      ["parity", true, null],
    ]);
    expect(quality.criteria![1]!.runs[0]!.tail).toEqual([
      "start",
      "File | % Stmts",
      "All files |   92.5 |",
    ]);
    expect(quality.criteria![2]!.runs.map((r) => [r.where, r.stream, r.value])).toEqual([
      ["A", "A", 100],
      ["B1", "B", 115],
    ]);
    expect(await statusOf("quality")).toBe("passed");
    const shown = JSON.parse(
      (await tower(repo.root, ["gate", "show", "quality", "--json"])).stdout,
    );
    expect(shown).toMatchObject({
      id: "quality",
      status: "passed",
      note: "3 of 3 criteria passed",
    });
    expect(shown.criteria).toHaveLength(3);

    // A value edited by hand breaks the seal: the gate reads as forged and passes nothing.
    const text = await fsp.readFile(checkpointsFile(), "utf8");
    await fsp.writeFile(checkpointsFile(), text.replace('"value": 92.5', '"value": 99.5'));
    expect(await statusOf("quality")).toBe("forged");
    const approve = await tower(repo.root, ["approve", "acceptance"]);
    expect(approve.code).toBe(3);
    expect(approve.stderr).toContain("waiting for quality (forged)");

    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(log.filter((e) => e["checkpoint"] === "quality").map((e) => e["action"])).toEqual([
      "checkpoint_started",
      "checkpoint_passed",
    ]);
  });

  it("fails on a threshold or a tolerance missed, keeps the values, and seals nothing", async () => {
    for (const id of ["A", "B"]) await tower(repo.root, ["complete", id]);
    writeFileSync(path.join(repo.root, "coverage.txt"), "All files | 85 |\n");
    writeFileSync(path.join(worktree("B"), "perf.txt"), "p95_ms=130\n");
    const ran = await tower(repo.root, ["gate", "run", "quality"]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(
      "checkpoint quality failed: 1 of 3 criteria passed; coverage: 85, expected >= 90; parity: B1: 130 is 30% off A's 100 (allowed: within 20%)",
    );
    expect(ran.stdout).toContain(
      "  FAIL  parity    B1: 130 is 30% off A's 100 (allowed: within 20%)",
    );
    expect(ran.stdout).toContain("        last output in B1:\n          p95_ms=130");
    const quality = (await entries())["quality"]!;
    expect(quality.status).toBe("failed");
    expect(quality.seal).toBeUndefined();
    expect(quality.criteria![1]!.value).toBe(85);
    // checkpoint run does the same for a gate.
    expect((await tower(repo.root, ["checkpoint", "run", "quality"])).code).toBe(1);
    // A gate passes by its criteria, never by hand.
    const approve = await tower(repo.root, ["approve", "quality"]);
    expect(approve.code).toBe(3);
    expect(approve.stderr).toContain(
      'checkpoint "quality" passes when its criteria (tests, coverage, parity) do: run them with `tower gate run quality`',
    );
  });

  it("runs an auto gate once, when it is due", async () => {
    expect((await tower(repo.root, ["gate", "run", "--due"])).stdout).toBe(
      "no automatic gate is due\n",
    );
    for (const id of ["A", "B"]) await tower(repo.root, ["complete", id]);
    const due = await tower(repo.root, ["gate", "run", "--due"]);
    expect(due.code, due.stderr).toBe(0);
    expect(due.stdout).toContain("checkpoint quality passed");
    expect((await tower(repo.root, ["gate", "run", "--due"])).stdout).toBe(
      "no automatic gate is due\n",
    );
  });

  it("runs a criterion's command only for a trusted plan, and a changed command asks again", async () => {
    for (const id of ["A", "B"]) await tower(repo.root, ["complete", id]);
    const plan = await fsp.readFile(path.join(repo.root, "streams.yaml"), "utf8");
    await fsp.writeFile(
      path.join(repo.root, "streams.yaml"),
      plan.replace('run: "test -f README.md"', 'run: "touch pwned"'),
    );
    const ran = await tower(repo.root, ["gate", "run", "quality"]);
    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain("changed since you trusted it");
    expect(ran.stderr).toContain("+ checkpoints.quality.criteria.tests: touch pwned");
    const due = await tower(repo.root, ["gate", "run", "--due"]);
    expect(due.code).toBe(1);
    expect(due.stderr).toContain("changed since you trusted it");
    await expect(fsp.stat(path.join(repo.root, "pwned"))).rejects.toThrow();
    expect((await entries())["quality"]).toBeUndefined();
  });
});
