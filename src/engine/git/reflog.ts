/**
 * Commits that only a reflog still holds: an agent that force-reset its branch, or committed on a
 * detached HEAD in its worktree, left them there. `git branch -d` deletes the branch's reflog and
 * `git worktree remove` the worktree's own HEAD reflog, so these are read before either runs.
 */
import { git, lines, runGit } from "./run.js";

/**
 * A reflog's entries, newest first: the commit and what moved the ref there (`merge <branch>:
 * ...`, `commit: ...`, `clone: from ...`); none when it has no reflog.
 */
export async function reflogEntries(
  cwd: string,
  ref: string,
): Promise<{ commit: string; subject: string }[]> {
  const result = await runGit(cwd, [
    "log",
    "--walk-reflogs",
    "--format=%H %gs",
    "--end-of-options",
    ref,
    "--",
  ]);
  if (result.exitCode !== 0) return [];
  return lines(result.stdout).map((line) => {
    const space = line.indexOf(" ");
    return space < 0
      ? { commit: line, subject: "" }
      : { commit: line.slice(0, space), subject: line.slice(space + 1) };
  });
}

/** The commits a reflog has recorded, each once, newest first; none when it has no reflog. */
export async function reflogCommits(cwd: string, ref: string): Promise<string[]> {
  return [...new Set((await reflogEntries(cwd, ref)).map((entry) => entry.commit))];
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
