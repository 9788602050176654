/**
 * Git hooks per worktree: Tower's pre-commit guard is set for stream worktrees only, with
 * `core.hooksPath` in the worktree's own configuration (`extensions.worktreeConfig`), so the main
 * worktree and the user's other worktrees keep the repository's hooks as they are.
 */
import { type GitOptions, git, lines, runGit } from "./run.js";

/**
 * `git config` that writes: git takes the config file's lock and fails at once when another
 * writer holds it (`tower start` and the room installing the guard of the same worktree at the
 * same moment). Such a failure is tried again for a while; any other is thrown.
 */
async function writeConfig(cwd: string, args: readonly string[], options: GitOptions = {}) {
  for (let attempt = 0; ; attempt++) {
    const result = await runGit(cwd, ["config", ...args], options);
    if (result.exitCode === 0) return;
    const locked = /could not lock config file/i.test(result.stderr);
    if (!locked || attempt >= 40) {
      throw new Error(`git config ${args.join(" ")} failed in ${cwd}: ${result.stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
  }
}

/** Turns on per-worktree configuration (`git config extensions.worktreeConfig true`) if it is off. */
export async function enableWorktreeConfig(cwd: string): Promise<void> {
  const current = await runGit(cwd, ["config", "--local", "--get", "extensions.worktreeConfig"]);
  if (current.stdout.trim() === "true") return;
  await writeConfig(cwd, ["--local", "extensions.worktreeConfig", "true"]);
}

/** The worktree's own `core.hooksPath` (its config.worktree), if any. */
export async function worktreeHooksPath(worktree: string): Promise<string | undefined> {
  const result = await runGit(worktree, ["config", "--worktree", "--get", "core.hooksPath"], {
    allowHooksPath: true,
  });
  return result.exitCode === 0 ? result.stdout.trim() || undefined : undefined;
}

export async function setWorktreeHooksPath(worktree: string, folder: string): Promise<void> {
  await writeConfig(worktree, ["--worktree", "core.hooksPath", folder], { allowHooksPath: true });
}

export async function unsetWorktreeHooksPath(worktree: string): Promise<void> {
  const result = await runGit(worktree, ["config", "--worktree", "--unset", "core.hooksPath"], {
    allowHooksPath: true,
  });
  // Exit 5: nothing to unset.
  if (result.exitCode !== 0 && result.exitCode !== 5) {
    throw new Error(`cannot remove core.hooksPath in ${worktree}: ${result.stderr.trim()}`);
  }
}

/**
 * Files the next commit in `worktree` would change (added, modified, deleted; both sides of a
 * rename), repository-relative; with `against`, the files where the next commit would differ
 * from that commit instead.
 */
export async function stagedFiles(worktree: string, against?: string): Promise<string[]> {
  const args = ["diff", "--cached", "--name-only", "-z", "--no-renames"];
  const out = await git(worktree, against ? [...args, against, "--"] : args, {
    allowEnvironment: ["GIT_INDEX_FILE"],
  });
  return out.split("\0").filter((file) => file !== "");
}

/** The top of the worktree that holds `cwd`. */
export async function worktreeTop(cwd: string): Promise<string> {
  return lines(await git(cwd, ["rev-parse", "--show-toplevel"]))[0] ?? cwd;
}
