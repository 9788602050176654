/**
 * Submodules in a stream's worktree. `git worktree add` leaves every submodule empty: each
 * linked worktree has copies of its own (under `.git/worktrees/<name>/modules`), made only by a
 * `git submodule update` there. Tower checks out the ones the repository has active (those the
 * main worktree has checked out: their URL is in the shared config), and nested ones within
 * them, through git with the user's own configuration (a submodule from a local path needs
 * `protocol.file.allow`, as git asks of any clone of it).
 *
 * What a worktree's submodule holds is lost with the worktree: its changes, and its commits, which
 * only that worktree's copy of the submodule has until they are pushed or fetched elsewhere.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { reflogCommits } from "./reflog.js";
import { git, lines, refusal, runGit, runGitHere } from "./run.js";

const hasSubmodules = (worktree: string) => existsSync(path.join(worktree, ".gitmodules"));

/** The checked-out submodules of a worktree (paths from its root), nested ones after theirs. */
export async function checkedOutSubmodules(
  worktree: string,
  options: { recursive?: boolean } = {},
): Promise<string[]> {
  if (!hasSubmodules(worktree)) return [];
  const out = await git(worktree, [
    "submodule",
    "foreach",
    "--quiet",
    ...(options.recursive === false ? [] : ["--recursive"]),
    'printf "%s\\0" "$displaypath"',
  ]);
  return out.split("\0").filter((entry) => entry !== "");
}

/**
 * Checks out the submodules of a new worktree that the repository has active, then the nested
 * ones within them. Git's reason when it could not (a URL it cannot reach, a transport its
 * configuration refuses) as a warning; nothing is checked out against the user's configuration.
 */
export async function checkOutSubmodules(worktree: string): Promise<string | undefined> {
  if (!hasSubmodules(worktree)) return undefined;
  const failed = (why: string) =>
    `${worktree}: its submodules are not all checked out (git submodule update: ${why.length > 300 ? `${why.slice(0, 300)}...` : why}): run git submodule update --init --recursive in ${worktree}`;
  // From this process, not the server's git helper (run.ts): a clone over the network may take
  // minutes, and the helper's few places are for the room's quick commands.
  const top = refusal(await runGitHere(worktree, ["submodule", "update", "--quiet"]));
  if (top) return failed(top);
  const active = await checkedOutSubmodules(worktree, { recursive: false });
  if (active.length === 0) return undefined;
  const nested = refusal(
    await runGitHere(worktree, [
      "submodule",
      "update",
      "--quiet",
      "--init",
      "--recursive",
      "--",
      ...active,
    ]),
  );
  return nested ? failed(nested) : undefined;
}

export interface SubmoduleCommits {
  /** How many commits only this copy of the submodule has. */
  count: number;
  /** The tips among them (the commits to rescue). */
  tips: string[];
}

/**
 * The commits that only the submodule checked out at `dir` holds: those its HEAD, its branches or
 * its HEAD's reflog reach that no remote-tracking branch of it reaches, unless a ref of the main
 * worktree's checkout of the same submodule (`mainDir`) reaches them.
 */
export async function submoduleCommitsOnlyHere(
  dir: string,
  mainDir: string,
): Promise<SubmoduleCommits> {
  const starts = [...new Set([...(await reflogCommits(dir, "HEAD")), "HEAD"])];
  const only = lines(
    await git(dir, ["rev-list", ...starts, "--branches", "--not", "--remotes", "--"]),
  );
  if (only.length === 0) return { count: 0, tips: [] };
  const tips =
    only.length === 1 ? only : lines(await git(dir, ["merge-base", "--independent", ...only]));
  const unsafe: string[] = [];
  for (const tip of tips) {
    const kept =
      existsSync(path.join(mainDir, ".git")) &&
      (await runGit(mainDir, ["for-each-ref", "--count=1", "--contains", tip])).stdout.trim() !==
        "";
    if (!kept) unsafe.push(tip);
  }
  if (unsafe.length === 0) return { count: 0, tips: [] };
  const count = lines(await git(dir, ["rev-list", ...unsafe, "--not", "--remotes", "--"])).length;
  return { count, tips: unsafe };
}
