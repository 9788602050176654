/** A gate's result in words, for `tower gate`, the MCP tools and the control room. */
import type { CheckpointEntry } from "../state/formats.js";
import type { CriterionResult } from "./evaluate.js";
import type { GateResult } from "./run.js";

/** One line per criterion, with the output tail of the runs that failed. */
function criteriaLines(criteria: readonly CriterionResult[], tails: boolean): string[] {
  const width = Math.max(0, ...criteria.map((c) => c.name.length));
  const lines: string[] = [];
  for (const c of criteria) {
    lines.push(`  ${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}`);
    if (!tails || c.ok) continue;
    for (const run of c.runs) {
      if (run.tail.length === 0) continue;
      const where = run.stream ? ` in ${run.where}` : "";
      lines.push(`        last output${where}:`, ...run.tail.map((line) => `          ${line}`));
    }
  }
  return lines;
}

export function gateResultText(result: GateResult): string {
  return [
    `checkpoint ${result.id} ${result.passed ? "passed" : "failed"}`,
    ...criteriaLines(result.criteria, true),
    ...(result.passed ? [] : [`  log: ${result.logFile}`]),
  ].join("\n");
}

const isResult = (value: unknown): value is CriterionResult =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as CriterionResult).name === "string" &&
  typeof (value as CriterionResult).ok === "boolean" &&
  Array.isArray((value as CriterionResult).runs);

/** The criteria results recorded with a gate's last run, if it has any. */
export function recordedGate(entry: CheckpointEntry | undefined): CriterionResult[] | undefined {
  const criteria = (entry as { criteria?: unknown } | undefined)?.criteria;
  if (!Array.isArray(criteria)) return undefined;
  return criteria.filter(isResult);
}

/** A gate's last recorded run: its status, when, and each criterion's value. */
export function recordedGateText(
  id: string,
  entry: CheckpointEntry | undefined,
  status: string,
): string {
  if (!entry) return `checkpoint ${id} has not run yet (${status})`;
  const criteria = recordedGate(entry) ?? [];
  return [
    `checkpoint ${id} ${status}${entry.updated ? ` at ${entry.updated}` : ""}${entry.by ? ` by ${entry.by}` : ""}`,
    ...(criteria.length > 0
      ? criteriaLines(criteria, true)
      : entry.note
        ? [`  ${entry.note}`]
        : []),
  ].join("\n");
}
