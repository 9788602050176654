import { describe, expect, it } from "vitest";
import {
  mergeOrder,
  type Plan,
  phases,
  type StreamStatus,
  startability,
} from "../../src/engine/plan/index.js";

/** A plan whose streams, in this order, have these dependencies. */
function planOf(deps: [id: string, dependsOn: string[]][]): Plan {
  return {
    file: "/repo/streams.yaml",
    root: "/repo",
    version: 1,
    project: "repo",
    worktrees: "..",
    branchPrefix: "feature/stream-",
    stateDir: ".claude/state",
    lockTtlMs: 60_000,
    agent: "claude {task}",
    validate: [],
    roles: [],
    checkpoints: [],
    warnings: [],
    uiKeys: {},
    uiNotify: [],
    nextTask: "ask",
    uiMouse: false,
    streams: deps.map(([id, dependsOn]) => ({
      id,
      name: id,
      dependsOn,
      requires: [],
      scope: [],
      scopeMode: "enforce",
      locks: "auto",
      agents: [],
      tasks: [],
    })),
  };
}

const example = planOf([
  ["A", []],
  ["B", []],
  ["C", []],
  ["D", []],
  ["E", ["A"]],
  ["F", ["A", "B"]],
  ["G", ["E", "F"]],
  ["H", ["C", "D", "G"]],
]);

describe("phases and merge order", () => {
  it("layers a diamond, keeping plan order inside a phase", () => {
    const diamond = planOf([
      ["D", ["B", "C"]],
      ["C", ["A"]],
      ["B", ["A"]],
      ["A", []],
    ]);
    expect(phases(diamond)).toEqual([["A"], ["C", "B"], ["D"]]);
    expect(mergeOrder(diamond)).toEqual(["A", "C", "B", "D"]);
  });

  it("puts each link of a chain in its own phase", () => {
    const chain = planOf([
      ["D", ["C"]],
      ["C", ["B"]],
      ["B", ["A"]],
      ["A", []],
    ]);
    expect(phases(chain)).toEqual([["A"], ["B"], ["C"], ["D"]]);
    expect(mergeOrder(chain)).toEqual(["A", "B", "C", "D"]);
  });

  it("places a stream after the latest of its dependencies", () => {
    expect(phases(example)).toEqual([["A", "B", "C", "D"], ["E", "F"], ["G"], ["H"]]);
    expect(mergeOrder(example)).toEqual(["A", "B", "C", "D", "E", "F", "G", "H"]);
    expect(phases(planOf([]))).toEqual([]);
  });

  it("refuses a cyclic plan built by hand", () => {
    const cyclic = planOf([
      ["A", []],
      ["B", ["C"]],
      ["C", ["B"]],
    ]);
    expect(() => phases(cyclic)).toThrow(
      "cannot order streams, unknown or cyclic dependencies: B (depends on C); C (depends on B)",
    );
  });
});

describe("startability", () => {
  const byId = (statuses: Record<string, StreamStatus>) =>
    Object.fromEntries(startability(example, statuses).map((s) => [s.id, s]));

  it("lets streams without dependencies start when nothing has run", () => {
    const result = startability(example, {});
    expect(result.filter((s) => s.canStart).map((s) => s.id)).toEqual(["A", "B", "C", "D"]);
    expect(result.find((s) => s.id === "G")).toEqual({
      id: "G",
      canStart: false,
      waitingFor: [
        { id: "E", status: "pending" },
        { id: "F", status: "pending" },
      ],
      reason: "G cannot start: waiting for E (pending), F (pending)",
    });
  });

  it("waits until every dependency is completed or merged", () => {
    const s = byId({ A: "in_progress", B: "merged" });
    expect(s["E"]).toEqual({
      id: "E",
      canStart: false,
      waitingFor: [{ id: "A", status: "in_progress" }],
      reason: "E cannot start: waiting for A (in_progress)",
    });
    expect(s["F"]?.reason).toBe("F cannot start: waiting for A (in_progress)");

    const later = byId({ A: "completed", B: "merged", C: "merge_failed", D: "merged" });
    expect(later["E"]).toEqual({ id: "E", canStart: true, waitingFor: [] });
    expect(later["F"]?.canStart).toBe(true);
    expect(later["H"]?.reason).toBe("H cannot start: waiting for C (merge_failed), G (pending)");
  });

  it("does not start a stream that is no longer pending", () => {
    const s = byId({ A: "in_progress", B: "completed", C: "merged" });
    expect(s["A"]).toMatchObject({
      canStart: false,
      reason: "A cannot start: already in_progress",
    });
    expect(s["B"]?.reason).toBe("B cannot start: already completed");
    expect(s["C"]?.reason).toBe("C cannot start: already merged");
    expect(s["D"]).toEqual({ id: "D", canStart: true, waitingFor: [] });
  });
});
