/** Tower's briefing of an agent: what it says of the others in the stream's worktree. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { briefing } from "../../src/agents/briefing.js";
import { parsePlan } from "../../src/engine/plan/index.js";
import { StateStore } from "../../src/engine/state/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const plan = parsePlan(
  [
    "version: 1",
    "streams:",
    "  A:",
    "    name: Api",
    "    agents: [{ id: A1, task: Build }, { id: A2, task: Test }]",
    "  B:",
    "    name: Docs",
    "    agents: [{ id: B1, task: Write }]",
  ].join("\n"),
  "streams.yaml",
);

async function of(agent: string, stream: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-briefing-"));
  dirs.push(dir);
  const store = new StateStore(dir);
  return briefing(
    plan,
    store,
    { agent, stream, worktree: "/w", repoRoot: "/r", stateDir: dir, task: "t" },
    { mcp: true },
  );
}

describe("the briefing", () => {
  it("tells an agent sharing its stream's worktree to leave the others' changes alone, and where lost work is", async () => {
    const text = await of("A1", "A");
    expect(text).toContain(
      "A2 works in this worktree too: never throw away changes you did not make (git checkout ., git reset --hard, git stash, git clean). Uncommitted work lost all the same is in `tower snapshots A`.",
    );
    expect(await of("B1", "B")).not.toContain("works in this worktree too");
  });
});
