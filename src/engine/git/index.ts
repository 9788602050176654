/**
 * Git, called from one place. This module holds the few read-only queries the foundation needs;
 * worktree creation, merging and conflict prediction join it as named functions.
 */
import { execFile } from "node:child_process";
import path from "node:path";

export class GitError extends Error {
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = "GitError";
  }
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs git and resolves with its output and exit code; rejects only when git cannot be run. */
export function runGit(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...args],
      { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(new GitError(`cannot run git: ${error.message}`, args, String(stderr), null));
          return;
        }
        resolve({
          stdout: String(stdout),
          stderr: String(stderr),
          exitCode: error ? Number(error.code) : 0,
        });
      },
    );
  });
}

/** Runs git and returns stdout, throwing a GitError that carries git's own message on failure. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const result = await runGit(cwd, args);
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split("\n")[0] || `exit code ${result.exitCode}`;
    throw new GitError(
      `git ${args.join(" ")} failed: ${detail}`,
      args,
      result.stderr,
      result.exitCode,
    );
  }
  return result.stdout;
}

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
  ]);
  if (result.exitCode !== 0) {
    throw new GitError(
      `${cwd} is not inside a git repository: run tower from your project's repository (or \`git init\` first)`,
      ["rev-parse"],
      result.stderr,
      result.exitCode,
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
