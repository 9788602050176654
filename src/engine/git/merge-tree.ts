/**
 * Merges predicted in the object database alone: `git merge-tree --write-tree` computes the
 * merged tree of two commits and `git commit-tree` wraps a tree in a commit so that merges can be
 * chained. Neither touches a ref, the index or a working tree; they only add objects, which
 * nothing references (git gc removes them in time).
 */
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
