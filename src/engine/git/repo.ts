/** Where the repository is, and what is checked out. */
import path from "node:path";
import { GitError, git, runGit } from "./run.js";

export interface RepoLocation {
  /** Root of the worktree that holds `cwd` (the main worktree or a linked one). */
  worktreeRoot: string;
  /** Root of the main worktree, where `streams.yaml` and the shared state live. */
  mainRoot: string;
}

/**
 * Finds the current worktree and the main worktree from any folder inside either. The main
 * worktree is the one that owns the common git directory (`git rev-parse --git-common-dir`).
 */
export async function locateRepo(cwd: string): Promise<RepoLocation> {
  const result = await runGit(cwd, [
    "rev-parse",
    "--path-format=absolute",
    "--show-toplevel",
    "--git-common-dir",
  ]).catch(() => undefined);
  if (result?.exitCode !== 0) {
    throw new GitError(
      `${cwd} is not inside a git repository: run tower from your project's repository (or \`git init\` first)`,
      ["rev-parse"],
      result?.stderr ?? "",
      result?.exitCode ?? null,
    );
  }
  const [worktreeRoot, commonDir] = result.stdout.trim().split("\n");
  if (!worktreeRoot || !commonDir) {
    throw new GitError(`cannot locate the repository from ${cwd}`, ["rev-parse"], result.stderr, 0);
  }
  const mainRoot = path.basename(commonDir) === ".git" ? path.dirname(commonDir) : worktreeRoot;
  return { worktreeRoot: path.resolve(worktreeRoot), mainRoot: path.resolve(mainRoot) };
}

/** The branch checked out in a worktree, or undefined on a detached HEAD. */
export async function currentBranch(worktreeRoot: string): Promise<string | undefined> {
  const result = await runGit(worktreeRoot, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** The path of `.git/info/exclude` shared by all worktrees of the repository. */
export async function infoExcludePath(worktreeRoot: string): Promise<string> {
  const out = await git(worktreeRoot, [
    "rev-parse",
    "--path-format=absolute",
    "--git-path",
    "info/exclude",
  ]);
  return out.trim();
}

/** The commit a ref names, or undefined when it names none (`git rev-parse --verify`). */
export async function resolveCommit(cwd: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith("-")) return undefined;
  const result = await runGit(cwd, [
    "rev-parse",
    "--verify",
    "--quiet",
    "--end-of-options",
    `${ref}^{commit}`,
  ]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** Whether the repository has any commit at all (a new one has none until the first). */
export async function hasAnyCommit(cwd: string): Promise<boolean> {
  const result = await runGit(cwd, ["rev-list", "-n", "1", "--all"]);
  return result.exitCode === 0 && result.stdout.trim() !== "";
}

export async function branchExists(cwd: string, branch: string): Promise<boolean> {
  return (await resolveCommit(cwd, `refs/heads/${branch}`)) !== undefined;
}

/** Is `name` a valid branch name (`git check-ref-format --branch`)? */
export async function isValidBranchName(cwd: string, name: string): Promise<boolean> {
  if (name.startsWith("-")) return false;
  return (await runGit(cwd, ["check-ref-format", "--branch", name])).exitCode === 0;
}

/** A new repository with `branch` checked out, and an identity of its own for commits. */
export async function initRepository(
  dir: string,
  branch: string,
  identity: { name: string; email: string },
): Promise<void> {
  await git(dir, ["init", "-q", "-b", branch]);
  await git(dir, ["config", "user.name", identity.name]);
  await git(dir, ["config", "user.email", identity.email]);
}

/** Stages everything and commits it. */
export async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-q", "-m", message]);
}
