/** Merging a stream's branch into the base branch, and what a merge commit is made of. */
import { git, lines, refusal, runGit } from "./run.js";

export type MergeOutcome =
  | { ok: true; commit: string }
  | { ok: false; conflicts: string[]; message: string };

/**
 * `git merge --no-ff <branch> -m <message>` in the main worktree. On a conflict the merge is
 * aborted (`git merge --abort`) before returning, leaving the worktree as it was. `commit` is the
 * worktree's HEAD afterwards: the caller checks which branch got it, since the user may have
 * checked out another one meanwhile.
 */
export async function mergeNoFf(
  mainRoot: string,
  branch: string,
  message: string,
): Promise<MergeOutcome> {
  const result = await runGit(mainRoot, [
    "merge",
    "--no-ff",
    "--no-edit",
    "-m",
    message,
    "--end-of-options",
    branch,
  ]);
  if (result.exitCode === 0) {
    return { ok: true, commit: (await git(mainRoot, ["rev-parse", "HEAD"])).trim() };
  }
  const conflicts = lines(await git(mainRoot, ["diff", "--name-only", "--diff-filter=U"]));
  const inMerge =
    (await runGit(mainRoot, ["rev-parse", "--verify", "--quiet", "MERGE_HEAD"])).exitCode === 0;
  if (inMerge) await git(mainRoot, ["merge", "--abort"]);
  const message_ = lines(`${result.stdout}\n${result.stderr}`).filter((l) =>
    /CONFLICT|error|fatal/i.test(l),
  );
  return {
    ok: false,
    conflicts,
    message: message_.join("; ") || `git merge exited with ${result.exitCode}`,
  };
}

/** The parents of a commit, first parent first. */
export async function commitParents(cwd: string, commit: string): Promise<string[]> {
  const out = await git(cwd, ["show", "-s", "--format=%P", "--end-of-options", commit, "--"]);
  return out
    .trim()
    .split(" ")
    .filter((p) => p !== "");
}

/** Is `ancestor` reachable from `descendant` (or the same commit)? */
export async function isAncestor(
  cwd: string,
  ancestor: string,
  descendant: string,
): Promise<boolean> {
  const result = await runGit(cwd, [
    "merge-base",
    "--is-ancestor",
    "--end-of-options",
    ancestor,
    descendant,
  ]);
  if (result.exitCode === 0) return true;
  if (result.exitCode === 1) return false;
  throw new Error(
    `git merge-base --is-ancestor ${ancestor} ${descendant} failed in ${cwd}: ${refusal(result)}`,
  );
}

/** How many commits `to` has that `from` does not (`git rev-list --count from..to`). */
export async function commitsBetween(cwd: string, from: string, to: string): Promise<number> {
  return Number((await git(cwd, ["rev-list", "--count", `${from}..${to}`, "--"])).trim());
}

/**
 * `git branch -d`: deletes a branch only when it is merged into the checked-out HEAD. Returns
 * git's reason when it refused. Callers check first that it is merged into the base, since the
 * main worktree may have another branch checked out.
 */
export async function deleteMergedBranch(
  mainRoot: string,
  branch: string,
): Promise<string | undefined> {
  const result = await runGit(mainRoot, ["branch", "-d", "--", branch]);
  return refusal(result);
}

export async function headCommit(cwd: string): Promise<string> {
  return (await git(cwd, ["rev-parse", "HEAD"])).trim();
}
