/** How a criterion is judged from its runs, and the small languages of expect, within and metric. */
import { describe, expect, it } from "vitest";
import { type CriterionRun, evaluateCriterion, gateNote } from "../../src/engine/gates/index.js";
import {
  type CriterionSpec,
  compileMetric,
  meetsExpectation,
  parseExpect,
  parseWithin,
  readMetric,
  withinTolerance,
} from "../../src/engine/plan/index.js";

const run = (over: Partial<CriterionRun> = {}): CriterionRun => ({
  where: "main",
  stream: null,
  exit_code: 0,
  signal: null,
  value: null,
  tail: [],
  duration_ms: 5,
  ...over,
});

const across = (values: [string, number | null][], exit = 0): CriterionRun[] =>
  values.map(([where, value]) => run({ where, stream: where, value, exit_code: exit }));

describe("evaluateCriterion", () => {
  const tests: CriterionSpec = { name: "tests", run: "npm test" };
  const coverage: CriterionSpec = {
    name: "coverage",
    run: "npm run coverage",
    metric: "All files\\s*\\|\\s*([\\d.]+)",
    expect: ">= 90",
  };
  const parity: CriterionSpec = {
    name: "parity",
    run: "npm run bench",
    metric: "p95_ms=(\\d+)",
    across: [
      { id: "A", stream: "A" },
      { id: "B1", stream: "B" },
    ],
    within: "20%",
  };

  it("passes a command on exit 0 and fails it on anything else", () => {
    expect(evaluateCriterion(tests, [run()])).toMatchObject({ ok: true, detail: "exit 0" });
    expect(evaluateCriterion(tests, [run({ exit_code: 2 })])).toMatchObject({
      ok: false,
      detail: "exit 2",
    });
    expect(evaluateCriterion(tests, [run({ exit_code: null, signal: "SIGKILL" })]).detail).toBe(
      "signal SIGKILL",
    );
  });

  it("compares a metric with its threshold, and fails when no line matched", () => {
    expect(evaluateCriterion(coverage, [run({ value: 92.4 })])).toMatchObject({
      ok: true,
      value: 92.4,
      expect: ">= 90",
      detail: "92.4 >= 90",
    });
    expect(evaluateCriterion(coverage, [run({ value: 85 })])).toMatchObject({
      ok: false,
      detail: "85, expected >= 90",
    });
    expect(evaluateCriterion(coverage, [run({ value: null })]).detail).toBe(
      "no line of its output matched the metric All files\\s*\\|\\s*([\\d.]+)",
    );
    // A metric that passes its threshold still fails when the command failed.
    expect(evaluateCriterion(coverage, [run({ value: 95, exit_code: 1 })]).ok).toBe(false);
  });

  it("compares values across worktrees with the first as the reference", () => {
    expect(
      evaluateCriterion(
        parity,
        across([
          ["A", 100],
          ["B1", 119],
        ]),
      ),
    ).toMatchObject({ ok: true, value: null, within: "20%", detail: "A 100, B1 119 (within 20%)" });
    expect(
      evaluateCriterion(
        parity,
        across([
          ["A", 100],
          ["B1", 125],
        ]),
      ).detail,
    ).toBe("B1: 125 is 25% off A's 100 (allowed: within 20%)");
    expect(
      evaluateCriterion(
        { ...parity, within: 3 },
        across([
          ["A", 10],
          ["B1", 14],
        ]),
      ).detail,
    ).toBe("B1: 14 is 4 off A's 10 (allowed: within 3)");
    expect(
      evaluateCriterion(parity, [
        run({ where: "A", stream: "A", value: 1 }),
        run({ where: "B1", stream: "B", error: "stream B has no worktree (merged): ..." }),
      ]).detail,
    ).toBe("B1: stream B has no worktree (merged): ...");
    // Without metric, every worktree must exit 0.
    expect(
      evaluateCriterion(
        { name: "same", run: "make", across: parity.across },
        across([
          ["A", null],
          ["B1", null],
        ]),
      ).detail,
    ).toBe("exit 0 in A, B1");
  });

  it("sums a gate up, naming each failure", () => {
    const results = [
      evaluateCriterion(tests, [run()]),
      evaluateCriterion(coverage, [run({ value: 85 })]),
    ];
    expect(gateNote(results)).toBe("1 of 2 criteria passed; coverage: 85, expected >= 90");
    expect(gateNote(results.slice(0, 1))).toBe("1 of 1 criteria passed");
  });
});

describe("expect, within and metric", () => {
  it("reads comparisons and tolerances", () => {
    expect(parseExpect(" >=  90 ")).toEqual({ op: ">=", value: 90 });
    expect(parseExpect("<=3000")).toEqual({ op: "<=", value: 3000 });
    expect(() => parseExpect("about 3")).toThrow(/a comparison with a number/);
    expect(meetsExpectation(90, parseExpect(">= 90"))).toBe(true);
    expect(meetsExpectation(0, parseExpect("!= 0"))).toBe(false);
    expect(meetsExpectation(-2, parseExpect("< -1.5"))).toBe(true);
    expect(parseWithin("20%")).toEqual({ kind: "percent", amount: 20 });
    expect(parseWithin(5)).toEqual({ kind: "absolute", amount: 5 });
    expect(withinTolerance(1.2, 1, parseWithin("20%"))).toBe(true);
    expect(withinTolerance(80, 100, parseWithin("20%"))).toBe(true);
    expect(withinTolerance(79, 100, parseWithin("20%"))).toBe(false);
    expect(withinTolerance(0, 0, parseWithin("0%"))).toBe(true);
  });

  it("captures the number of a matching line, through colours and thousands separators", () => {
    const compiled = compileMetric("All files\\s*\\|\\s*([\\d.,]+)");
    if (!("regex" in compiled)) throw new Error(compiled.error);
    expect(readMetric(compiled.regex, "All files |   92.5 |  80 |")).toBe(92.5);
    expect(readMetric(compiled.regex, "\u001b[32mAll files\u001b[0m | 1,234.5 |")).toBe(1234.5);
    expect(readMetric(compiled.regex, "src/a.ts | 50")).toBeUndefined();
    expect(compileMetric("p95=\\d+")).toEqual({
      error: "has no capture group: put the number in parentheses, e.g. p95_ms=(\\d+)",
    });
    expect(compileMetric("(")).toMatchObject({ error: expect.stringMatching(/^is not a valid/) });
  });
});
