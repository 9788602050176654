import { describe, expect, it } from "vitest";
import { leavingNote } from "../../src/ui/run.js";

describe("what an attached control room says as it leaves", () => {
  it("a detach names the agents that go on, and how to return", () => {
    expect(leavingNote(false, ["A1", "B1"])).toBe(
      "[detached: A1, B1 go on; `tower attach` opens the room again]",
    );
    expect(leavingNote(false, [])).toBe(
      "[detached: no agent is running; `tower attach` opens the room again]",
    );
    // A room reached another way is opened again that way (over SSH).
    expect(leavingNote(false, ["A1"], "tower attach --ssh me@host:/work/shop")).toBe(
      "[detached: A1 goes on; `tower attach --ssh me@host:/work/shop` opens the room again]",
    );
  });

  it("a stop names the agents stopped with the server, and what stays", () => {
    expect(leavingNote(true, ["A1", "B1"])).toBe(
      "[stopped: A1, B1 and the room's server; worktrees, branches and commits stay]",
    );
    expect(leavingNote(true, [])).toBe(
      "[stopped: the room's server; worktrees, branches and commits stay]",
    );
  });
});
