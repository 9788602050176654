/** The plan's roles, task boards and quality gates: how they read, and every error they can make. */
import { describe, expect, it } from "vitest";
import { PlanError, parsePlan } from "../../src/engine/plan/index.js";

const FILE = "/repo/streams.yaml";
const parse = (...lines: string[]) => parsePlan(`${lines.join("\n")}\n`, FILE);

function errors(...lines: string[]): string[] {
  try {
    parse(...lines);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    return error.message.split("\n");
  }
  throw new Error("expected parsePlan to throw a PlanError");
}

const twoStreams = [
  "streams:",
  "  A:",
  "    name: Alpha",
  '    scope: ["a/**"]',
  "    agents:",
  "      - { id: A1, task: build a }",
  "      - { id: A2, task: test a }",
  "  B:",
  "    name: Beta",
  '    scope: ["b/**"]',
  "    agents: [{ id: B1, task: build b }]",
];

describe("roles", () => {
  it("offers the five built-in roles, overridden field by field, and the plan's own", () => {
    const plan = parse(
      "version: 1",
      "roles:",
      "  architect:",
      "    criteria: [No module imports the UI]",
      "  security:",
      "    name: Security reviewer",
      "    responsibilities: Threat model",
      "    deliverables: [docs/threat-model.md]",
      "    agent: [codex, '{task}']",
      "    preset: codex",
      "streams:",
      "  A:",
      "    name: Alpha",
      '    scope: ["a/**"]',
      "    agents:",
      "      - { id: A1, task: design, role: architect }",
      "      - { id: A2, task: review, role: security }",
      "      - { id: A3, task: check, role: security, agent: 'claude {task}' }",
      "      - { id: A4, task: code }",
    );
    expect(plan.roles.map((r) => [r.id, r.source])).toEqual([
      ["architect", "override"],
      ["senior-developer", "builtin"],
      ["specialist", "builtin"],
      ["performance-engineer", "builtin"],
      ["qa-validator", "builtin"],
      ["security", "plan"],
    ]);
    const architect = plan.roles[0]!;
    expect(architect.name).toBe("Architect");
    expect(architect.criteria).toEqual(["No module imports the UI"]);
    expect(architect.responsibilities).toContain("API contracts between the streams");
    expect(plan.roles[5]).toEqual({
      id: "security",
      name: "Security reviewer",
      responsibilities: ["Threat model"],
      deliverables: ["docs/threat-model.md"],
      criteria: [],
      command: ["codex", "{task}"],
      preset: "codex",
      source: "plan",
    });
    const agents = plan.streams[0]!.agents;
    expect(agents.map((a) => [a.id, a.role, a.command, a.preset])).toEqual([
      ["A1", "architect", "claude {task}", undefined],
      // The role's command and preset, unless the agent gives its own command.
      ["A2", "security", ["codex", "{task}"], "codex"],
      ["A3", "security", "claude {task}", undefined],
      ["A4", undefined, "claude {task}", undefined],
    ]);
  });

  it("reports an unknown role, a role that says nothing, and a bad role field", () => {
    expect(
      errors(
        "version: 1",
        "roles:",
        "  scribe: { name: Scribe }",
        "  tester: { criteria: [ok], preset: gpt }",
        "  bad id: { criteria: [ok] }",
        "streams:",
        "  A:",
        "    name: Alpha",
        '    scope: ["a/**"]',
        "    agents: [{ id: A1, task: go, role: archtect }]",
      ),
    ).toEqual([
      'streams.yaml:3:3: role "scribe" says nothing of the work: give it responsibilities, deliverables or criteria (or use a built-in role: architect, senior-developer, specialist, performance-engineer, qa-validator)',
      'streams.yaml:4:37: role "tester": preset must be one of claude, codex, aider, gemini, shell, got "gpt"',
      'streams.yaml:5:3: "bad id" is not a valid role id (ids must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$: a letter or digit, then up to 63 letters, digits, "_" or "-")',
      'streams.yaml:10:40: agent "A1" in stream "A": unknown role "archtect" (known: architect, senior-developer, specialist, performance-engineer, qa-validator, scribe, tester; define it under roles)',
    ]);
  });
});

describe("task boards", () => {
  it("reads tasks with defaults, and makes an agent's task: a task of its own", () => {
    const plan = parse(
      "version: 1",
      "streams:",
      "  A:",
      "    name: Alpha",
      '    scope: ["a/**"]',
      "    agents: [{ id: A1 }, { id: A2, task: tests only }]",
      "    tasks:",
      "      - { id: api, title: Refund endpoint, priority: P0, agent: A1 }",
      "      - { id: docs, title: Document refunds, depends_on: [api, api] }",
      "      - { id: perf, title: Benchmark, priority: P1 }",
      "  B:",
      "    name: Beta",
      '    scope: ["b/**"]',
      "    agents: [{ id: B1, task: build b }]",
    );
    const [a, b] = plan.streams;
    expect(a!.tasks).toEqual([
      {
        id: "api",
        stream: "A",
        title: "Refund endpoint",
        priority: "P0",
        agent: "A1",
        dependsOn: [],
        implicit: false,
      },
      {
        id: "docs",
        stream: "A",
        title: "Document refunds",
        priority: "P2",
        dependsOn: ["api"],
        implicit: false,
      },
      {
        id: "perf",
        stream: "A",
        title: "Benchmark",
        priority: "P1",
        dependsOn: [],
        implicit: false,
      },
    ]);
    // An agent without task: is told the most urgent task it may take, and where the rest are.
    expect(a!.agents[0]!.task).toBe(
      "Refund endpoint (task api, P0; 2 more on the board: tower tasks --agent A1)",
    );
    expect(a!.agents[1]!.task).toBe("tests only");
    expect(b!.tasks).toEqual([
      {
        id: "B1",
        stream: "B",
        title: "build b",
        priority: "P2",
        agent: "B1",
        dependsOn: [],
        implicit: true,
      },
    ]);
  });

  it("reports duplicate ids, foreign agents, unknown dependencies, cycles and a bad priority", () => {
    expect(
      errors(
        "version: 1",
        ...twoStreams,
        "    tasks:",
        "      - { id: x, title: X, agent: A1, depends_on: [y] }",
        "      - { id: y, title: Y, depends_on: [x, nope] }",
        "      - { id: B1, title: Again, priority: P5 }",
        "      - { id: z, title: Z, depends_on: [z] }",
        "      - { id: x, title: X again }",
      ),
    ).toEqual([
      'streams.yaml:14:35: task "x" in stream "B": agent "A1" is not an agent of stream "B" (valid: B1, or leave agent out for any of them)',
      "streams.yaml:15:41: task dependency cycle x -> y -> x",
      'streams.yaml:15:44: task "y" in stream "B" depends on unknown task "nope" (known: A1, A2, x, y, B1, z)',
      'streams.yaml:16:43: task "B1" in stream "B": priority must be one of P0, P1, P2, P3, got "P5"',
      'streams.yaml:17:41: task "z" in stream "B" depends on itself',
      'streams.yaml:18:15: stream "B": task id "x" is already used in stream "B" (task ids must be unique across the plan)',
    ]);
  });

  it("reports a task id that is another stream's agent task, and an agent with no task and no board", () => {
    const lines = ["version: 1", ...twoStreams];
    lines[11] = "    agents: [{ id: B1 }]";
    expect(errors(...lines)).toEqual([
      'streams.yaml:12:14: agent "B1" in stream "B": missing required key "task" (must be a non-empty string, or give stream "B" a tasks: list)',
    ]);
    expect(
      errors("version: 1", ...twoStreams, "    tasks:", "      - { id: A2, title: clash }"),
    ).toEqual([
      'streams.yaml:14:15: stream "B": task id "A2" is already the task of agent "A2" (its task:, in stream "A") (task ids must be unique across the plan)',
    ]);
  });
});

describe("quality gates", () => {
  const gate = (...criteria: string[]) => [
    "version: 1",
    "checkpoints:",
    "  impl: { after: [A, B] }",
    "  quality:",
    "    depends_on: [impl]",
    "    auto: true",
    "    criteria:",
    ...criteria.map((c) => `      - ${c}`),
    ...twoStreams,
  ];

  it("reads criteria with metrics, thresholds and comparisons across worktrees", () => {
    const plan = parse(
      ...gate(
        "{ name: tests, run: npm test }",
        '{ name: coverage, run: "npm run coverage -s", metric: "All files\\\\s*\\\\|\\\\s*([\\\\d.]+)", expect: ">= 90" }',
        '{ name: parity, run: "npm run bench -s", metric: "p95_ms=(\\\\d+)", across: [A, B1], within: 20% }',
        "{ name: same, run: make, metric: 'n=(\\d+)', across: [A1, B], within: 0 }",
      ),
    );
    expect(plan.checkpoints).toEqual([
      { id: "impl", dependsOn: [], after: ["A", "B"], auto: false },
      {
        id: "quality",
        dependsOn: ["impl"],
        after: [],
        auto: true,
        criteria: [
          { name: "tests", run: "npm test" },
          {
            name: "coverage",
            run: "npm run coverage -s",
            metric: "All files\\s*\\|\\s*([\\d.]+)",
            expect: ">= 90",
          },
          {
            name: "parity",
            run: "npm run bench -s",
            metric: "p95_ms=(\\d+)",
            across: [
              { id: "A", stream: "A" },
              { id: "B1", stream: "B" },
            ],
            within: "20%",
          },
          {
            name: "same",
            run: "make",
            metric: "n=(\\d+)",
            across: [
              { id: "A1", stream: "A" },
              { id: "B", stream: "B" },
            ],
            within: 0,
          },
        ],
      },
    ]);
  });

  it("reports each bad criterion with what is valid", () => {
    expect(
      errors(
        ...gate(
          "{ name: a, run: x, expect: '>= 90' }",
          "{ name: b, run: x, metric: 'p95=\\d+', expect: 'about 3' }",
          "{ name: c, run: x, metric: '(', within: 5 }",
          "{ name: d, run: x, metric: '(\\d+)', across: [A1, A2], within: lots }",
          "{ name: d, run: x, across: [A, Z] }",
          "{ name: e, run: x, across: [A, B], within: 10% }",
          "{ name: f, run: x, across: [A] }",
        ),
      ),
    ).toEqual([
      'streams.yaml:8:28: criterion "a" of checkpoint "quality": expect needs metric, a regular expression whose first group captures the number to compare',
      'streams.yaml:9:36: criterion "b" of checkpoint "quality": metric "p95=\\\\d+" has no capture group: put the number in parentheses, e.g. p95_ms=(\\d+)',
      'streams.yaml:9:55: criterion "b" of checkpoint "quality": expect "about 3" is not a comparison with a number: ">= 90", "<= 3000", "== 0", "!= 1", "> 5" or "< 2.5"',
      'streams.yaml:10:36: criterion "c" of checkpoint "quality": metric "(" is not a valid regular expression (Invalid regular expression: /(/: Unterminated group)',
      'streams.yaml:10:41: criterion "c" of checkpoint "quality": within needs across, the streams or agents whose results are compared',
      'streams.yaml:11:58: criterion "d" of checkpoint "quality": across has "A1" and "A2", which share stream "A"\'s worktree (valid: one entry per stream)',
      'streams.yaml:11:71: criterion "d" of checkpoint "quality": within must be a percentage such as 20% (of the first value in across) or a number such as 5 (an absolute difference), got "lots"',
      'streams.yaml:12:17: checkpoint "quality": criterion name "d" is used twice (names must be unique in a checkpoint)',
      'streams.yaml:12:40: criterion "d" of checkpoint "quality": across names unknown stream or agent "Z" (streams: A, B; or an agent id)',
      'streams.yaml:13:44: criterion "e" of checkpoint "quality": within compares numbers: give metric too, a regular expression whose first group captures the number',
      'streams.yaml:14:36: criterion "f" of checkpoint "quality": across must be a list of at least two stream or agent ids, got a list',
    ]);
  });

  it("reports a checkpoint with two ways to pass, auto without anything to run, and an unknown stream in after", () => {
    expect(
      errors(
        "version: 1",
        "checkpoints:",
        "  a: { approval: human, criteria: [{ name: t, run: x }] }",
        "  b: { approval: human, auto: true }",
        "  c: { auto: true, after: [Q] }",
        "  d: { run: x, criteria: [{ name: t, run: x }] }",
        "  e: { run: x, auto: yes }",
        ...twoStreams,
      ),
    ).toEqual([
      'streams.yaml:3:35: checkpoint "a" has both approval and criteria (valid: at most one of approval, run and criteria; a checkpoint with none of them passes when its dependencies pass)',
      'streams.yaml:4:31: checkpoint "b" has auto: true, but a human approval never runs by itself (valid: auto on a checkpoint with run or criteria)',
      'streams.yaml:5:14: checkpoint "c" has auto: true but nothing to run (valid: auto on a checkpoint with run or criteria; one with neither passes by itself already)',
      'streams.yaml:5:28: checkpoint "c" comes after unknown stream "Q" (known: A, B)',
      'streams.yaml:6:26: checkpoint "d" has both run and criteria (valid: at most one of approval, run and criteria; a checkpoint with none of them passes when its dependencies pass)',
      'streams.yaml:7:22: checkpoint "e": auto must be true or false, got "yes"',
    ]);
  });
});
