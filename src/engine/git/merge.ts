/** Merging a stream's branch into the base branch, and undoing it. */
import { git, lines, refusal, runGit } from "./run.js";

export type MergeOutcome =
  | { ok: true; commit: string }
  | { ok: false; conflicts: string[]; message: string };

/**
 * `git merge --no-ff <branch> -m <message>` in the main worktree. On a conflict the merge is
 * aborted (`git merge --abort`) before returning, leaving the worktree as it was.
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

/**
 * Moves the checked-out branch back to `commit` with `git reset --keep`, which refuses rather
 * than discard a local change. Returns git's reason when it refused.
 */
export async function resetKeep(mainRoot: string, commit: string): Promise<string | undefined> {
  const result = await runGit(mainRoot, ["reset", "--keep", commit]);
  return refusal(result);
}

/** `git branch -d`: deletes a branch only when it is merged. Returns git's reason when it refused. */
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
