/**
 * The small languages inside a gate's criteria: `expect: ">= 90"` (a comparison with a number)
 * and `within: 20%` (a tolerance, relative or absolute), and the `metric:` regular expression.
 */

export const COMPARATORS = [">=", "<=", "==", "!=", ">", "<"] as const;
export type Comparator = (typeof COMPARATORS)[number];

/** `>= 90`, `<=3000`, `== 0`, `> -1.5`. */
export const EXPECT_PATTERN = /^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;
export const EXPECT_HELP =
  'a comparison with a number: ">= 90", "<= 3000", "== 0", "!= 1", "> 5" or "< 2.5"';

/** `20%` (of the reference value) or a plain number (an absolute difference). */
export const WITHIN_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;
export const WITHIN_HELP =
  "a percentage such as 20% (of the first value in across) or a number such as 5 (an absolute difference)";

export interface Expectation {
  op: Comparator;
  value: number;
}

export function parseExpect(text: string): Expectation {
  const match = EXPECT_PATTERN.exec(text);
  if (!match) throw new Error(`invalid expect "${text}": ${EXPECT_HELP}`);
  return { op: match[1] as Comparator, value: Number(match[2]) };
}

export function meetsExpectation(value: number, { op, value: threshold }: Expectation): boolean {
  switch (op) {
    case ">=":
      return value >= threshold;
    case "<=":
      return value <= threshold;
    case "==":
      return value === threshold;
    case "!=":
      return value !== threshold;
    case ">":
      return value > threshold;
    case "<":
      return value < threshold;
  }
}

export interface Tolerance {
  /** `percent`: of the reference value; `absolute`: in the metric's own unit. */
  kind: "percent" | "absolute";
  amount: number;
}

export function parseWithin(within: string | number): Tolerance {
  if (typeof within === "number") {
    if (!Number.isFinite(within) || within < 0) throw new Error(`invalid within ${within}`);
    return { kind: "absolute", amount: within };
  }
  const match = WITHIN_PATTERN.exec(within);
  if (!match) throw new Error(`invalid within "${within}": ${WITHIN_HELP}`);
  return { kind: "percent", amount: Number(match[1]) };
}

/** `20%` or `5`, as written back in messages. */
export const toleranceText = (t: Tolerance): string =>
  t.kind === "percent" ? `${t.amount}%` : String(t.amount);

/** Whether `value` is within the tolerance of `reference`. */
export function withinTolerance(value: number, reference: number, t: Tolerance): boolean {
  const difference = Math.abs(value - reference);
  const allowed = t.kind === "percent" ? (Math.abs(reference) * t.amount) / 100 : t.amount;
  // A tiny slack for floating point: 1.2 is within 20% of 1.0.
  return difference <= allowed + 1e-9 * Math.max(1, Math.abs(reference));
}

/**
 * Compiles a `metric:` pattern; the number is its first capture group. Returns the error to
 * report, or the compiled expression.
 */
export function compileMetric(pattern: string): { regex: RegExp } | { error: string } {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    return { error: `is not a valid regular expression (${(error as Error).message})` };
  }
  const groups = (new RegExp(`${pattern}|`).exec("")?.length ?? 1) - 1;
  if (groups < 1) {
    return {
      error: "has no capture group: put the number in parentheses, e.g. p95_ms=(\\d+)",
    };
  }
  return { regex };
}

// ANSI escape sequences (colours, cursor moves) that test runners print around numbers.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/**
 * The number the metric captures in one line of output, if it matches; a number written with
 * thousands separators (1,234.5) is read whole.
 */
export function readMetric(regex: RegExp, line: string): number | undefined {
  const match = regex.exec(line.replace(ANSI, ""));
  const captured = match?.[1];
  if (captured === undefined) return undefined;
  const value = Number(captured.trim().replace(/,/g, ""));
  return Number.isFinite(value) && captured.trim() !== "" ? value : undefined;
}
