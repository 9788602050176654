/** Worktrees: list, create, inspect and (only when clean) remove. */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { worktreeStatus } from "./diff.js";
import { git, refusal, runGit } from "./run.js";

export interface WorktreeInfo {
  path: string;
  head?: string;
  /** Short branch name, when a branch is checked out. */
  branch?: string;
  bare: boolean;
  detached: boolean;
}

/** `git worktree list --porcelain`, the main worktree first. */
export async function listWorktrees(cwd: string): Promise<WorktreeInfo[]> {
  const out = await git(cwd, ["worktree", "list", "--porcelain"]);
  const result: WorktreeInfo[] = [];
  let current: WorktreeInfo | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("worktree ")) {
      current = { path: path.resolve(line.slice(9)), bare: false, detached: false };
      result.push(current);
    } else if (current && line.startsWith("HEAD ")) current.head = line.slice(5);
    else if (current && line.startsWith("branch "))
      current.branch = line.slice(7).replace(/^refs\/heads\//, "");
    else if (current && line === "bare") current.bare = true;
    else if (current && line === "detached") current.detached = true;
  }
  return result;
}

/**
 * The real path of `folder` (relative to `mainRoot`) when it is one of the repository's linked
 * worktrees (not the main one); undefined for any other folder, or none. A state file may name
 * any folder as a stream's worktree: only this repository's own are looked into or removed.
 */
export async function linkedWorktree(
  mainRoot: string,
  folder: string,
): Promise<string | undefined> {
  const real = (at: string) => fsp.realpath(at).catch(() => undefined);
  const wanted = await real(path.resolve(mainRoot, folder));
  if (wanted === undefined) return undefined;
  for (const w of (await listWorktrees(mainRoot)).slice(1)) {
    if ((await real(w.path)) === wanted) return wanted;
  }
  return undefined;
}

/**
 * The worktree (the main one included) at `folder`, a path relative to `cwd` (the main worktree
 * root, for a path the state file records), compared as real paths.
 */
export async function findWorktree(cwd: string, folder: string): Promise<WorktreeInfo | undefined> {
  const real = (at: string) => fsp.realpath(at).catch(() => at);
  const wanted = await real(path.resolve(cwd, folder));
  for (const w of await listWorktrees(cwd)) {
    if (w.path === wanted || (await real(w.path)) === wanted) return w;
  }
  return undefined;
}

/**
 * Adds a worktree at `folder`: on a new branch made from `base` when `newBranch`, else on the
 * existing `branch`.
 */
export async function createWorktree(
  mainRoot: string,
  folder: string,
  branch: string,
  options: { newBranch: true; base: string } | { newBranch: false },
): Promise<void> {
  const args = options.newBranch
    ? ["worktree", "add", "-b", branch, "--", folder, options.base]
    : ["worktree", "add", "--", folder, branch];
  await git(mainRoot, args);
}

export interface WorktreeChanges {
  /** Paths with staged or unstaged changes to tracked files. */
  modified: string[];
  /** Untracked paths (ignored ones excluded). */
  untracked: string[];
}

/** What is not committed in a worktree (`git status`). */
export async function worktreeChanges(worktree: string): Promise<WorktreeChanges> {
  const entries = await worktreeStatus(worktree);
  return {
    modified: entries.filter((e) => !e.untracked).map((e) => e.path),
    untracked: entries.filter((e) => e.untracked).map((e) => e.path),
  };
}

export const isClean = (changes: WorktreeChanges): boolean =>
  changes.modified.length === 0 && changes.untracked.length === 0;

/**
 * The ignored paths of a worktree as its ignore rules match them (`git status
 * --ignored=matching`): a directory that a rule matches as a whole is one entry ending in "/",
 * and git does not look inside it (so `node_modules/` costs one line); any other ignored file is
 * listed on its own. Repository-relative POSIX paths.
 */
export async function ignoredEntries(worktree: string): Promise<string[]> {
  const out = await git(worktree, [
    "status",
    "--porcelain=v1",
    "-z",
    "--ignored=matching",
    "--untracked-files=normal",
    "--ignore-submodules=all",
  ]);
  return out
    .split("\0")
    .filter((record) => record.startsWith("!! "))
    .map((record) => record.slice(3));
}

/**
 * The untracked files of a worktree that its ignore rules ignore, among `paths` (files, or
 * folders for every such file inside them; symbolic links not followed), repository-relative.
 */
export async function ignoredAmong(worktree: string, paths: readonly string[]): Promise<string[]> {
  const out = await git(worktree, [
    "ls-files",
    "-z",
    "--others",
    "--ignored",
    "--exclude-standard",
    "--",
    ...paths.map((entry) => `:(literal)${entry}`),
  ]);
  return out.split("\0").filter((p) => p !== "");
}

/** Every ignored file inside the ignored directory `dir` of a worktree (symbolic links not followed). */
export const ignoredFilesIn = (worktree: string, dir: string): Promise<string[]> =>
  ignoredAmong(worktree, [dir]);

/**
 * Removes a worktree without `--force`: git itself refuses one with uncommitted or untracked
 * changes. Returns git's reason when it refused. Git refuses any worktree with a submodule
 * checked out, however clean, but with `--force` (which removes changes too): `submodules` says
 * the caller has looked into the worktree and its submodules, and nothing there can be lost.
 */
export async function removeWorktree(
  mainRoot: string,
  folder: string,
  options: { submodules?: boolean } = {},
): Promise<string | undefined> {
  const force = options.submodules ? ["--force"] : [];
  const result = await runGit(mainRoot, ["worktree", "remove", ...force, "--", folder]);
  return refusal(result);
}
