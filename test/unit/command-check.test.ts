/** What a command from the wire must be before the room runs it (src/room/command-check.ts). */
import { describe, expect, it } from "vitest";
import { commandProblem } from "../../src/room/command-check.js";

describe("a command from the wire", () => {
  it("passes when each field is of its kind, optional ones left out", () => {
    expect(commandProblem({ type: "layout", cols: 120, rows: 40, zoomed: false })).toBeUndefined();
    expect(
      commandProblem({
        type: "layout",
        cols: 120,
        rows: 40,
        zoomed: true,
        selected: "A1",
        insert: true,
        panel: 6,
      }),
    ).toBeUndefined();
    expect(commandProblem({ type: "input", agent: "A1", data: "x\r" })).toBeUndefined();
    expect(
      commandProblem({ type: "copy", agent: "A1", action: { do: "move", lines: -3 } }),
    ).toBeUndefined();
    expect(
      commandProblem({
        type: "handoff",
        from: "A1",
        to: ["B1"],
        completedTasks: [],
        newInterfaces: [],
        breakingChanges: [],
        testStatus: "passing",
      }),
    ).toBeUndefined();
    expect(commandProblem({ type: "running" })).toBeUndefined();
  });

  it("names the field that is missing or of the wrong kind, and what it must be", () => {
    expect(commandProblem({ type: "layout", cols: "wide", rows: 40, zoomed: false })).toBe(
      'layout: "cols" must be a whole number of at least 1 (got "wide")',
    );
    expect(commandProblem({ type: "layout", cols: 0, rows: 40, zoomed: false })).toMatch(
      /^layout: "cols" must be a whole number of at least 1 \(got 0\)$/,
    );
    expect(commandProblem({ type: "layout", cols: 80.5, rows: 40, zoomed: false })).toMatch(
      /"cols" must be a whole number/,
    );
    expect(commandProblem({ type: "input", agent: "A1", data: 123 })).toBe(
      'input: "data" must be a string (got 123)',
    );
    expect(commandProblem({ type: "approve" })).toBe(
      'approve: "agent" must be a string (it is missing)',
    );
    expect(commandProblem({ type: "review.send", stream: "A", agent: "A1", ids: [1] })).toBe(
      'review.send: "ids" must be a list of strings (got [1])',
    );
    expect(commandProblem({ type: "copy", agent: "A1", action: null })).toBe(
      'copy: "action" must be an object (got null)',
    );
    expect(commandProblem({ type: "task.move", id: "api", action: "fly" })).toBe(
      'task.move: "action" must be one of start, done, block (got "fly")',
    );
  });

  it("checks the objects in a command: a copy action by what it does, a new agent, a comment", () => {
    // A search whose query was null once took the server down at its next frame.
    expect(
      commandProblem({
        type: "copy",
        agent: "A1",
        action: { do: "search", query: null, backward: false },
      }),
    ).toBe('copy: "action.query" must be a string (got null)');
    expect(commandProblem({ type: "copy", agent: "A1", action: { do: "explode" } })).toMatch(
      /^copy: "action\.do" must be one of enter, exit, move, .*, yank \(got "explode"\)$/,
    );
    expect(
      commandProblem({ type: "copy", agent: "A1", action: { do: "select", kind: "circle" } }),
    ).toBe('copy: "action.kind" must be one of block, line (got "circle")');
    expect(
      commandProblem({
        type: "copy",
        agent: "A1",
        action: { do: "search", query: "x", backward: true },
      }),
    ).toBeUndefined();
    expect(
      commandProblem({
        type: "agent.add",
        agent: { stream: "N", id: "N1", newStream: { name: "New", dependsOn: "A", scope: [] } },
      }),
    ).toBe('agent.add: "agent.newStream.dependsOn" must be a list of strings (got "A")');
    expect(commandProblem({ type: "agent.add", agent: { stream: "A", id: "A9" } })).toBeUndefined();
    expect(
      commandProblem({
        type: "review.comment",
        stream: "A",
        comment: { file: "x.ts", line: 0, side: "new", code: "", text: "why?" },
      }),
    ).toBe('review.comment: "comment.line" must be a whole number of at least 1 (got 0)');
  });

  it("refuses a number that is not finite anywhere in it (JSON reads 1e999 as Infinity)", () => {
    const wire = JSON.parse('{"type":"copy","agent":"A1","action":{"do":"page","pages":1e999}}');
    expect(commandProblem(wire)).toBe('copy: "action.pages" must be a finite number');
    expect(commandProblem(JSON.parse('{"type":"scroll","agent":"A1","lines":1e999}'))).toMatch(
      /"lines" must be a whole number/,
    );
  });

  it("refuses what is not a command, and a type the room does not have", () => {
    expect(commandProblem(null)).toBe('a command is an object with a string "type"');
    expect(commandProblem([])).toBe('a command is an object with a string "type"');
    expect(commandProblem({ type: 3 })).toBe('a command is an object with a string "type"');
    expect(commandProblem({ type: "frobnicate" })).toBe('the room has no command "frobnicate"');
    // Not a key of every object: the table's own properties only.
    expect(commandProblem({ type: "toString" })).toBe('the room has no command "toString"');
  });
});
