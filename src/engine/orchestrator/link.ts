/**
 * Each stream worktree gets `.claude/state` (the plan's `state_dir`) as a symbolic link to the
 * shared state directory, so scripts that use the relative path from any worktree all see the
 * same files; the link is listed in `.git/info/exclude` when Tower makes it or finds it there
 * (something else in its place is left as it is, and not hidden from git).
 *
 * It is the one link Tower accepts on the way to its state (locate.ts), and only while it points
 * at the shared directory. The folders it goes in must be real folders of the worktree: a
 * committed `.claude` that is itself a link would put the link, and the folders made for it,
 * somewhere else.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { excludeFromGit } from "../init.js";
import { DEFAULT_STATE_DIR, verifyStateDir } from "../state/locate.js";
import { StateFileError } from "../state/safe-fs.js";

/** Where the link goes inside a worktree: the plan's state_dir when it is inside the repository. */
export function linkLocation(planStateDir: string): string {
  const relative = path.normalize(planStateDir);
  const outside =
    relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  return outside ? DEFAULT_STATE_DIR : relative;
}

/**
 * Is `link` Tower's link to the shared state directory `stateDir` (lstat: a symbolic link, and
 * it points there)? Anything else in its place (a folder, a file, a link elsewhere) is not
 * Tower's, whatever its name.
 */
export async function isStateLink(link: string, stateDir: string): Promise<boolean> {
  try {
    if (!(await fsp.lstat(link)).isSymbolicLink()) return false;
    return path.resolve(path.dirname(link), await fsp.readlink(link)) === path.resolve(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Tower's link in `worktree`, as a worktree-relative POSIX path (the way git names it), when
 * the plan's place for it holds that link; undefined when it holds anything else or nothing.
 */
export async function ownStateLink(
  worktree: string,
  stateDir: string,
  planStateDir: string,
): Promise<string | undefined> {
  const relative = linkLocation(planStateDir);
  if (!(await isStateLink(path.join(worktree, relative), stateDir))) return undefined;
  return relative.split(path.sep).join("/").replace(/\/+$/, "");
}

/**
 * Makes the link, or leaves a correct one as it is. Returns a warning when something else is in
 * the way (it is never replaced), or when a folder on the way to it is a link.
 */
export async function linkStateDir(
  mainRoot: string,
  worktree: string,
  stateDir: string,
  planStateDir: string,
): Promise<string | undefined> {
  const relative = linkLocation(planStateDir);
  const link = path.join(worktree, relative);
  try {
    await verifyStateDir(path.dirname(link), { root: worktree });
    await verifyStateDir(stateDir, { root: mainRoot });
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    return `${error.message}; Tower did not link ${link} to the shared state (scripts in this worktree will not see it there)`;
  }
  if (await isStateLink(link, stateDir)) {
    await excludeFromGit(mainRoot, relative);
    return undefined;
  }
  try {
    await fsp.lstat(link);
    // Not listed in the exclude file either: what is there is not Tower's to hide from git.
    return `${link} already exists and is not a link to ${stateDir}: left as it is (scripts in this worktree will not see the shared state there)`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await excludeFromGit(mainRoot, relative);
  await fsp.mkdir(path.dirname(link), { recursive: true });
  await fsp.mkdir(stateDir, { recursive: true });
  await fsp.symlink(stateDir, link, "dir");
  return undefined;
}
