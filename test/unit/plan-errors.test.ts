import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PlanError, parsePlan } from "../../src/engine/plan/index.js";
import { validBranchPrefix } from "../../src/engine/plan/places.js";

const FILE = "/repo/streams.yaml";
const ID_HELP =
  'ids must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$: a letter or digit, then up to 63 letters, digits, "_" or "-"';

/** The lines of the PlanError thrown for a file made of `lines`. */
function errors(...lines: string[]): string[] {
  try {
    parsePlan(`${lines.join("\n")}\n`, FILE);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    expect(error.issues.every((i) => i.severity === "error")).toBe(true);
    return error.message.split("\n");
  }
  throw new Error("expected parsePlan to throw a PlanError");
}

/** A valid one-stream plan after the given top-level lines. */
const streamA = [
  "streams:",
  "  A:",
  "    name: Alpha",
  '    scope: ["src/**"]',
  "    agents:",
  "      - { id: A1, task: build it }",
];

describe("YAML syntax errors", () => {
  it("reports an unclosed flow map at its position", () => {
    expect(errors("version: 1", "streams:", "  A: { name: Alpha", "  B: x")).toEqual([
      "streams.yaml:4:3: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }",
    ]);
  });

  it("reports tabs used as indentation", () => {
    expect(errors("version: 1", "streams:", "\tA: x")).toEqual([
      "streams.yaml:3:1: YAML syntax error: Tabs are not allowed as indentation",
    ]);
  });

  it("reports a duplicate key by name", () => {
    expect(errors("version: 1", ...streamA, "  A:", "    name: again")).toEqual([
      'streams.yaml:8:3: duplicate key "A" (each key may appear only once in a map)',
    ]);
  });

  it("reports an alias to an undefined anchor", () => {
    expect(errors("version: 1", "streams:", "  A:", "    name: *alpha")).toEqual([
      "streams.yaml:4:11: YAML error: Unresolved alias (the anchor must be set before the alias): alpha",
    ]);
  });

  it("reports an empty file or a file that is not a map", () => {
    expect(errors("")).toEqual([
      "streams.yaml:1:1: streams.yaml must be a map with version and streams, got nothing",
    ]);
    expect(errors("- A", "- B")).toEqual([
      "streams.yaml:1:1: streams.yaml must be a map with version and streams, got a list",
    ]);
  });
});

describe("unknown keys", () => {
  it("at the top level, listing the valid keys", () => {
    expect(errors("version: 1", "bsae: main", ...streamA)).toEqual([
      'streams.yaml:2:1: unknown key "bsae" (valid: version, project, base, worktrees, branch_prefix, state_dir, lock_ttl, agent, locks, scope_mode, validate, reproducible, roles, checkpoints, next_task, notify, ui, streams)',
    ]);
  });

  it("in a stream", () => {
    const lines = ["version: 1", ...streamA];
    lines[3] = "    nmae: Alpha";
    expect(errors(...lines)).toEqual([
      'streams.yaml:3:3: stream "A": missing required key "name" (must be a non-empty string)',
      'streams.yaml:4:5: stream "A": unknown key "nmae" (valid: name, scope, scope_mode, locks, depends_on, requires, agents, tasks)',
    ]);
  });

  it("in an agent", () => {
    const lines = ["version: 1", ...streamA];
    lines[6] = "      - { id: A1, task: build it, model: opus }";
    expect(errors(...lines)).toEqual([
      'streams.yaml:7:35: agent "A1" in stream "A": unknown key "model" (valid: id, task, role, agent, preset)',
    ]);
  });

  it("in a checkpoint", () => {
    expect(
      errors("version: 1", "checkpoints:", "  review: { approval: human, by: alice }", ...streamA),
    ).toEqual([
      'streams.yaml:3:30: checkpoint "review": unknown key "by" (valid: depends_on, after, approval, run, criteria, auto)',
    ]);
  });
});

describe("ids", () => {
  it("rejects bad stream, agent and checkpoint ids", () => {
    expect(
      errors(
        "version: 1",
        "checkpoints:",
        "  _review: {}",
        "streams:",
        "  my stream:",
        "    name: Alpha",
        '    scope: ["src/**"]',
        "    agents:",
        "      - { id: -A1, task: build it }",
      ),
    ).toEqual([
      `streams.yaml:3:3: "_review" is not a valid checkpoint id (${ID_HELP})`,
      `streams.yaml:5:3: "my stream" is not a valid stream id (${ID_HELP})`,
      `streams.yaml:9:15: agent #1 in stream "my stream": id "-A1" is not a valid id (${ID_HELP})`,
    ]);
  });

  it("rejects an agent id used twice, naming the stream of the first", () => {
    expect(
      errors(
        "version: 1",
        ...streamA,
        "  B:",
        "    name: Beta",
        '    scope: ["lib/**"]',
        "    agents:",
        "      - { id: B1, task: other }",
        "      - { id: A1, task: again }",
      ),
    ).toEqual([
      'streams.yaml:13:15: stream "B": agent id "A1" is already used in stream "A" (agent ids must be unique across the plan)',
    ]);
  });
});

describe("references", () => {
  it("reports unknown depends_on, requires and checkpoint depends_on, listing what exists", () => {
    expect(
      errors(
        "version: 1",
        "checkpoints:",
        "  review: { approval: human }",
        "  done: { depends_on: [review, reveiw] }",
        "streams:",
        "  A:",
        "    name: Alpha",
        '    scope: ["src/**"]',
        "    agents: [{ id: A1, task: build it }]",
        "  B:",
        "    name: Beta",
        '    scope: ["lib/**"]',
        "    depends_on: [A, Z]",
        "    requires: [review, qa]",
        "    agents: [{ id: B1, task: other }]",
      ),
    ).toEqual([
      'streams.yaml:4:32: checkpoint "done" depends on unknown checkpoint "reveiw" (known: review, done)',
      'streams.yaml:13:21: stream "B" depends on unknown stream "Z" (known: A, B)',
      'streams.yaml:14:24: stream "B" requires unknown checkpoint "qa" (known: review, done)',
    ]);
  });

  it("says when there are no checkpoints at all", () => {
    const lines = ["version: 1", ...streamA];
    lines.splice(5, 0, "    requires: [review]");
    expect(errors(...lines)).toEqual([
      'streams.yaml:6:16: stream "A" requires unknown checkpoint "review" (known: none; define it under checkpoints)',
    ]);
  });

  it("reports a stream depending on itself", () => {
    const lines = ["version: 1", ...streamA];
    lines.splice(5, 0, "    depends_on: [A]");
    expect(errors(...lines)).toEqual(['streams.yaml:6:18: stream "A" depends on itself']);
  });
});

/** A stream C-like block with the given depends_on, on five lines. */
function stream(id: string, dependsOn: string): string[] {
  return [
    `  ${id}:`,
    `    name: Stream ${id}`,
    `    scope: ["${id}/**"]`,
    `    depends_on: [${dependsOn}]`,
    `    agents: [{ id: ${id}1, task: work }]`,
  ];
}

describe("dependency cycles", () => {
  it("reports a stream cycle with its path where it closes", () => {
    expect(
      errors(
        "version: 1",
        "streams:",
        ...stream("A", "C"),
        ...stream("B", "A"),
        ...stream("C", "B"),
      ),
    ).toEqual(["streams.yaml:11:18: dependency cycle A -> C -> B -> A"]);
  });

  it("reports each distinct cycle once", () => {
    expect(
      errors(
        "version: 1",
        "streams:",
        ...stream("A", "B"),
        ...stream("B", "A, C, A"),
        ...stream("C", "B"),
        ...stream("D", "C"),
      ),
    ).toEqual([
      "streams.yaml:11:18: dependency cycle A -> B -> A",
      "streams.yaml:16:18: dependency cycle B -> C -> B",
    ]);
  });

  it("reports a checkpoint cycle", () => {
    expect(
      errors(
        "version: 1",
        "checkpoints:",
        "  a: { depends_on: [b] }",
        "  b: { depends_on: [a] }",
        "  c: { depends_on: [c] }",
        ...streamA,
      ),
    ).toEqual([
      "streams.yaml:4:21: checkpoint dependency cycle a -> b -> a",
      'streams.yaml:5:21: checkpoint "c" depends on itself',
    ]);
  });
});

describe("values", () => {
  it("rejects a bad lock_ttl, listing valid forms", () => {
    const help =
      "use whole numbers with units h, m, s in that order, e.g. 90s, 30m, 1h, 1h30m; it must be more than zero";
    expect(errors("version: 1", "lock_ttl: 10x", ...streamA)).toEqual([
      `streams.yaml:2:11: lock_ttl "10x" is not a valid duration (${help})`,
    ]);
    expect(errors("version: 1", "lock_ttl: 0m", ...streamA)).toEqual([
      `streams.yaml:2:11: lock_ttl "0m" is not a valid duration (${help})`,
    ]);
    expect(errors("version: 1", "lock_ttl: 60", ...streamA)).toEqual([
      "streams.yaml:2:11: lock_ttl must be a duration such as 90s, 30m, 1h or 1h30m, got 60",
    ]);
  });

  it("refuses a lock_ttl too long to be a lock's life, with the valid range", () => {
    for (const ttl of ["721h", "99999999h", "99999999999999999h"]) {
      expect(errors("version: 1", `lock_ttl: ${ttl}`, ...streamA)).toEqual([
        `streams.yaml:2:11: lock_ttl "${ttl}" is out of range (valid: between 1s and 720h, that is 30 days)`,
      ]);
    }
  });

  it("refuses a project name that is not a folder name", () => {
    for (const [value, col] of [
      ['"../x"', 10],
      ['"a/b"', 10],
      ['"."', 10],
      ['"-x"', 10],
    ] as const) {
      expect(errors("version: 1", `project: ${value}`, ...streamA)).toEqual([
        `streams.yaml:2:${col}: project ${value} is not a valid project name (valid: letters, digits, ".", "_" and "-", starting with a letter or digit, up to 64 characters; it names the worktrees <project>-stream-<ID>)`,
      ]);
    }
  });

  it("refuses a worktrees folder that is the filesystem root, the repository or inside .git", () => {
    expect(errors("version: 1", "worktrees: /", ...streamA)).toEqual([
      'streams.yaml:2:12: worktrees "/" is the filesystem root (valid: a folder for the stream worktrees, relative to the repository root, such as .. or ../worktrees)',
    ]);
    expect(errors("version: 1", "worktrees: ../../../../..", ...streamA)).toEqual([
      'streams.yaml:2:12: worktrees "../../../../.." is the filesystem root (valid: a folder for the stream worktrees, relative to the repository root, such as .. or ../worktrees)',
    ]);
    expect(errors("version: 1", "worktrees: .", ...streamA)).toEqual([
      'streams.yaml:2:12: worktrees "." is the repository itself (valid: a folder for the stream worktrees, relative to the repository root, such as .. or ../worktrees)',
    ]);
    expect(errors("version: 1", "worktrees: .git/trees", ...streamA)).toEqual([
      'streams.yaml:2:12: worktrees ".git/trees" is inside the repository\'s .git folder (valid: a folder for the stream worktrees, relative to the repository root, such as .. or ../worktrees)',
    ]);
  });

  const STATE_DIR_VALID =
    "(valid: a folder inside the repository that holds none of its files, relative to its root, without any of * ? [ ] \\ or control characters, such as .claude/state; TOWER_STATE_DIR can put it elsewhere)";

  it("refuses a state_dir outside the repository, at its root or inside .git", () => {
    const valid = STATE_DIR_VALID;
    for (const [value, what] of [
      ["/etc/tower", "is an absolute path"],
      ["../state", "leads outside the repository"],
      ["a/../../state", "leads outside the repository"],
      [".", "is the repository root itself"],
      [".git/state", "is inside the repository's .git folder"],
    ]) {
      expect(errors("version: 1", `state_dir: ${value}`, ...streamA)).toEqual([
        `streams.yaml:2:12: state_dir "${value}" ${what} ${valid}`,
      ]);
    }
  });

  it("refuses a state_dir with characters git's ignore rules read as a pattern, or a control character", () => {
    // Tower lists the state folder in .git/info/exclude: "s*" there would hide src/ and scripts/.
    const glob =
      "which .git/info/exclude (where Tower lists its state folder) would read as a pattern";
    for (const [value, written, what] of [
      ["s*", '"s*"', `has "*", ${glob}`],
      ["state?", '"state?"', `has "?", ${glob}`],
      ["[ab]/state", '"[ab]/state"', `has "[", ${glob}`],
      ["a]b", '"a]b"', `has "]", ${glob}`],
      ["a\\b", '"a\\\\b"', `has "\\\\", ${glob}`],
      ["a\nb", '"a\\nb"', "has a control character"],
    ]) {
      expect(errors("version: 1", `state_dir: ${JSON.stringify(value)}`, ...streamA)).toEqual([
        `streams.yaml:2:12: state_dir ${written} ${what} ${STATE_DIR_VALID}`,
      ]);
    }
  });

  it("refuses a branch_prefix that cannot start a git branch name", () => {
    const valid =
      '(valid: letters, digits and "/", "-", "_", "."; not starting with "-", "/" or ".", and without "..", "//", "@{", "/.", ".lock/", spaces or any of ~^:?*[\\)';
    for (const value of [
      "feature..x/",
      "-x",
      "a b/",
      "/x",
      "a//b",
      "x.lock/",
      "a/.b",
      "x@{",
      "x~",
      "x:",
    ]) {
      expect(errors("version: 1", `branch_prefix: "${value}"`, ...streamA)).toEqual([
        `streams.yaml:2:16: branch_prefix "${value}" would not make valid git branch names ${valid}`,
      ]);
    }
    expect(() =>
      parsePlan(["version: 1", "branch_prefix: team/x.y_", ...streamA].join("\n"), FILE),
    ).not.toThrow();
    expect(() =>
      parsePlan(["version: 1", 'branch_prefix: ""', ...streamA].join("\n"), FILE),
    ).not.toThrow();
  });

  it("judges branch prefixes as git check-ref-format --branch does", () => {
    const prefixes = [
      "feature/stream-",
      "",
      "team/x.y_",
      "a.b/",
      "feature..x/",
      "-x",
      "a b/",
      "/x",
      "a//b",
    ];
    for (const prefix of [
      ...prefixes,
      "x.lock/",
      "a/.b",
      "x@{",
      "x~",
      "x:",
      "x?",
      "x*",
      "x[",
      "x\\",
      ".x",
    ]) {
      const byGit = spawnSync("git", ["check-ref-format", "--branch", `${prefix}A-foundation`]);
      expect(validBranchPrefix(prefix), prefix).toBe(byGit.status === 0);
    }
  });

  it("reports a stream or checkpoint named __proto__ as a bad id, not silently dropped", () => {
    expect(
      errors(
        "version: 1",
        "checkpoints:",
        "  __proto__: {}",
        "streams:",
        "  __proto__:",
        "    name: Alpha",
        '    scope: ["src/**"]',
        "    agents:",
        "      - { id: P1, task: build it }",
      ),
    ).toEqual([
      `streams.yaml:3:3: "__proto__" is not a valid checkpoint id (${ID_HELP})`,
      `streams.yaml:5:3: "__proto__" is not a valid stream id (${ID_HELP})`,
    ]);
  });

  it("requires version 1", () => {
    expect(errors("version: 2", ...streamA)).toEqual([
      "streams.yaml:1:10: version must be 1, got 2",
    ]);
    expect(errors('version: "1"', ...streamA)).toEqual([
      'streams.yaml:1:10: version must be 1, got "1"',
    ]);
    expect(errors(...streamA)).toEqual([
      'streams.yaml:1:1: missing required key "version" (must be 1)',
    ]);
  });

  it("reports missing name, agents and task", () => {
    expect(errors("version: 1", "streams:", "  A:", '    scope: ["src/**"]')).toEqual([
      'streams.yaml:3:3: stream "A": missing required key "name" (must be a non-empty string)',
      'streams.yaml:3:3: stream "A": missing required key "agents" (must be a non-empty list of agents, each a map with id and task)',
    ]);
    const lines = ["version: 1", ...streamA];
    lines[6] = "      - { id: A1 }";
    expect(errors(...lines)).toEqual([
      'streams.yaml:7:9: agent "A1" in stream "A": missing required key "task" (must be a non-empty string, or give stream "A" a tasks: list)',
    ]);
    expect(errors("version: 1")).toEqual([
      'streams.yaml:1:1: missing required key "streams" (must be a map of stream id -> stream)',
    ]);
  });

  it("reports empty values where something is required", () => {
    expect(
      errors(
        "version: 1",
        "streams:",
        "  A:",
        "    name:",
        '    scope: ["src/**"]',
        "    agents: []",
      ),
    ).toEqual([
      'streams.yaml:4:5: stream "A": name must be a non-empty string, got nothing',
      'streams.yaml:6:13: stream "A": agents must be a non-empty list of agents, each a map with id and task, got an empty list',
    ]);
    expect(errors("version: 1", "streams:", "  A:")).toEqual([
      'streams.yaml:3:3: stream "A" must be a map with name and agents, got nothing',
    ]);
  });

  it("reports wrong types with what is valid", () => {
    expect(
      errors(
        "version: 1",
        "validate: npm test",
        "agent: 5",
        "checkpoints:",
        "  review: { approval: yes }",
        "streams:",
        "  A:",
        "    name: Alpha",
        "    scope: src/**",
        "    depends_on: B",
        "    agents:",
        "      - { id: A1, task: build it, agent: [codex, 5], preset: gpt }",
      ),
    ).toEqual([
      'streams.yaml:2:11: validate must be a list of shell commands, got "npm test"',
      "streams.yaml:3:8: agent must be a command string or a non-empty list of strings, got 5",
      'streams.yaml:5:23: checkpoint "review": approval must be "human", got "yes"',
      'streams.yaml:9:12: stream "A": scope must be a list of globs, got "src/**"',
      'streams.yaml:10:17: stream "A": depends_on must be a list of stream ids, got "B"',
      'streams.yaml:12:50: agent "A1" in stream "A": agent[1] must be a non-empty string, got 5',
      'streams.yaml:12:62: agent "A1" in stream "A": preset must be one of claude, codex, aider, gemini, shell, got "gpt"',
    ]);
    expect(errors("version: 1", "streams: [A, B]")).toEqual([
      "streams.yaml:2:10: streams must be a map of stream id -> stream, got a list",
    ]);
  });

  it("rejects unknown placeholders, naming the valid ones", () => {
    const valid = "valid: {task}, {agent}, {stream}, {worktree}";
    const lines = ["version: 1", "agent: claude {tsak}", ...streamA];
    lines[7] = `      - { id: A1, task: build it, agent: [codex, "{prompt}", "\${HOME}"] }`;
    expect(errors(...lines)).toEqual([
      `streams.yaml:2:8: unknown placeholder {tsak} in agent command (${valid})`,
      `streams.yaml:8:50: agent "A1" in stream "A": unknown placeholder {prompt} in agent command (${valid})`,
    ]);
  });

  it("rejects a checkpoint with both approval and run", () => {
    expect(
      errors(
        "version: 1",
        "checkpoints:",
        "  qa: { approval: human, run: make check }",
        ...streamA,
      ),
    ).toEqual([
      'streams.yaml:3:31: checkpoint "qa" has both approval and run (valid: at most one of approval, run and criteria; a checkpoint with none of them passes when its dependencies pass)',
    ]);
  });
});

describe("several errors", () => {
  it("are all reported, in position order", () => {
    expect(
      errors(
        "version: 3",
        "lock_ttl: soon",
        "streams:",
        "  A:",
        "    name: Alpha",
        "    depends_on: [B]",
        "    agents: [{ id: A1, task: build it }]",
        "  B:",
        "    name: Beta",
        "    depends_on: [A, X]",
        "    agents: [{ id: A1, task: again, colour: red }]",
      ),
    ).toEqual([
      "streams.yaml:1:10: version must be 1, got 3",
      expect.stringMatching(/^streams\.yaml:2:11: lock_ttl "soon" is not a valid duration/),
      "streams.yaml:10:18: dependency cycle A -> B -> A",
      'streams.yaml:10:21: stream "B" depends on unknown stream "X" (known: A, B)',
      'streams.yaml:11:20: stream "B": agent id "A1" is already used in stream "A" (agent ids must be unique across the plan)',
      'streams.yaml:11:37: agent "A1" in stream "B": unknown key "colour" (valid: id, task, role, agent, preset)',
    ]);
  });

  it("carries them as issues with file, line, column and severity", () => {
    try {
      parsePlan("version: 1\nbase: 5\n", "/somewhere/plan.yaml");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PlanError);
      expect((error as PlanError).issues).toEqual([
        {
          file: "plan.yaml",
          line: 1,
          col: 1,
          message: 'missing required key "streams" (must be a map of stream id -> stream)',
          severity: "error",
        },
        {
          file: "plan.yaml",
          line: 2,
          col: 7,
          message: "base must be a non-empty branch name, got 5",
          severity: "error",
        },
      ]);
    }
  });
});
