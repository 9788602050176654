import { existsSync, promises as fsp, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJson, tower } from "../helpers/repo.js";

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(path.join(os.tmpdir(), "tower-demo-test-"));
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

describe("tower demo", () => {
  it("makes a throwaway repository with phase 1 started, twice, and --clean removes only it", async () => {
    const dir = path.join(parent, "demo");
    for (let i = 0; i < 2; i++) {
      const result = await tower(parent, ["demo", "--no-open", "--dir", dir]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(
        `demo repository: ${path.join(dir, "shop")} (started A, B, C)`,
      );
    }
    const state = (await readJson(
      path.join(dir, "shop/.claude/state/orchestrator_state.json"),
    )) as {
      streams: Record<string, { status: string }>;
    };
    expect(
      Object.fromEntries(Object.entries(state.streams).map(([id, s]) => [id, s.status])),
    ).toEqual({
      A: "in_progress",
      B: "in_progress",
      C: "in_progress",
    });
    const check = await tower(path.join(dir, "shop"), ["check"]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain("5 streams in 3 phases");
    // The fake agent of the plan runs from the built package.
    const plan = await fsp.readFile(path.join(dir, "shop/streams.yaml"), "utf8");
    expect(plan).toContain("fake-agent/main.js");

    const notDemo = path.join(parent, "mine");
    await fsp.mkdir(notDemo);
    const refused = await tower(parent, ["demo", "--clean", "--dir", notDemo]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("is not a Tower demo folder");
    expect(existsSync(notDemo)).toBe(true);

    const cleaned = await tower(parent, ["demo", "--clean", "--dir", dir]);
    expect(cleaned.stdout).toBe(`removed the demo at ${dir}\n`);
    expect(existsSync(dir)).toBe(false);
  });
});
