/** The shapes the conflict scanner works with and returns. */
import type { Hunk } from "../git/index.js";
import type { Plan } from "../plan/index.js";
import type { StateStore } from "../state/store.js";

export type WarningKind = "overlap" | "scope" | "lock" | "merge" | "import";
export type Severity = "low" | "medium" | "high";

/** One thing that may go wrong when the streams are merged. */
export interface ConflictWarning {
  kind: WarningKind;
  /** The streams involved: the one that acts first (for `import`: the importer). */
  streams: string[];
  /** The agents of those streams, from the plan. */
  agents: string[];
  /** Repository-relative paths, sorted. */
  files: string[];
  severity: Severity;
  /** One readable sentence naming the streams and files. */
  message: string;
}

/** What a scan needs: the plan, the shared state, the main worktree and the base branch. */
export interface ScanInput {
  plan: Plan;
  store: StateStore;
  mainRoot: string;
  /** The base branch (or any commit-ish) the streams merge into. */
  base: string | undefined;
  /** For lock expiry; default now. */
  now?: Date;
}

/** A stream with a worktree and a branch that is neither pending nor merged. */
export interface ActiveStream {
  id: string;
  branch: string;
  /** Absolute path of its worktree. */
  worktree: string;
  /** Its scope globs from the plan (empty: no scope, so no scope warnings). */
  scope: string[];
  /** Its agents, from the plan. */
  agents: string[];
}

/** How a file was changed by a stream; a file may be in several categories at once. */
export interface FileChange {
  committed: boolean;
  staged: boolean;
  unstaged: boolean;
  untracked: boolean;
  /**
   * Changed line ranges in the merge base's line numbers (empty when the working tree undid what
   * the commits changed); undefined when the whole file counts (binary).
   */
  hunks: Hunk[] | undefined;
}

export interface StreamChanges {
  stream: ActiveStream;
  /** The merge base of the base branch and the worktree's HEAD. */
  mergeBase: string;
  files: Map<string, FileChange>;
  /** Files whose committed content differs from the merge base (what merge prediction sees). */
  committed: Set<string>;
  /** Lines added per file: the `+` lines of the diff, or the whole content of untracked files. */
  added: Map<string, string[]>;
}

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

/** The identity of a warning across scans: kind, streams and files. */
export function warningKey(warning: Pick<ConflictWarning, "kind" | "streams" | "files">): string {
  return `${warning.kind}|${warning.streams.join(",")}|${warning.files.join(",")}`;
}

/** The agents of the given streams, in order, each once. */
export function agentsOf(streams: readonly string[], byStream: ReadonlyMap<string, string[]>) {
  return [...new Set(streams.flatMap((s) => byStream.get(s) ?? []))];
}

/** `a.ts`, `a.ts and b.ts`, `a.ts, b.ts and 3 more files`. */
export function listFiles(files: readonly string[], max = 3): string {
  if (files.length <= 1) return files[0] ?? "";
  if (files.length <= max) return `${files.slice(0, -1).join(", ")} and ${files.at(-1)}`;
  return `${files.slice(0, max - 1).join(", ")} and ${files.length - (max - 1)} more files`;
}

/** `feature/x` -> `refs/heads/feature/x`; a full ref stays as it is. */
export const branchRef = (branch: string): string =>
  branch.startsWith("refs/") ? branch : `refs/heads/${branch}`;
