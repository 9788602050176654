/** One merge at a time per repository, whichever process runs it: a flock on `merge.lock`. */
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import type { Project } from "../project.js";
import { lockExclusive, tryLockExclusive, unlock } from "../state/flock.js";

const lockFile = (project: Project) => project.store.path("merge.lock");

export async function withMergeLock<T>(project: Project, body: () => Promise<T>): Promise<T> {
  const file = lockFile(project);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const handle = await fsp.open(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  await lockExclusive(handle.fd, file, 10 * 60_000);
  try {
    return await body();
  } finally {
    unlock(handle.fd);
    await handle.close();
  }
}

/**
 * Is a merge running now, in this process or another? The lock dies with its process, so a
 * merge killed with SIGKILL is not running, whatever became of its pid.
 */
export async function mergeRunning(project: Project): Promise<boolean> {
  const handle = await fsp.open(lockFile(project), constants.O_RDONLY).catch(() => undefined);
  if (!handle) return false;
  try {
    if (!tryLockExclusive(handle.fd)) return true;
    unlock(handle.fd);
    return false;
  } finally {
    await handle.close();
  }
}
