/**
 * `.worktreeinclude`: the ignored files of the main worktree a new stream worktree gets copies
 * of. `git worktree add` checks out tracked files only, and an agent without the project's `.env`
 * or local configuration cannot run what it changes. The file is Claude Code's (Codex,
 * ccmanager and others read it too): patterns in .gitignore's syntax, at the repository's root;
 * a file is copied when a pattern names it and git ignores it, so nothing tracked is duplicated.
 *
 * Copied are regular files only (a link is not followed), from folders of the main worktree
 * (git lists none behind a link), to the same path in the new worktree, never over anything
 * there and never through a link the worktree has on the way (a tracked link out of the
 * repository): such a file is not copied, and the start says so. The copy keeps the file's mode.
 *
 * After a merge, a copy that is still as the main worktree's file is not work (cleanup.ts).
 */
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { git, ignoredAmong } from "./git/index.js";
import { firstFive, plural } from "./plural.js";

export const WORKTREE_INCLUDE = ".worktreeinclude";

/** Paths given to one `git ls-files` at most (the rest in the next). */
const CHECK_AT_ONCE = 500;

export interface IncludeCopy {
  /** The files copied (paths from the root), in order. */
  copied: string[];
  /** Files named but not copied, each with why. */
  warnings: string[];
}

/** The untracked files of the main worktree that `.worktreeinclude` names and git ignores. */
export async function includedFiles(mainRoot: string): Promise<string[]> {
  const file = path.join(mainRoot, WORKTREE_INCLUDE);
  const stat = await fsp.lstat(file).catch(() => undefined);
  if (!stat?.isFile()) return [];
  const named = (
    await git(mainRoot, ["ls-files", "-z", "--others", "--ignored", `--exclude-from=${file}`])
  )
    .split("\0")
    .filter((entry) => entry !== "");
  // Of those, the ones git ignores by the repository's own rules.
  const ignored: string[] = [];
  for (let i = 0; i < named.length; i += CHECK_AT_ONCE)
    ignored.push(...(await ignoredAmong(mainRoot, named.slice(i, i + CHECK_AT_ONCE))));
  return [...new Set(ignored)].sort();
}

/**
 * Why `relative` cannot be written in `worktree` (a folder on its way that is a link or not a
 * folder, or something already there), or undefined when it can; makes the missing folders.
 */
async function placeFor(worktree: string, relative: string): Promise<string | undefined> {
  const parts = relative.split("/");
  let at = worktree;
  for (const [i, part] of parts.entries()) {
    at = path.join(at, part);
    const stat = await fsp.lstat(at).catch(() => undefined);
    const shown = parts.slice(0, i + 1).join("/");
    if (i === parts.length - 1) return stat ? `the stream's worktree has ${shown}` : undefined;
    if (!stat) await fsp.mkdir(at);
    else if (stat.isSymbolicLink()) return `${shown} is a link in the stream's worktree`;
    else if (!stat.isDirectory()) return `${shown} is not a folder in the stream's worktree`;
  }
  return undefined;
}

/** Copies into the new `worktree` the files `.worktreeinclude` names (see the module comment). */
export async function copyIncluded(mainRoot: string, worktree: string): Promise<IncludeCopy> {
  const copied: string[] = [];
  const warnings: string[] = [];
  for (const relative of await includedFiles(mainRoot)) {
    const source = path.join(mainRoot, relative);
    if (!(await fsp.lstat(source).catch(() => undefined))?.isFile()) continue;
    const why = await placeFor(worktree, relative);
    if (why !== undefined) {
      // A file the branch has (tracked there) is the branch's: no word about it.
      if (!why.startsWith("the stream's worktree has"))
        warnings.push(`${relative} (${WORKTREE_INCLUDE}) not copied: ${why}`);
      continue;
    }
    try {
      await fsp.copyFile(source, path.join(worktree, relative), constants.COPYFILE_EXCL);
      copied.push(relative);
    } catch (error) {
      warnings.push(
        `${relative} (${WORKTREE_INCLUDE}) not copied: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  return { copied, warnings };
}

/**
 * Whether `relative` in `worktree` is a regular file with the same bytes as the main worktree's
 * regular file at that path: one that can be had again from there.
 */
export async function sameAsMain(
  mainRoot: string,
  worktree: string,
  relative: string,
): Promise<boolean> {
  const [ours, theirs] = await Promise.all(
    [worktree, mainRoot].map((root) => fsp.lstat(path.join(root, relative)).catch(() => undefined)),
  );
  if (!ours?.isFile() || !theirs?.isFile() || ours.size !== theirs.size) return false;
  const [a, b] = await Promise.all(
    [worktree, mainRoot].map((root) => fsp.readFile(path.join(root, relative))),
  );
  return (a as Buffer).equals(b as Buffer);
}

/** What a start copied, in a sentence (undefined when nothing). */
export function copiedText(copied: readonly string[]): string | undefined {
  if (copied.length === 0) return undefined;
  return `copied ${plural(copied.length, "file")} named in ${WORKTREE_INCLUDE} from the main worktree (${firstFive(copied)})`;
}
