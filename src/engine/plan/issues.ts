/** One problem found in streams.yaml, with the 1-based position of the offending node. */
export interface PlanIssue {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: "error" | "warning";
}

/** `<file>:LINE:COL: message`, the form editors and terminals turn into links. */
export function formatIssue(issue: PlanIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/** Sorts by position; issues at the same position keep the order they were found in. */
export function sortIssues(issues: readonly PlanIssue[]): PlanIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Thrown when streams.yaml is invalid; `message` holds every error, one per line. */
export class PlanError extends Error {
  readonly issues: PlanIssue[];

  constructor(issues: PlanIssue[], message?: string) {
    super(message ?? issues.map(formatIssue).join("\n"));
    this.name = "PlanError";
    this.issues = issues;
  }
}

/** Thrown by `loadPlan` when there is no streams.yaml at the given path. */
export class PlanNotFoundError extends PlanError {
  readonly path: string;

  constructor(path: string) {
    super([], `streams.yaml not found at ${path}: run \`tower init\` to create one`);
    this.name = "PlanNotFoundError";
    this.path = path;
  }
}
