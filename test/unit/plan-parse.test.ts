import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  formatIssue,
  loadPlan,
  PlanError,
  PlanNotFoundError,
  parsePlan,
} from "../../src/engine/plan/index.js";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/plans/${name}`, import.meta.url));

describe("parsePlan", () => {
  it("fills in the defaults", async () => {
    const file = fixture("minimal.yaml");
    const plan = await loadPlan(file);
    expect(plan).toMatchObject({
      file,
      root: dirname(file),
      version: 1,
      project: "plans",
      worktrees: "..",
      branchPrefix: "feature/stream-",
      stateDir: ".claude/state",
      lockTtlMs: 3_600_000,
      agent: "claude {task}",
      validate: [],
      checkpoints: [],
      warnings: [],
    });
    expect("base" in plan).toBe(false);
  });

  it("keeps the file order of streams, even for integer-like ids", async () => {
    const plan = await loadPlan(fixture("minimal.yaml"));
    expect(plan.streams.map((s) => s.id)).toEqual(["2", "1"]);
    expect(plan.streams[1]).toEqual({
      id: "1",
      name: "First id, last in the file",
      dependsOn: ["2"],
      requires: [],
      scope: ["one/**"],
      scopeMode: "enforce",
      locks: "auto",
      agents: [{ id: "one", stream: "1", task: "first", command: "claude {task}" }],
      // An agent's task: is its own one-task board.
      tasks: [
        {
          id: "one",
          stream: "1",
          title: "first",
          priority: "P2",
          agent: "one",
          dependsOn: [],
          implicit: true,
        },
      ],
    });
  });

  it("reads every key", () => {
    const plan = parsePlan(
      [
        "version: 1",
        "project: bot",
        "base: develop",
        "worktrees: ../wt",
        "branch_prefix: tower/",
        "state_dir: .tower",
        "lock_ttl: 1h30m",
        "agent: [claude, -p, '{task}']",
        "locks: advisory",
        "scope_mode: warn",
        "validate: [npm test]",
        "checkpoints:",
        "  review: { approval: human }",
        "  gate: { depends_on: [review] }",
        "  tests: { depends_on: [gate], run: npm test }",
        "streams:",
        "  A:",
        "    name: Alpha",
        "    scope: [src/**]",
        "    requires: [review]",
        "    agents:",
        "      - { id: A1, task: one }",
        '      - { id: A2, task: two, agent: "aider --message {task}", preset: aider }',
        "  B:",
        "    name: Beta",
        "    scope_mode: enforce",
        "    locks: off",
        "    agents: [{ id: B1, task: three }]",
      ].join("\n"),
      "/repo/streams.yaml",
    );
    expect(plan).toMatchObject({
      root: "/repo",
      project: "bot",
      base: "develop",
      worktrees: "../wt",
      branchPrefix: "tower/",
      stateDir: ".tower",
      lockTtlMs: 90 * 60_000,
      agent: ["claude", "-p", "{task}"],
      validate: ["npm test"],
    });
    expect(plan.checkpoints).toEqual([
      { id: "review", dependsOn: [], after: [], approval: "human", auto: false },
      { id: "gate", dependsOn: ["review"], after: [], auto: false },
      { id: "tests", dependsOn: ["gate"], after: [], run: "npm test", auto: false },
    ]);
    expect(plan.streams[0]?.requires).toEqual(["review"]);
    // The plan's modes, unless the stream sets its own.
    expect(plan.streams.map((s) => [s.scopeMode, s.locks])).toEqual([
      ["warn", "advisory"],
      ["enforce", "off"],
    ]);
    expect(plan.streams[0]?.agents).toEqual([
      { id: "A1", stream: "A", task: "one", command: ["claude", "-p", "{task}"] },
      { id: "A2", stream: "A", task: "two", command: "aider --message {task}", preset: "aider" },
    ]);
  });
});

describe("warnings", () => {
  const plan = (agent: string, stream: string[] = ['    scope: ["src/**"]']) =>
    parsePlan(
      [
        "version: 1",
        `agent: ${agent}`,
        "streams:",
        "  A:",
        "    name: Alpha",
        ...stream,
        "    agents: [{ id: A1, task: go }]",
      ].join("\n"),
      "/repo/streams.yaml",
    );

  /** The plan's errors, formatted (none: the plan loads). */
  const errors = (agent: string): string[] => {
    try {
      plan(agent);
      return [];
    } catch (error) {
      if (!(error instanceof PlanError)) throw error;
      return error.issues.map(formatIssue);
    }
  };
  const quoted = (name: string) =>
    `placeholder {${name}} is inside quotes in agent command: it is replaced by an already shell-quoted value, and inside quotes that quoting is undone (a task holding $(...) or a quote would run as code), so write {${name}} without quotes`;

  it("refuses a placeholder inside quotes in a string command: a task would run as code", () => {
    expect(errors(`'claude "{task}"'`)).toEqual([`streams.yaml:2:8: ${quoted("task")}`]);
    expect(errors(`"claude --cwd {worktree} -p '{task}'"`)).toEqual([
      `streams.yaml:2:8: ${quoted("task")}`,
    ]);
    expect(errors(`"claude '{agent}' \\"{task}\\""`)).toHaveLength(2);
  });

  it("refuses a placeholder inside quotes in a shell's -c script of a list command", () => {
    expect(errors(`[sh, -c, 'echo "{task}"']`)).toEqual([`streams.yaml:2:17: ${quoted("task")}`]);
    expect(errors(`[bash, -ec, "echo '{task}'"]`)).toHaveLength(1);
    expect(errors(`[/usr/bin/env, FOO=1, sh, -c, 'echo "{task}"']`)).toHaveLength(1);
    // Not a shell's script: an argument of its own, passed as it is.
    expect(errors(`[claude, "'{task}'"]`)).toEqual([]);
    expect(errors(`[sh, script.sh, "'{task}'"]`)).toEqual([]);
    expect(errors(`[sh, -c, 'echo "$1"', sh, "{task}"]`)).toEqual([]);
  });

  it("does not warn for unquoted placeholders, argv lists or shell variables", () => {
    expect(plan("claude {task}").warnings).toEqual([]);
    expect(plan(`"sh -c 'echo hi' && claude {task}"`).warnings).toEqual([]);
    expect(plan(`'claude --home "\${HOME}" {task}'`).warnings).toEqual([]);
    expect(plan(`[claude, "'{task}'"]`).warnings).toEqual([]);
  });

  it("warns about a stream with no scope", () => {
    expect(plan("claude {task}", []).warnings.map(formatIssue)).toEqual([
      'streams.yaml:4:3: stream "A" has no scope: list the globs it may change, e.g. scope: ["src/**"]',
    ]);
  });
});

describe("loadPlan", () => {
  it("says how to create a missing streams.yaml", async () => {
    const missing = fixture("nowhere/streams.yaml");
    const error = await loadPlan(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanNotFoundError);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as Error).message).toBe(
      `streams.yaml not found at ${missing}: run \`tower init\` to create one`,
    );
  });
});
