/**
 * The state watcher against real state files changed by other processes (the built CLI) and by
 * hand: locks, checkpoints, streams, handoffs, the activity log followed incrementally, a file
 * broken beyond recovery reported as a problem while the last good data stays, and streams.yaml
 * edited while the control room runs.
 */
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStateWatcher } from "../../src/room/state-watcher.js";
import { CLI, cleanEnv, TEST_PLAN, tower, waitFor } from "../helpers/repo.js";
import { cleanup, type Fixture, fixture, onCleanup } from "./helpers.js";

afterEach(cleanup);

beforeAll(() => {
  // Other processes run the built CLI: the tests need `npm run build` first (as `npm test` does).
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
});

async function watched(): Promise<
  Fixture & { watcher: Awaited<ReturnType<typeof startStateWatcher>> }
> {
  const f = await fixture();
  const watcher = await startStateWatcher(f.project, f.store, {
    env: cleanEnv(),
    onMessage: (text) => f.store.getState().showFlash(text, 4000),
  });
  onCleanup(() => watcher.close());
  return { ...f, watcher };
}

const line = (entry: Record<string, unknown>) => `${JSON.stringify(entry)}\n`;

describe("state watcher", () => {
  it("reads streams.yaml again at once when it is edited again while the status is still being read", async () => {
    const { repo, store } = await watched();
    const planFile = path.join(repo.root, "streams.yaml");
    // Another program is halfway through rewriting checkpoints.json under its lock: reading the
    // status waits for that lock (seconds, on a busy machine the status alone can take that).
    const checkpoints = path.join(repo.stateDir, "checkpoints.json");
    writeFileSync(checkpoints, '{"version": 1, "checkpoints": {');
    const holder = spawn("flock", ["-x", checkpoints, "sleep", "60"], {
      stdio: "ignore",
      detached: true,
    });
    try {
      await waitFor(
        () =>
          spawnSync("flock", ["-n", "-s", checkpoints, "true"]).status === 1 ? true : undefined,
        5_000,
        "the other program's lock on checkpoints.json",
      );
      const readAgain = async (before: unknown, what: string) =>
        waitFor(
          () => {
            const flash = store.getState().flash;
            return flash !== before && flash?.text.includes("read again") ? flash.text : undefined;
          },
          5_000,
          what,
        );
      writeFileSync(planFile, `${TEST_PLAN}# first edit\n`);
      await readAgain(store.getState().flash, "the plan read again after the first edit");
      // The second edit is read while the first one's status still waits on the lock.
      writeFileSync(planFile, `${TEST_PLAN}# second edit\n`);
      await readAgain(store.getState().flash, "the plan read again after the second edit");
    } finally {
      if (holder.pid) process.kill(-holder.pid, "SIGKILL"); // flock and its sleep
    }
  });

  it("loads everything before it resolves", async () => {
    const { store } = await watched();
    const s = store.getState();
    expect(s.status?.streams.map((x) => x.id)).toEqual(["A", "B", "C", "D", "E"]);
    expect(s.locks).toEqual([]);
    expect(s.checkpoints).toEqual([
      { id: "design_review", status: "pending", kind: "approval", dependsOn: [], waitingFor: [] },
      {
        id: "final_review",
        status: "pending",
        kind: "approval",
        dependsOn: ["design_review"],
        waitingFor: ["design_review"],
      },
      {
        id: "tests_pass",
        status: "pending",
        kind: "run",
        dependsOn: ["design_review"],
        waitingFor: ["design_review"],
      },
    ]);
    expect(s.handoffs).toEqual([]);
    expect(s.problem).toBeUndefined();
  });

  it("shows a lock taken by another process, and its release", async () => {
    const { repo, store } = await watched();
    const taken = await tower(repo.root, ["lock", "config/a.py", "--agent", "A1", "--task", "T"]);
    expect(taken.stderr).toBe("");
    const locks = await waitFor(
      () => (store.getState().locks.length === 1 ? store.getState().locks : undefined),
      10_000,
      "the lock in the store",
    );
    expect(locks[0]).toMatchObject({ path: "config/a.py", agent: "A1", stream: "A", task: "T" });
    expect(locks[0]?.expired).toBe(false);
    // The status report's copy follows too.
    expect(store.getState().status?.locks.map((l) => l.path)).toEqual(["config/a.py"]);

    await tower(repo.root, ["unlock", "config/a.py", "--agent", "A1"]);
    await waitFor(
      () => (store.getState().locks.length === 0 ? true : undefined),
      10_000,
      "the lock to go",
    );
  });

  it("flips a lock to expired when it expires, without any file change", async () => {
    const { repo, store } = await watched();
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1", "--ttl", "2s"]);
    await waitFor(() => store.getState().locks[0], 10_000, "the lock");
    expect(store.getState().locks[0]?.expired).toBe(false);
    await waitFor(
      () => (store.getState().locks[0]?.expired ? true : undefined),
      10_000,
      "the lock to expire",
    );
  });

  it("shows an approval made by another process, and the gates it opens", async () => {
    const { repo, store } = await watched();
    const approved = await tower(repo.root, ["approve", "design_review"]);
    expect(approved.code).toBe(0);
    const rows = await waitFor(
      () => {
        const rows = store.getState().checkpoints;
        return rows[0]?.status === "approved" ? rows : undefined;
      },
      10_000,
      "the approval in the store",
    );
    expect(rows[1]).toMatchObject({ id: "final_review", status: "pending", waitingFor: [] });
    expect(store.getState().status?.checkpoints[0]).toEqual({
      id: "design_review",
      status: "approved",
      depends_on: [],
    });
  });

  it("shows a stream started by another process, and a handoff", async () => {
    const { repo, store } = await watched();
    const started = await tower(repo.root, ["start", "A"]);
    expect(started.code).toBe(0);
    await waitFor(
      () =>
        store.getState().status?.streams.find((s) => s.id === "A")?.status === "in_progress"
          ? true
          : undefined,
      10_000,
      "stream A in progress",
    );
    const handoff = await tower(repo.root, ["handoff", "--from", "A1", "--to", "A2"]);
    expect(handoff.stderr).toBe("");
    const handoffs = await waitFor(
      () => (store.getState().handoffs.length === 1 ? store.getState().handoffs : undefined),
      10_000,
      "the handoff",
    );
    expect(handoffs[0]).toMatchObject({ from_agent: "A1", to_agents: ["A2"] });
  });

  it("follows the activity log incrementally: partial lines wait, a shrunk log is read again", async () => {
    const { repo, store, watcher } = await watched();
    const file = path.join(repo.stateDir, "agent_activity.jsonl");
    const initial = store.getState().activity.length;
    const entry = (n: number) => ({
      timestamp: `2025-12-06T10:00:0${n}.000Z`,
      agent: "A1",
      stream: "A",
      action: `step${n}`,
    });
    appendFileSync(file, line(entry(1)));
    await waitFor(
      () => (store.getState().activity.at(-1)?.action === "step1" ? true : undefined),
      10_000,
      "step1",
    );
    // Half a line: nothing new until its newline arrives.
    const second = line(entry(2));
    appendFileSync(file, second.slice(0, 20));
    await watcher.refresh("activity");
    expect(store.getState().activity.at(-1)?.action).toBe("step1");
    appendFileSync(file, second.slice(20));
    await waitFor(
      () => (store.getState().activity.at(-1)?.action === "step2" ? true : undefined),
      10_000,
      "step2",
    );
    // A broken line is skipped; the next one shows.
    appendFileSync(file, `not json\n${line(entry(4))}`);
    await waitFor(
      () => (store.getState().activity.at(-1)?.action === "step4" ? true : undefined),
      10_000,
      "step4",
    );
    const actions = store.getState().activity.map((e) => e.action);
    expect(actions.slice(initial)).toEqual(["step1", "step2", "step4"]);

    // Cleared and rewritten shorter: read from the start.
    truncateSync(file, 0);
    writeFileSync(file, line(entry(3)));
    await waitFor(
      () => {
        const all = store.getState().activity;
        return all.length === 1 && all[0]?.action === "step3" ? true : undefined;
      },
      10_000,
      "the log read again",
    );
  });

  it("reports a file broken beyond recovery and keeps the last good data", async () => {
    const { repo, store } = await watched();
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    await waitFor(() => store.getState().locks[0], 10_000, "the lock");
    const file = path.join(repo.stateDir, "file_locks.json");
    rmSync(`${file}.bak`, { force: true });
    writeFileSync(file, "{ this is not json");
    const problem = await waitFor(() => store.getState().problem, 10_000, "a problem");
    expect(problem).toContain("file_locks.json");
    expect(problem).toContain("no good copy to recover it from");
    expect(store.getState().locks.map((l) => l.path)).toEqual(["config/a.py"]);

    // Fixed by hand: the problem goes and the file's content shows.
    writeFileSync(file, JSON.stringify({ locks: {}, version: 1 }));
    await waitFor(
      () =>
        store.getState().problem === undefined && store.getState().locks.length === 0
          ? true
          : undefined,
      10_000,
      "the problem to clear",
    );
  });

  it("sees a write that follows another within chokidar's 50 ms change throttle", async () => {
    const { repo, store } = await watched();
    const file = path.join(repo.stateDir, "handoffs.json");
    const write = (n: number) =>
      writeFileSync(
        file,
        JSON.stringify({ handoffs: [{ from_agent: `A${n}`, to_agents: ["B1"], timestamp: "t" }] }),
      );
    // The gap between the two writes is the scenario itself, not a wait for a result.
    for (const [n, gapMs] of [
      [1, 30],
      [3, 45],
      [5, 55],
    ] as const) {
      write(n);
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      write(n + 1);
      await waitFor(
        () => (store.getState().handoffs[0]?.from_agent === `A${n + 1}` ? true : undefined),
        5_000,
        `the second write after ${gapMs} ms`,
      );
    }
  });

  it("reads a scope again on request, and resolves once the store has it", async () => {
    const { repo, store, watcher } = await watched();
    writeFileSync(
      path.join(repo.stateDir, "handoffs.json"),
      JSON.stringify({ handoffs: [{ from_agent: "A1", to_agents: ["B1"], timestamp: "t" }] }),
    );
    await watcher.refresh("handoffs");
    expect(store.getState().handoffs).toEqual([
      { from_agent: "A1", to_agents: ["B1"], timestamp: "t" },
    ]);
  });

  it("follows edits of streams.yaml: a new stream shows up, a broken plan is a problem naming its line, the last good plan stays", async () => {
    const { repo, store, project } = await watched();
    const planFile = path.join(repo.root, "streams.yaml");
    const ids = () => store.getState().status?.streams.map((x) => x.id) ?? [];

    writeFileSync(
      planFile,
      `${TEST_PLAN}  F:\n    name: Docs\n    depends_on: [B]\n    agents: [{ id: F1, task: "Guide" }]\n`,
    );
    await waitFor(() => (ids().includes("F") ? true : undefined), 10_000, "stream F in the status");
    expect(ids()).toEqual(["A", "B", "C", "D", "E", "F"]);
    expect(store.getState().status?.streams.find((x) => x.id === "F")).toMatchObject({
      status: "pending",
      waiting_for: ["B"],
    });
    expect(store.getState().flash?.text).toMatch(/streams\.yaml read again: 6 streams/);
    expect(project.plan.streams.map((x) => x.id)).toContain("F");

    // A mistake on line 32: reported with the file, line and column; F and the rest stay.
    // (Each write truncates the file first: a read in between sees part of it, a problem of its
    // own until the write's own change is read. The problem awaited is the whole file's.)
    const problemLike = (pattern: RegExp, what: string) =>
      waitFor(
        () => {
          const problem = store.getState().problem;
          return problem !== undefined && pattern.test(problem) ? problem : undefined;
        },
        10_000,
        () => `${what}; the problem is ${store.getState().problem}`,
      );
    writeFileSync(planFile, TEST_PLAN.replace("depends_on: [A]", "depends_on: [Z]"));
    const problem = await problemLike(/Z/, "the plan's problem");
    expect(problem).toContain("streams.yaml:32:18:");
    expect(problem).toMatch(/Z/);
    expect(problem).toContain("keeps the plan read before");
    expect(ids()).toContain("F");
    expect(project.plan.streams.map((x) => x.id)).toContain("F");

    // Fixed: the problem goes, and F with it (it is no longer in the plan).
    writeFileSync(planFile, TEST_PLAN);
    await waitFor(
      () => (store.getState().problem === undefined && !ids().includes("F") ? true : undefined),
      10_000,
      "the problem cleared and F gone",
    );

    // The state directory cannot move under a running control room.
    writeFileSync(
      planFile,
      TEST_PLAN.replace("lock_ttl: 60m", "lock_ttl: 60m\nstate_dir: elsewhere"),
    );
    const moved = await problemLike(/state_dir/, "the state_dir problem");
    expect(moved).toMatch(/state_dir now points to .*elsewhere; restart Tower/);
    expect(project.store.dir).toBe(repo.stateDir);

    // Key overrides apply on restart, and the flash says so.
    writeFileSync(planFile, `${TEST_PLAN}ui:\n  keys:\n    app.help: F\n`);
    await waitFor(
      () =>
        /ui\.keys apply when Tower restarts/.test(store.getState().flash?.text ?? "")
          ? true
          : undefined,
      10_000,
      "the restart note for ui.keys",
    );
    expect(store.getState().problem).toBeUndefined();
    // Read again with the same new keys (another edit): they still apply only at a restart.
    const before = store.getState().flash;
    writeFileSync(planFile, `${TEST_PLAN}ui:\n  keys:\n    app.help: F\n# edited again\n`);
    const again = await waitFor(
      () => {
        const flash = store.getState().flash;
        return flash !== before && flash?.text.includes("read again") ? flash.text : undefined;
      },
      10_000,
      "the plan read again",
    );
    expect(again).toMatch(/ui\.keys apply when Tower restarts/);
  });
});
