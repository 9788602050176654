/**
 * Commits that only a reflog still holds: an agent that force-reset its branch, or committed on a
 * detached HEAD in its worktree, left them there. `git branch -d` deletes the branch's reflog and
 * `git worktree remove` the worktree's own HEAD reflog, so these are read before either runs.
 */
import { git, lines, runGit } from "./run.js";

/** The commits a reflog has recorded, each once, newest first; none when it has no reflog. */
export async function reflogCommits(cwd: string, ref: string): Promise<string[]> {
  const result = await runGit(cwd, [
    "log",
    "--walk-reflogs",
    "--format=%H",
    "--end-of-options",
    ref,
    "--",
  ]);
  if (result.exitCode !== 0) return [];
  return [...new Set(lines(result.stdout))];
}

/**
 * Those of `commits` that no branch, tag or remote-tracking branch reaches, leaving out
 * `exceptBranch` (the one about to be deleted), and `base` reached or not.
 */
export async function commitsOnlyInReflogs(
  cwd: string,
  commits: readonly string[],
  base: string,
  exceptBranch: string,
): Promise<string[]> {
  if (commits.length === 0) return [];
  const out = await git(cwd, [
    "rev-list",
    ...commits,
    "--not",
    `refs/heads/${base}`,
    `--exclude=${exceptBranch}`,
    "--branches",
    "--tags",
    "--remotes",
    "--",
  ]);
  const unreached = new Set(lines(out));
  return commits.filter((c) => unreached.has(c));
}

/** Of `commits`, those that none of the others reaches: the tips to rescue. */
export async function independentCommits(
  cwd: string,
  commits: readonly string[],
): Promise<string[]> {
  if (commits.length <= 1) return [...commits];
  return lines(await git(cwd, ["merge-base", "--independent", ...commits]));
}

/** `<short sha> <subject>` of a commit. */
export async function describeCommit(cwd: string, commit: string): Promise<string> {
  return (
    await git(cwd, [
      "show",
      "-s",
      "--format=%h %s",
      "--abbrev=10",
      "--end-of-options",
      commit,
      "--",
    ])
  ).trim();
}
