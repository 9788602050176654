/**
 * The plan's values that name places: `project` (part of each worktree's folder name),
 * `worktrees` (where the stream worktrees go), `state_dir` (where the shared state goes),
 * `branch_prefix` (the start of each stream's branch name), and the lock life `lock_ttl`.
 * Checked where the schema cannot: against the repository's own place on disk and git's rules
 * for branch names, each error at the value's position with what is valid.
 */
import path from "node:path";
import { LOCK_TTL_RANGE, lockTtlOutOfRange } from "./duration.js";
import type { Reporter } from "./report.js";

export const PROJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PROJECT_HELP =
  'valid: letters, digits, ".", "_" and "-", starting with a letter or digit, up to 64 characters; it names the worktrees <project>-stream-<ID>';
const WORKTREES_HELP =
  "valid: a folder for the stream worktrees, relative to the repository root, such as .. or ../worktrees";
export const STATE_DIR_HELP =
  "valid: a folder inside the repository that holds none of its files, relative to its root, without any of * ? [ ] \\ or control characters, such as .claude/state; TOWER_STATE_DIR can put it elsewhere";
const BRANCH_PREFIX_HELP =
  'valid: letters, digits and "/", "-", "_", "."; not starting with "-", "/" or ".", and without "..", "//", "@{", "/.", ".lock/", spaces or any of ~^:?*[\\';

const isInside = (parent: string, child: string): boolean => {
  const relative = path.relative(parent, child);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
};

const quoted = (value: string) => JSON.stringify(value);

/** Reports the problems of the plan's place values; `root` is the repository root. */
export function checkPlaces(data: Record<string, unknown>, root: string, report: Reporter): void {
  const at = (key: string) => report.positions.value([key]);
  const text = (key: string): string | undefined => {
    const value = data[key];
    return typeof value === "string" && value !== "" ? value : undefined;
  };

  const project = text("project");
  if (project !== undefined && !PROJECT_PATTERN.test(project)) {
    report.error(
      at("project"),
      `project ${quoted(project)} is not a valid project name (${PROJECT_HELP})`,
    );
  }

  const worktrees = text("worktrees");
  if (worktrees !== undefined) {
    const problem = worktreesProblem(worktrees, root);
    if (problem)
      report.error(
        at("worktrees"),
        `worktrees ${quoted(worktrees)} ${problem} (${WORKTREES_HELP})`,
      );
  }

  const stateDir = text("state_dir");
  if (stateDir !== undefined) {
    const problem = stateDirProblem(stateDir);
    if (problem)
      report.error(at("state_dir"), `state_dir ${quoted(stateDir)} ${problem} (${STATE_DIR_HELP})`);
  }

  const prefix = data["branch_prefix"];
  if (typeof prefix === "string" && !validBranchPrefix(prefix)) {
    report.error(
      at("branch_prefix"),
      `branch_prefix ${quoted(prefix)} would not make valid git branch names (${BRANCH_PREFIX_HELP})`,
    );
  }

  const ttl = data["lock_ttl"];
  if (typeof ttl === "string" && lockTtlOutOfRange(ttl)) {
    report.error(
      at("lock_ttl"),
      `lock_ttl ${quoted(ttl)} is out of range (valid: ${LOCK_TTL_RANGE})`,
    );
  }
}

function worktreesProblem(value: string, root: string): string | undefined {
  if (value.includes("\0")) return "is not a valid path";
  const folder = path.resolve(root, value);
  if (folder === path.parse(folder).root) return "is the filesystem root";
  if (folder === path.resolve(root)) return "is the repository itself";
  if (isInside(path.join(root, ".git"), folder)) return "is inside the repository's .git folder";
  return undefined;
}

/**
 * Characters that git's ignore rules read as a pattern (or an escape): Tower lists the state
 * folder in `.git/info/exclude`, where `s*` would hide `src/` and `scripts/` from git.
 */
const IGNORE_PATTERN_CHARACTERS = /[*?[\]\\]/;

function stateDirProblem(value: string): string | undefined {
  if (value.includes("\0")) return "is not a valid path";
  if (/[\u0001-\u001f\u007f]/.test(value)) return "has a control character";
  const pattern = IGNORE_PATTERN_CHARACTERS.exec(value)?.[0];
  if (pattern !== undefined) {
    return `has ${quoted(pattern)}, which .git/info/exclude (where Tower lists its state folder) would read as a pattern`;
  }
  if (path.isAbsolute(value)) return "is an absolute path";
  const relative = path.normalize(value).replace(/[/\\]+$/, "");
  if (relative === ".." || relative.startsWith(`..${path.sep}`))
    return "leads outside the repository";
  if (relative === "." || relative === "") return "is the repository root itself";
  if (relative === ".git" || relative.startsWith(`.git${path.sep}`)) {
    return "is inside the repository's .git folder";
  }
  return undefined;
}

/**
 * Would `<prefix><ID>-<slug>` be a valid branch name (git check-ref-format --branch)? The id and
 * slug are always valid, so it is the prefix followed by a letter that is checked.
 */
export function validBranchPrefix(prefix: string): boolean {
  const name = `${prefix}A`;
  if (name.startsWith("-") || name.startsWith("/")) return false;
  // Control characters, space, DEL and ~^:?*[\ are never allowed.
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return false;
  if (name.includes("..") || name.includes("//") || name.includes("@{")) return false;
  return name.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}
