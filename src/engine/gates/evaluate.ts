/**
 * Whether one criterion of a quality gate passed, from what its command did: pure, so that the
 * rules (exit status, metric, threshold, tolerance across worktrees) are tested on their own.
 */
import {
  type CriterionSpec,
  meetsExpectation,
  parseExpect,
  parseWithin,
  toleranceText,
  withinTolerance,
} from "../plan/index.js";

/** One run of a criterion's command: in the main worktree, or in one stream's of `across`. */
export interface CriterionRun {
  /** `main`, or the `across` entry as written (a stream or agent id). */
  where: string;
  /** The stream whose worktree it ran in (null for the main worktree). */
  stream: string | null;
  exit_code: number | null;
  signal: string | null;
  /** The number the metric captured (the last matching line), null when none matched. */
  value: number | null;
  /** The last lines of its output. */
  tail: string[];
  duration_ms: number;
  /** Why it could not run at all (no worktree), when it did not. */
  error?: string;
}

/** A criterion's outcome, as kept in checkpoints.json. */
export interface CriterionResult {
  name: string;
  command: string;
  ok: boolean;
  /** The metric's value for a criterion run once; null otherwise. */
  value: number | null;
  expect: string | null;
  within: string | null;
  /** What was found, in a few words: `92.4 >= 90`, `exit 1`, `B: 150 is 25% off A's 120`. */
  detail: string;
  runs: CriterionRun[];
}

const number = (n: number): string => String(Number(n.toFixed(6)));

const exitText = (run: CriterionRun): string =>
  run.error ?? (run.signal ? `signal ${run.signal}` : `exit ${run.exit_code ?? "?"}`);

const failed = (run: CriterionRun): boolean =>
  run.error !== undefined || run.signal !== null || run.exit_code !== 0;

/** Judges the runs of one criterion. */
export function evaluateCriterion(spec: CriterionSpec, runs: CriterionRun[]): CriterionResult {
  const base = {
    name: spec.name,
    command: spec.run,
    value: spec.across === undefined ? (runs[0]?.value ?? null) : null,
    expect: spec.expect ?? null,
    within: spec.within === undefined ? null : toleranceText(parseWithin(spec.within)),
    runs,
  };
  const verdict = judge(spec, runs);
  return { ...base, ...verdict };
}

function judge(spec: CriterionSpec, runs: CriterionRun[]): { ok: boolean; detail: string } {
  const across = spec.across !== undefined;
  const prefix = (run: CriterionRun) => (across ? `${run.where}: ` : "");
  const broken = runs.find(failed);
  if (broken) return { ok: false, detail: `${prefix(broken)}${exitText(broken)}` };
  if (runs.length === 0) return { ok: false, detail: "did not run" };
  if (spec.metric === undefined) {
    return {
      ok: true,
      detail: across ? `exit 0 in ${runs.map((r) => r.where).join(", ")}` : "exit 0",
    };
  }
  const unmatched = runs.find((r) => r.value === null);
  if (unmatched) {
    return {
      ok: false,
      detail: `${prefix(unmatched)}no line of its output matched the metric ${spec.metric}`,
    };
  }
  const values = runs.map((r) => ({ where: r.where, value: r.value as number }));
  const shown = across
    ? values.map((v) => `${v.where} ${number(v.value)}`).join(", ")
    : number(values[0]!.value);
  if (spec.expect !== undefined) {
    const expectation = parseExpect(spec.expect);
    const miss = values.find((v) => !meetsExpectation(v.value, expectation));
    if (miss) {
      return {
        ok: false,
        detail: `${across ? `${miss.where}: ` : ""}${number(miss.value)}, expected ${spec.expect}`,
      };
    }
  }
  if (across && spec.within !== undefined) {
    const tolerance = parseWithin(spec.within);
    const [reference, ...others] = values;
    const off = others.find((v) => !withinTolerance(v.value, reference!.value, tolerance));
    if (off) {
      const difference = Math.abs(off.value - reference!.value);
      const how =
        tolerance.kind === "percent" && reference!.value !== 0
          ? `${number((difference / Math.abs(reference!.value)) * 100)}% off`
          : `${number(difference)} off`;
      return {
        ok: false,
        detail: `${off.where}: ${number(off.value)} is ${how} ${reference!.where}'s ${number(reference!.value)} (allowed: within ${toleranceText(tolerance)})`,
      };
    }
    return { ok: true, detail: `${shown} (within ${toleranceText(tolerance)})` };
  }
  return { ok: true, detail: spec.expect ? `${shown} ${spec.expect}` : shown };
}

/** `2 of 3 criteria passed; coverage: 85, expected >= 90`. */
export function gateNote(results: readonly CriterionResult[]): string {
  const passed = results.filter((r) => r.ok).length;
  const failures = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
  const head = `${passed} of ${results.length} criteria passed`;
  return failures.length > 0 ? `${head}; ${failures.join("; ")}` : head;
}
