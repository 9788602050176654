/**
 * Which ignored files count as reproducible: the default list, the plan's `reproducible` list
 * (which replaces the default one), and the .gitignore-style matching. Tower's state link is not
 * a pattern: cleanup.ts tells it by what it is (test/integration/merge-cleanup.test.ts).
 */
import { describe, expect, it } from "vitest";
import { PlanError, parsePlan } from "../../src/engine/plan/index.js";
import {
  DEFAULT_REPRODUCIBLE,
  notReproducible,
  reproduciblePatterns,
} from "../../src/engine/reproducible.js";

const defaults = reproduciblePatterns(undefined);

describe("notReproducible", () => {
  it("keeps work, drops dependencies, builds and caches", () => {
    const entries = [
      ".env",
      "logs/run.log",
      "notes/todo.md",
      "node_modules/",
      "web/node_modules/",
      "dist/",
      "src/__pycache__/",
      "src/app.pyc",
      ".venv/",
      "target/",
      ".claude/state",
      ".claude/settings.local.json",
      ".tower/",
      ".tower/hooks.json",
      "data.db",
    ];
    // Nothing in Tower writes .claude/settings.local.json or .tower/: they are the user's. Nor is
    // a path Tower's for its name: a folder where the state link goes is the user's too.
    expect(notReproducible(entries, defaults)).toEqual([
      ".env",
      "logs/run.log",
      "notes/todo.md",
      ".claude/state",
      ".claude/settings.local.json",
      ".tower/",
      ".tower/hooks.json",
      "data.db",
    ]);
  });

  it("matches a pattern ending in / only against folders, at any depth unless it has another /", () => {
    expect(notReproducible(["build", "build/", "src/build/out.o"], ["build/"])).toEqual(["build"]);
    expect(notReproducible(["out/x", "src/out/x"], ["/out/"])).toEqual(["src/out/x"]);
    expect(notReproducible(["a/gen/x.ts", "b/gen/x.ts"], ["a/gen/"])).toEqual(["b/gen/x.ts"]);
    expect(notReproducible(["x.log", "deep/y.log", "z.txt"], ["*.log"])).toEqual(["z.txt"]);
    expect(notReproducible(["pkg/lib.egg-info/", "pkg/x"], ["*.egg-info/"])).toEqual(["pkg/x"]);
  });

  it("is the plan's list or the default one, and nothing else", () => {
    expect(reproduciblePatterns([])).toEqual([]);
    expect(reproduciblePatterns(["vendor/"])).toEqual(["vendor/"]);
    expect(reproduciblePatterns(undefined)).toEqual([...DEFAULT_REPRODUCIBLE]);
  });
});

describe("the plan's reproducible key", () => {
  const plan = (extra: string) =>
    `version: 1\n${extra}streams:\n  A: { name: a, agents: [{ id: A1, task: t }] }\n`;

  it("is the default list when absent, and replaces it when given", () => {
    expect(parsePlan(plan(""), "/r/streams.yaml").reproducible).toBeUndefined();
    expect(reproduciblePatterns(undefined)).toEqual([...DEFAULT_REPRODUCIBLE]);
    const given = parsePlan(plan('reproducible: ["*.log", "vendor/"]\n'), "/r/streams.yaml");
    expect(given.reproducible).toEqual(["*.log", "vendor/"]);
    expect(reproduciblePatterns(given.reproducible)).not.toContain("node_modules/");
  });

  it("refuses a negation, naming the file, line and what is valid", () => {
    try {
      parsePlan(plan('reproducible: ["dist/", "!keep.log"]\n'), "/r/streams.yaml");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PlanError);
      expect((error as Error).message).toContain(
        'streams.yaml:2:25: streams.yaml has "!keep.log" in reproducible, which starts with "!": negation is not supported',
      );
    }
  });
});
