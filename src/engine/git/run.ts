/**
 * The one way Tower runs git: simple-git's `raw`, with an error hook that records the exit code
 * and stderr and lets the call resolve, so every caller sees both. (simple-git alone treats a
 * non-zero exit with empty stderr as success, which is exactly how `git merge-tree` reports a
 * conflict.)
 */
import { simpleGit } from "simple-git";

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

export interface GitOptions {
  /**
   * GIT_* variables of this process that git may see (simple-git removes all of them by default).
   * A git hook's own calls need GIT_INDEX_FILE: during `git commit -a` the commit's index is not
   * the usual one.
   */
  allowEnvironment?: string[];
  /** Lets a command set `core.hooksPath` (simple-git refuses it by default). */
  allowHooksPath?: boolean;
  /** Variables for this git only, over this process's (GIT_* ones must be in allowEnvironment). */
  env?: Record<string, string>;
}

/** How `runGit` runs git: from this process (`runGitHere`) unless a process installs another. */
export type GitRunner = (
  cwd: string,
  args: readonly string[],
  options: GitOptions,
) => Promise<GitResult>;

let runner: GitRunner | undefined;

/**
 * Makes every later `runGit` of this process go through `next` (undefined: back to this
 * process). The server runs its git from a helper process (git-process.ts).
 */
export function setGitRunner(next: GitRunner | undefined): void {
  runner = next;
}

/** Runs git in `cwd`; resolves with output and exit code, rejects only when git cannot run. */
export function runGit(
  cwd: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<GitResult> {
  return (runner ?? runGitHere)(cwd, args, options);
}

/** `runGit` from this process. */
export async function runGitHere(
  cwd: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<GitResult> {
  let exitCode = 0;
  let stderr = "";
  const git = simpleGit({
    baseDir: cwd,
    ...(options.allowEnvironment && { allowEnvironment: options.allowEnvironment }),
    ...(options.allowHooksPath && { unsafe: { allowUnsafeHooksPath: true } }),
    // Resolve when git's output pipes close, not 50 ms after it exits: under load the default
    // lost the tail of large outputs (a `git diff` cut at a 4 KiB boundary).
    completion: { onClose: true, onExit: false },
    errors(error, result) {
      exitCode = result.exitCode;
      stderr = Buffer.concat(result.stdErr).toString("utf8");
      // A spawn failure (no git, no folder) stays an error; a git exit code is data.
      if (error instanceof Error && result.exitCode === 0 && result.stdErr.length === 0)
        return error;
      return undefined;
    },
  });
  if (options.env) {
    const env: Record<string, string> = {};
    // Without the variables simple-git refuses in an environment given to it (GIT_* ones,
    // which it takes away from this process's in any case, and those naming an editor, a pager
    // or a prompt): no command given this option opens any of them.
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined && !/^(git_.*|editor|visual|pager|ssh_askpass|prefix)$/i.test(key))
        env[key] = value;
    git.env({ ...env, ...options.env });
  }
  try {
    const stdout = await git.raw(["--no-optional-locks", ...args]);
    return { stdout, stderr, exitCode };
  } catch (error) {
    throw new GitError(
      `cannot run git ${args.join(" ")} in ${cwd}: ${(error as Error).message}`,
      args,
      stderr,
      null,
    );
  }
}

/** Runs git and returns stdout, throwing a GitError that carries git's own message on failure. */
export async function git(
  cwd: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<string> {
  const result = await runGit(cwd, args, options);
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

/** The lines of a command's output, without the empty last one. */
export const lines = (text: string): string[] => text.split("\n").filter((line) => line !== "");

/** Undefined when git succeeded; else git's own reason, for commands that may refuse. */
export function refusal(result: GitResult): string | undefined {
  return result.exitCode === 0
    ? undefined
    : lines(result.stderr).join(" ") || `exit code ${result.exitCode}`;
}
