/**
 * Undoing a commit Tower put on a branch (a merge whose validation failed), by ref and never by
 * what happens to be checked out: the branch moves back only if it still points at that commit
 * (compare-and-swap with `git update-ref`), and a worktree's files follow only where the branch is
 * checked out, with a two-tree `git read-tree -m -u` that keeps local changes and refuses when one
 * is in the way. The files go first and the ref second: a rollback killed between the two leaves
 * the ref at the merge, and the next rollback completes it (the files are already where it wants
 * them), where the other order would leave the merge staged on a branch that no longer has it.
 */
import { refusal, runGit } from "./run.js";
import { listWorktrees } from "./worktrees.js";

export type RollbackOutcome =
  /** The branch is at `to`; `worktree` is where its files were switched too, if anywhere. */
  | { done: true; worktree: string | undefined }
  /** The branch no longer points at `from` (`now`, undefined when it is gone): nothing was changed. */
  | { done: false; reason: "moved"; now: string | undefined; worktree: string | undefined }
  /** The branch is checked out in `worktree`, whose changes are in the way: nothing was changed. */
  | { done: false; reason: "in-the-way"; worktree: string; detail: string };

/** Moves `refs/heads/<branch>` from `from` to `to` only if it is at `from`. Returns git's reason when not. */
export async function moveBranchIfAt(
  cwd: string,
  branch: string,
  to: string,
  from: string,
  why: string,
): Promise<string | undefined> {
  const result = await runGit(cwd, ["update-ref", "-m", why, `refs/heads/${branch}`, to, from]);
  return refusal(result);
}

/**
 * Switches a worktree's index and files from the tree of `from` to that of `to`, as `git
 * checkout` would: local changes to other files are carried over, a change to a file that differs
 * between the two makes it refuse (git's reason returned) and change nothing.
 */
export async function switchFiles(
  worktree: string,
  from: string,
  to: string,
): Promise<string | undefined> {
  // read-tree trusts the index's file stats: refresh them, or an untouched file counts as changed.
  await runGit(worktree, ["update-index", "-q", "--refresh"]);
  const result = await runGit(worktree, ["read-tree", "-m", "-u", from, to]);
  return refusal(result);
}

/** The worktree that has `branch` checked out, if one does. */
export async function worktreeOfBranch(cwd: string, branch: string): Promise<string | undefined> {
  return (await listWorktrees(cwd)).find((w) => !w.bare && w.branch === branch)?.path;
}

async function branchTip(cwd: string, branch: string): Promise<string | undefined> {
  const result = await runGit(cwd, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** Moves `branch` back from `from` to `to`, by compare-and-swap, with the files where it is checked out. */
export async function rollBackBranch(
  cwd: string,
  branch: string,
  from: string,
  to: string,
): Promise<RollbackOutcome> {
  const worktree = await worktreeOfBranch(cwd, branch);
  const moved = async (): Promise<RollbackOutcome> => ({
    done: false,
    reason: "moved",
    now: await branchTip(cwd, branch),
    worktree,
  });
  if ((await branchTip(cwd, branch)) !== from) return moved();
  if (worktree) {
    // A worktree folder that is gone (or unreadable) refuses like a change in the way.
    const inTheWay = await switchFiles(worktree, from, to).catch((error: Error) => error.message);
    if (inTheWay) return { done: false, reason: "in-the-way", worktree, detail: inTheWay };
  }
  const why = `tower: roll back ${from.slice(0, 10)} to ${to.slice(0, 10)}`;
  if (!(await moveBranchIfAt(cwd, branch, to, from, why))) return { done: true, worktree };
  // The branch moved between the check and the swap: put its files back as they were.
  if (worktree) await switchFiles(worktree, to, from).catch(() => undefined);
  return moved();
}
