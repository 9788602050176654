/**
 * The task board through the built CLI: tasks.json written under its lock, each move logged,
 * refusals that say what would make the move possible, the next task offered after done, and
 * `tower complete` warning about tasks not done.
 */
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeRepo, readJson, readJsonlFile, type TempRepo, tower } from "../helpers/repo.js";

const PLAN = `version: 1
project: shop
agent: [sh, -c, "true"]
streams:
  A:
    name: API
    scope: ["src/**"]
    agents: [{ id: A1 }, { id: A2 }]
    tasks:
      - { id: api, title: Refund endpoint, priority: P0, agent: A1 }
      - { id: api-tests, title: Tests for refunds, priority: P1, depends_on: [api] }
      - { id: docs, title: Document refunds, priority: P3 }
  B:
    name: Billing
    scope: ["billing/**"]
    agents: [{ id: B1, task: Credits in billing }]
`;

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo({ plan: PLAN });
});
afterEach(() => repo.cleanup());

const as = (agent: string, ...args: string[]) => tower(repo.root, args, { TOWER_AGENT_ID: agent });

describe("tower task", () => {
  it("starts, finishes and offers the next task; refuses what is not the agent's to do", async () => {
    // The dependency is not done: refused, with what it waits for.
    const early = await as("A2", "task", "start", "api-tests");
    expect(early.code).toBe(3);
    expect(early.stderr).toContain('task "api-tests" cannot start yet: waiting for api (todo)');
    // api is A1's; B1 is another stream's agent.
    const other = await as("A2", "task", "start", "api");
    expect(other.code).toBe(3);
    expect(other.stderr).toContain('task "api" is assigned to A1, not A2');
    const foreign = await tower(repo.root, ["task", "start", "docs", "--agent", "B1"]);
    expect(foreign.code).toBe(3);
    expect(foreign.stderr).toContain("belongs to stream A, and B1 is an agent of stream B");
    const unknown = await as("A1", "task", "start", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown task "nope" (known: api, api-tests, docs, B1)');

    const started = await as("A1", "task", "start", "api", "--note", "on it");
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toBe("started api: Refund endpoint\n");
    // Started again by the same agent: nothing changes, nothing is logged.
    expect((await as("A1", "task", "start", "api")).stdout).toContain(
      "api was already in progress: nothing changed",
    );
    const done = await as("A1", "task", "done", "api");
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toBe(
      [
        "done api: Refund endpoint",
        "can start now: api-tests",
        "next for A1: api-tests (Tests for refunds, P1): tower task start api-tests",
        "",
      ].join("\n"),
    );

    const blocked = await as("A2", "task", "block", "docs", "--note", "needs the API freeze");
    expect(blocked.stdout).toBe("blocked docs: Document refunds (needs the API freeze)\n");
    // A person moves anyone's task, as human.
    expect((await as("human", "task", "start", "docs")).code).toBe(0);

    const file = (await readJson(path.join(repo.stateDir, "tasks.json"))) as {
      tasks: Record<string, Record<string, unknown>>;
      version: number;
    };
    expect(file.version).toBe(1);
    expect(file.tasks["api"]).toMatchObject({ status: "done", agent: "A1", note: "on it" });
    expect(file.tasks["api"]!["done_at"]).toEqual(expect.stringMatching(/Z$/));
    expect(file.tasks["docs"]).toMatchObject({ status: "in_progress", agent: "human" });
    expect(file.tasks["api-tests"]).toBeUndefined();

    const log = (await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"))).filter(
      (e) => String(e["action"]).startsWith("task_"),
    );
    expect(log.map((e) => [e["agent"], e["action"], e["task"], e["stream"]])).toEqual([
      ["A1", "task_started", "api", "A"],
      ["A1", "task_done", "api", "A"],
      ["A2", "task_blocked", "docs", "A"],
      ["human", "task_started", "docs", "A"],
    ]);
  });

  it("lets only one of two agents start the same task at the same time", async () => {
    await as("A1", "task", "done", "api");
    const [one, two] = await Promise.all([
      as("A1", "task", "start", "api-tests"),
      as("A2", "task", "start", "api-tests"),
    ]);
    expect([one.code, two.code].sort()).toEqual([0, 3]);
    const loser = one.code === 3 ? one : two;
    expect(loser.stderr).toMatch(/task "api-tests" is in progress by A[12]/);
  });
});

describe("tower tasks", () => {
  it("shows the board by stream, filtered by stream or agent, and as JSON", async () => {
    await as("A1", "task", "start", "api");
    const text = await tower(repo.root, ["tasks"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe(
      [
        "0 done, 1 in progress, 0 blocked, 3 to do",
        "",
        "A API",
        "  api [P0, in progress (A1)] Refund endpoint",
        "  api-tests [P1, todo, waits for api] Tests for refunds",
        "  docs [P3, todo] Document refunds",
        "",
        "B Billing",
        "  B1 [P2, todo (B1)] Credits in billing",
        "",
      ].join("\n"),
    );
    const mine = await tower(repo.root, ["tasks", "--agent", "A2"]);
    expect(mine.stdout).not.toContain("api [P0");
    expect(mine.stdout).toContain("docs [P3, todo]");
    const json = JSON.parse((await tower(repo.root, ["tasks", "--json", "--stream", "B"])).stdout);
    expect(Object.keys(json)).toEqual(["streams", "by_priority", "counts"]);
    expect(json.streams).toEqual([
      {
        stream: "B",
        name: "Billing",
        counts: { todo: 1, in_progress: 0, blocked: 0, done: 0 },
        tasks: [
          {
            id: "B1",
            title: "Credits in billing",
            stream: "B",
            priority: "P2",
            assignee: "B1",
            status: "todo",
            agent: null,
            depends_on: [],
            waiting_for: [],
            ready: true,
            note: null,
            updated: null,
            started_at: null,
            done_at: null,
          },
        ],
      },
    ]);
    const bad = await tower(repo.root, ["tasks", "--stream", "Z"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown stream "Z" (known: A, B)');
  });
});

describe("tower complete", () => {
  it("warns about the stream's tasks that are not done", async () => {
    expect((await tower(repo.root, ["start", "B"])).code).toBe(0);
    await as("B1", "task", "start", "B1");
    const open = await tower(repo.root, ["complete", "B"]);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stderr).toContain(
      "warning: B has 1 task not done (B1 in_progress): see `tower tasks --stream B`",
    );
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    for (const id of ["api", "api-tests", "docs"]) await as("human", "task", "done", id);
    const clean = await tower(repo.root, ["complete", "A"]);
    expect(clean.stderr).not.toContain("not done");
  });
});
