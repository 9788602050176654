/**
 * Each stream worktree gets `.claude/state` (the plan's `state_dir`) as a symbolic link to the
 * shared state directory, so scripts that use the relative path from any worktree all see the
 * same files; the link is listed in `.git/info/exclude`.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { excludeFromGit } from "../init.js";
import { DEFAULT_STATE_DIR } from "../state/locate.js";

/** Where the link goes inside a worktree: the plan's state_dir when it is inside the repository. */
export function linkLocation(planStateDir: string): string {
  const relative = path.normalize(planStateDir);
  return relative.startsWith("..") || path.isAbsolute(relative) ? DEFAULT_STATE_DIR : relative;
}

/**
 * Makes the link, or leaves a correct one as it is. Returns a warning when something else is in
 * the way (it is never replaced).
 */
export async function linkStateDir(
  mainRoot: string,
  worktree: string,
  stateDir: string,
  planStateDir: string,
): Promise<string | undefined> {
  const relative = linkLocation(planStateDir);
  const link = path.join(worktree, relative);
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
