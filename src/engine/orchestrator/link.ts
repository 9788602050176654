/**
 * Each stream worktree gets `.claude/state` (the plan's `state_dir`) as a symbolic link to the
 * shared state directory, so scripts that use the relative path from any worktree all see the
 * same files; the link is listed in `.git/info/exclude`.
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
  await excludeFromGit(mainRoot, relative);
  try {
    const stat = await fsp.lstat(link);
    if (
      stat.isSymbolicLink() &&
      path.resolve(path.dirname(link), await fsp.readlink(link)) === path.resolve(stateDir)
    ) {
      return undefined;
    }
    return `${link} already exists and is not a link to ${stateDir}: left as it is (scripts in this worktree will not see the shared state there)`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await fsp.mkdir(path.dirname(link), { recursive: true });
  await fsp.mkdir(stateDir, { recursive: true });
  await fsp.symlink(stateDir, link, "dir");
  return undefined;
}
