/**
 * Merges predicted in the object database alone: `git merge-tree --write-tree` computes the
 * merged tree of two commits and `git commit-tree` wraps a tree in a commit so that merges can be
 * chained. Neither touches a ref, the index or a working tree; they only add objects, which
 * nothing references (git gc removes them in time).
 */
import { lstatSync, type Stats } from "node:fs";
import path from "node:path";
import { git, lines, runGit } from "./run.js";

export interface MergeTreeResult {
  /** True when git merged without a textual conflict. */
  clean: boolean;
  /** The merged tree (with conflict markers in conflicted files when not clean). */
  tree: string;
  /** The conflicted paths, each once, sorted. */
  conflicts: string[];
}

/** Parses `git merge-tree --write-tree --name-only --no-messages -z` output. */
export function parseMergeTree(stdout: string, exitCode: number): MergeTreeResult {
  const fields = stdout.split("\0");
  const tree = (fields[0] ?? "").trim();
  const conflicts = [...new Set(fields.slice(1).filter((f) => f !== ""))].sort();
  return { clean: exitCode === 0, tree, conflicts };
}

/**
 * Predicts merging `theirs` into `ours` (both commits). Exit code 1 is a conflict and is data;
 * anything else non-zero (an unknown commit, unrelated histories) throws.
 */
export async function mergeTree(
  cwd: string,
  ours: string,
  theirs: string,
): Promise<MergeTreeResult> {
  const args = ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", ours, theirs];
  const result = await runGit(cwd, args);
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    const detail = result.stderr.trim().split("\n")[0] || `exit code ${result.exitCode}`;
    throw new Error(`git merge-tree ${ours} ${theirs} failed in ${cwd}: ${detail}`);
  }
  const parsed = parseMergeTree(result.stdout, result.exitCode);
  if (!/^[0-9a-f]{40,64}$/.test(parsed.tree)) {
    throw new Error(`git merge-tree ${ours} ${theirs} printed no tree in ${cwd}`);
  }
  return parsed;
}

/**
 * A commit object for `tree` with the given parents, referenced by no branch. The identity is
 * fixed so that it works in repositories without user.name, and signing is off.
 */
export async function commitTree(
  cwd: string,
  tree: string,
  parents: readonly string[],
  message: string,
): Promise<string> {
  const out = await git(cwd, [
    "-c",
    "user.name=Tower",
    "-c",
    "user.email=tower@localhost",
    "commit-tree",
    "--no-gpg-sign",
    ...parents.flatMap((p) => ["-p", p]),
    "-m",
    message,
    tree,
  ]);
  const commit = lines(out)[0];
  if (!commit) throw new Error(`git commit-tree printed no commit in ${cwd}`);
  return commit;
}

/**
 * The files in the worktree `cwd` that git does not track and that merging `theirs` into its
 * HEAD would overwrite: at a path the merge adds, anything there (a file, a link, a folder),
 * and on the way to one, anything that is not a folder where the merge needs one (an ignored
 * file `logs` where it puts `logs/today.txt`). git refuses to overwrite an untracked file, but
 * replaces an ignored one without a word (`.env`, a build folder), and an aborted merge or a
 * rollback then deletes it. Predicted with `git merge-tree`, so with conflicts too; paths
 * relative to `cwd`, sorted. Empty when the merge cannot be predicted (git merge says why).
 */
export async function untrackedInTheWay(cwd: string, theirs: string): Promise<string[]> {
  let tree: string;
  try {
    tree = (await mergeTree(cwd, "HEAD", theirs)).tree;
  } catch {
    return [];
  }
  const out = await git(cwd, [
    "diff",
    "--name-status",
    "--no-renames",
    "-z",
    "--diff-filter=AD",
    "HEAD",
    tree,
    "--",
  ]);
  const fields = out.split("\0");
  const added: string[] = [];
  const deleted = new Set<string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [status, file] = [fields[i], fields[i + 1] as string];
    if (status === "A") added.push(file);
    else if (status === "D") deleted.add(file);
  }
  const inTheWay = new Set<string>();
  const looked = new Set<string>();
  for (const file of added) {
    if (there(path.join(cwd, file))) inTheWay.add(file);
    // The folders on its way: a tracked file there is one the merge deletes (git replaces it).
    const parts = file.split("/");
    for (let n = 1; n < parts.length; n++) {
      const folder = parts.slice(0, n).join("/");
      if (looked.has(folder)) continue;
      looked.add(folder);
      const stat = there(path.join(cwd, folder));
      if (stat === undefined) break;
      if (!stat.isDirectory() && !deleted.has(folder)) {
        inTheWay.add(folder);
        break;
      }
    }
  }
  return [...inTheWay].sort();
}

/** What is at `file`, not following a link; undefined for nothing (or a file on its way). */
function there(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}
