/**
 * Which repository's room `tower attach` opens, as `tmux attach` finds its session:
 *
 * - `tower attach <repository>`: the room of the repository that folder belongs to (any folder
 *   of it, a linked worktree's too), from wherever the command runs;
 * - `tower attach` in a repository: that repository's room;
 * - `tower attach` anywhere else: the only room running on this machine, if there is one; with
 *   none or several, an error saying so and naming them (`tower ls` lists them too).
 *
 * `tower` itself (`--start`) never falls back to another repository's room: it opens, or
 * starts, the room of the folder it runs in.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { TargetError } from "../engine/errors.js";
import { mainRootOf } from "../engine/git/main-root.js";
import { listRooms } from "./info.js";

export interface AttachTargetOptions {
  /** The folder the command runs in (default: the process's). */
  cwd?: string;
  /** Outside a repository, the only room running is the one (not for `--start`). */
  fallback?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The main worktree of the repository whose room to open. */
export async function attachRoot(
  repository: string | undefined,
  options: AttachTargetOptions = {},
): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  if (repository !== undefined) {
    const folder = path.resolve(cwd, repository);
    const stat = await fsp.stat(folder).catch(() => undefined);
    if (!stat?.isDirectory()) {
      throw new TargetError(
        `${folder}: no such folder (tower attach [repository] takes a folder of the repository whose room to open)`,
      );
    }
    return mainRootOf(folder);
  }
  try {
    return await mainRootOf(cwd);
  } catch (error) {
    if (!options.fallback) throw error;
    const rooms = await listRooms(options.env);
    const only = rooms.length === 1 ? rooms[0] : undefined;
    if (only) return only.repo;
    if (rooms.length === 0) {
      throw new TargetError(
        `${cwd} is not inside a git repository, and no Tower server runs on this machine: run \`tower\` in your project's repository`,
      );
    }
    const names = rooms.map((r) => `  ${r.repo}`).join("\n");
    throw new TargetError(
      `${cwd} is not inside a git repository, and ${rooms.length} Tower servers run on this machine: name the one to open, \`tower attach <repository>\`:\n${names}`,
    );
  }
}
