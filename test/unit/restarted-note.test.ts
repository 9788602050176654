import { describe, expect, it } from "vitest";
import { restartedNote } from "../../src/server/host.js";

describe("what a new server says of the agents it restarted", () => {
  it("one agent or several, resumed or afresh", () => {
    expect(restartedNote(["A1"], true)).toBe(
      "restarted A1: the server before this one stopped; its conversation resumes where the agent can",
    );
    expect(restartedNote(["A1", "B1"], true)).toBe(
      "restarted A1, B1: the server before this one stopped; their conversations resume where each agent can",
    );
    expect(restartedNote(["A1"], false)).toBe(
      "restarted A1: the server before this one stopped; it starts afresh (--no-resume)",
    );
    expect(restartedNote(["A1", "B1"], false)).toBe(
      "restarted A1, B1: the server before this one stopped; they start afresh (--no-resume)",
    );
  });
});
