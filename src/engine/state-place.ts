/**
 * The plan's `state_dir` against the repository, which the plan's own checks (plan/places.ts)
 * cannot read: a folder that holds files git tracks is the project's, not Tower's. Tower lists
 * its state folder in `.git/info/exclude` (init.ts), which would hide every new file there from
 * git, in the main worktree and in each stream worktree; and the link to the shared state could
 * not go in its place in a stream worktree, where git checks those files out. `tower init` and
 * `tower start` refuse such a plan before they write anything, and `tower check` reports it,
 * each at `state_dir`'s line in streams.yaml.
 */
import path from "node:path";
import { COMMIT_CREDITS_FILE } from "./commit-credits.js";
import { ACTIVE_CONFLICTS_FILE } from "./conflicts/record.js";
import { git } from "./git/index.js";
import { type Plan, PlanError, type PlanIssue } from "./plan/index.js";
import { STATE_DIR_HELP } from "./plan/places.js";
import { firstFive } from "./plural.js";
import { STATE_FILES, STATE_FOLDERS } from "./state/formats.js";
import { backupPath } from "./state/json-file.js";
import { MERGE_LOCK_FILE } from "./state/store.js";

/**
 * The names Tower writes at the top of its state folder: its state files (and their last good
 * copies), its folders, its lock and records. Tracked, they are Tower's state committed (a
 * clone's; its own checks look at each), not the project's files.
 */
const TOWER_NAMES: ReadonlySet<string> = new Set(
  [
    ...Object.values(STATE_FILES),
    ...Object.values(STATE_FOLDERS),
    MERGE_LOCK_FILE,
    COMMIT_CREDITS_FILE,
    ACTIVE_CONFLICTS_FILE,
  ].flatMap((name) => [name, backupPath(name)]),
);

/**
 * The files git tracks in the plan's state folder (main worktree's index), repository paths,
 * but Tower's own (TOWER_NAMES).
 */
async function trackedIn(mainRoot: string, stateDir: string): Promise<string[]> {
  const relative = path.normalize(stateDir).replace(/[/\\]+$/, "");
  const out = await git(mainRoot, ["ls-files", "-z", "--", `:(literal)${relative}`]);
  return out
    .split("\0")
    .filter((file) => file !== "")
    .filter((file) => !TOWER_NAMES.has(path.posix.relative(relative, file).split("/")[0] ?? ""));
}

/** The problem of a `state_dir` that holds tracked files, at its place in streams.yaml. */
export async function stateDirIssue(plan: Plan, mainRoot: string): Promise<PlanIssue | undefined> {
  const tracked = await trackedIn(mainRoot, plan.stateDir);
  if (tracked.length === 0) return undefined;
  const what = plan.stateDirAt
    ? `state_dir ${JSON.stringify(plan.stateDir)}`
    : `state_dir is not set, and its default ${JSON.stringify(plan.stateDir)}`;
  return {
    file: path.basename(plan.file),
    ...(plan.stateDirAt ?? { line: 1, col: 1 }),
    severity: "error",
    message: `${what} holds files of the repository (git tracks ${firstFive(tracked)}): Tower lists its state folder in .git/info/exclude, so git would ignore every new file there; set state_dir to a folder of Tower's own (${STATE_DIR_HELP})`,
  };
}

/** Throws a PlanError when the plan's `state_dir` holds tracked files (see stateDirIssue). */
export async function requireOwnStateDir(plan: Plan, mainRoot: string): Promise<void> {
  const issue = await stateDirIssue(plan, mainRoot);
  if (issue) throw new PlanError([issue]);
}
