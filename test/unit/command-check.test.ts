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
