/**
 * Where the shared state lives: `<main worktree root>/<state_dir>` (default `.claude/state`),
 * found the same way from the main worktree and from every linked worktree; `TOWER_STATE_DIR`
 * overrides it.
 *
 * Nothing on the way there may be a symbolic link (a repository can carry a committed link that
 * would make Tower write anywhere): every folder from the main worktree root down to the state
 * directory is checked with lstat before files are opened. The one link allowed is the one Tower
 * makes in each stream worktree, used through `TOWER_STATE_DIR`: it must point at the shared
 * directory itself.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { StateFileError, symlinkError } from "./safe-fs.js";

export const DEFAULT_STATE_DIR = ".claude/state";

export function resolveStateDir(
  mainRoot: string,
  planStateDir: string = DEFAULT_STATE_DIR,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const override = env.TOWER_STATE_DIR?.trim();
  if (override) return path.resolve(override);
  return path.resolve(mainRoot, planStateDir);
}

export interface StateDirRules {
  /** The main worktree root: no folder between it and the state directory may be a link. */
  root?: string;
  /** The shared state directory, which a stream worktree's link (Tower's own) must point at. */
  shared?: string;
}

const isInside = (parent: string, child: string): boolean => {
  const relative = path.relative(parent, child);
  return (
    relative !== "" &&
    relative !== ".." &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
};

/** `root/a`, `root/a/b`, ... down to `dir`, or just `dir` when it is not below `root`. */
function foldersTo(dir: string, root: string | undefined): string[] {
  if (root === undefined || !isInside(root, dir)) return [dir];
  const parts = path.relative(root, dir).split(path.sep);
  return parts.map((_, i) => path.join(root, ...parts.slice(0, i + 1)));
}

async function sameFolder(a: string, b: string): Promise<boolean> {
  try {
    return (await fsp.realpath(a)) === (await fsp.realpath(b));
  } catch {
    return false;
  }
}

/**
 * Throws a StateFileError naming the first folder on the way to `dir` that is a symbolic link
 * (other than a link to the shared directory in `dir`'s own place) or not a folder. Folders
 * that do not exist yet are fine: they are created as real folders.
 */
export async function verifyStateDir(dir: string, rules: StateDirRules = {}): Promise<void> {
  const target = path.resolve(dir);
  const root = rules.root === undefined ? undefined : path.resolve(rules.root);
  for (const folder of foldersTo(target, root)) {
    let stat: Awaited<ReturnType<typeof fsp.lstat>>;
    try {
      stat = await fsp.lstat(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (stat.isSymbolicLink()) {
      const shared = rules.shared === undefined ? undefined : path.resolve(rules.shared);
      if (folder === target && shared !== undefined && shared !== target) {
        if (await sameFolder(folder, shared)) {
          await verifyStateDir(shared, { root });
          return;
        }
        const error = await symlinkError(folder);
        throw new StateFileError(
          folder,
          `${error.message} (a stream worktree's link must point at the shared state directory ${shared})`,
        );
      }
      throw await symlinkError(folder);
    }
    if (!stat.isDirectory()) {
      throw new StateFileError(
        folder,
        `${folder} is not a folder: Tower keeps its state in ${target}`,
      );
    }
  }
}

/**
 * Makes the state directory, one folder at a time, inside a repository that exists: from the
 * main worktree's root down when it is known, else at most `dir` and its parent (the default
 * `.claude/state`). A writer that comes late (an agent's exit, a hook, after the repository was
 * removed) gets a StateFileError instead of making the repository again.
 */
export async function makeStateDir(dir: string, root?: string): Promise<void> {
  const target = path.resolve(dir);
  // The usual case, one call: it is there (or only its last folder is missing).
  try {
    await fsp.mkdir(target);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    if (code !== "ENOENT") throw error;
  }
  const base = root === undefined ? undefined : path.resolve(root);
  const inside = base !== undefined && isInside(base, target);
  const folders = inside ? foldersTo(target, base) : [path.dirname(target), target];
  for (const folder of folders) {
    const parent = inside && path.dirname(folder) === base ? "the repository's folder" : undefined;
    await makeFolder(folder, target, parent);
  }
}

/**
 * mkdir of one folder whose parent exists; an existing folder is fine. A missing parent is a
 * StateFileError for `forFile` naming it (`parentIs`: what that parent is).
 */
export async function makeFolder(
  folder: string,
  forFile: string = folder,
  parentIs = "the folder",
): Promise<void> {
  try {
    await fsp.mkdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    if (code !== "ENOENT") throw error;
    throw new StateFileError(
      forFile,
      `${path.dirname(folder)}: ${parentIs} does not exist (removed?): Tower makes its state folder inside a repository, never the repository: nothing was written to ${forFile}`,
    );
  }
}
