/** The task board as a pure function of the plan and tasks.json, and the task offered next. */
import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/engine/plan/index.js";
import type { TasksFile } from "../../src/engine/state/formats.js";
import { nextTask, openTasks, taskBoard } from "../../src/engine/tasks/index.js";

const plan = parsePlan(
  [
    "version: 1",
    "streams:",
    "  A:",
    "    name: Alpha",
    '    scope: ["a/**"]',
    "    agents: [{ id: A1 }, { id: A2 }]",
    "    tasks:",
    "      - { id: docs, title: Document it, priority: P2 }",
    "      - { id: api, title: Build the API, priority: P0, agent: A1 }",
    "      - { id: tests, title: Test the API, priority: P0, depends_on: [api] }",
    "      - { id: mine, title: A2's own, priority: P1, agent: A2 }",
    "      - { id: any1, title: Anyone's, priority: P1 }",
    "  B:",
    "    name: Beta",
    '    scope: ["b/**"]',
    "    agents: [{ id: B1, task: build b }]",
  ].join("\n"),
  "/repo/streams.yaml",
);

const state = (tasks: TasksFile["tasks"]): TasksFile => ({ tasks, version: 1 });

describe("taskBoard", () => {
  it("joins the plan's tasks with their state, by stream and by priority", () => {
    const board = taskBoard(
      plan,
      state({
        api: { status: "done", agent: "A1", done_at: "2025-01-01T10:00:00Z" },
        docs: { status: "blocked", agent: "A2", note: "waiting for the API freeze" },
        // A task the plan no longer has is not shown.
        gone: { status: "in_progress", agent: "A1" },
      }),
    );
    expect(board.counts).toEqual({ todo: 4, in_progress: 0, blocked: 1, done: 1 });
    expect(board.streams.map((s) => [s.stream, s.tasks.map((t) => t.id), s.counts.todo])).toEqual([
      ["A", ["docs", "api", "tests", "mine", "any1"], 3],
      ["B", ["B1"], 1],
    ]);
    expect(board.by_priority.map((g) => [g.priority, g.tasks.map((t) => t.id)])).toEqual([
      ["P0", ["api", "tests"]],
      ["P1", ["mine", "any1"]],
      ["P2", ["docs", "B1"]],
    ]);
    const docs = board.streams[0]!.tasks[0]!;
    expect(docs).toMatchObject({
      status: "blocked",
      agent: "A2",
      assignee: null,
      note: "waiting for the API freeze",
      ready: false,
    });
    expect(board.streams[0]!.tasks[2]).toMatchObject({ id: "tests", ready: true, waiting_for: [] });
  });

  it("shows what a task waits for until its dependencies are done", () => {
    const tests = taskBoard(plan, state({})).streams[0]!.tasks[2]!;
    expect(tests).toMatchObject({ status: "todo", waiting_for: ["api"], ready: false });
  });
});

describe("nextTask", () => {
  it("offers the most urgent ready task the agent may take, its own before the stream's", () => {
    expect(nextTask(plan, state({}), "A1")?.id).toBe("api");
    // A2 may not take api (A1's), and tests waits for api: its own P1 comes before anyone's P1.
    expect(nextTask(plan, state({}), "A2")?.id).toBe("mine");
    const apiDone = state({ api: { status: "done", agent: "A1" } });
    expect(nextTask(plan, apiDone, "A1")?.id).toBe("tests");
    expect(nextTask(plan, apiDone, "A2")?.id).toBe("tests");
  });

  it("skips tasks in progress, blocked or done, and knows no task for an unknown agent", () => {
    const file = state({
      api: { status: "done", agent: "A1" },
      tests: { status: "in_progress", agent: "A2" },
      any1: { status: "blocked", agent: "A2" },
    });
    expect(nextTask(plan, file, "A1")?.id).toBe("docs");
    expect(nextTask(plan, file, "Z9")).toBeUndefined();
    expect(nextTask(plan, state({ B1: { status: "done" } }), "B1")).toBeUndefined();
  });

  it("lists a stream's open tasks, once the stream uses the board", () => {
    expect(openTasks(plan, state({}), "A").map((t) => t.id)).toEqual([
      "docs",
      "api",
      "tests",
      "mine",
      "any1",
    ]);
    expect(openTasks(plan, state({ B1: { status: "done" } }), "B")).toEqual([]);
    expect(openTasks(plan, state({ B1: { status: "in_progress" } }), "B").map((t) => t.id)).toEqual(
      ["B1"],
    );
    // An agent's own task that nobody moved: the plan does not use the board there.
    expect(openTasks(plan, state({}), "B")).toEqual([]);
  });
});
