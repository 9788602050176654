/**
 * The room's private folder on this machine, where its sockets live: `tower-<uid>` in
 * `$XDG_RUNTIME_DIR` (else the temp folder), mode 0700 and owned by the user (checked, never
 * followed through a link), and in it one folder per repository, named by a hash of the
 * repository's real path, so every terminal finds the same room.
 */
import { lstatSync, mkdirSync, realpathSync, type Stats } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UnsafePathError } from "../engine/errors.js";
import { sha256Hex } from "./sha256.js";

export function runtimeRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) ? env.XDG_RUNTIME_DIR : os.tmpdir();
  return path.join(base, `tower-${process.getuid?.() ?? os.userInfo().uid}`);
}

/**
 * Makes `dir` (mode 0700) or checks the one there: a folder of ours, private, not a link. With
 * the synchronous calls, as checkPrivate: they are on `tower attach`'s way to its first frame
 * (see engine/git/main-root.ts).
 */
async function privateFolder(dir: string): Promise<void> {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  await checkPrivate(dir);
}

/**
 * Checks that `dir` is a folder of this user's that no one else can open, not a link; false if
 * there is none. The error says what is wrong and what to do.
 */
export async function checkPrivate(dir: string): Promise<boolean> {
  let stat: Stats;
  try {
    stat = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  const uid = process.getuid?.();
  if (!stat.isDirectory() || stat.isSymbolicLink()) {
    throw new UnsafePathError(
      `${dir} is not a folder: Tower keeps its sockets there; move it away`,
    );
  }
  if (uid !== undefined && stat.uid !== uid) {
    throw new UnsafePathError(
      `${dir} belongs to another user (uid ${stat.uid}): Tower will not put its sockets there`,
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new UnsafePathError(
      `${dir} can be opened by other users (mode ${(stat.mode & 0o777).toString(8)}): make it private with chmod 700`,
    );
  }
  return true;
}

/** The repository's room folder, made private if it is new. */
export async function roomDir(
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const root = runtimeRoot(env);
  await privateFolder(root);
  const dir = roomDirPath(repoRoot, env);
  await privateFolder(dir);
  return dir;
}

/** Where the repository's room folder is, made or not (roomDir makes it). */
export function roomDirPath(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  let real = repoRoot;
  try {
    real = realpathSync(repoRoot);
  } catch {}
  return path.join(runtimeRoot(env), sha256Hex(real).slice(0, 12));
}
