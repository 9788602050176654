/** One merge at a time per repository, whichever process runs it: a flock on `merge.lock`. */
import { constants } from "node:fs";
import type { Project } from "../project.js";
import { lockExclusive, tryLockExclusive, unlock } from "../state/flock.js";
import { MERGE_LOCK_FILE, openStateFile } from "../state/index.js";

const lockFile = (project: Project) => project.store.path(MERGE_LOCK_FILE);

/** How long a merge waits for the one before it (its validation may take a while). */
const MERGE_LOCK_WAIT_MS = 10 * 60_000;

export async function withMergeLock<T>(
  project: Project,
  body: () => Promise<T>,
  waitMs = MERGE_LOCK_WAIT_MS,
): Promise<T> {
  const file = lockFile(project);
  // Opened without following a link: a merge.lock linked elsewhere is an error, not a file made
  // outside the repository.
  await project.store.prepare(true);
  const handle = await openStateFile(file, constants.O_RDWR | constants.O_CREAT);
  try {
    await lockExclusive(handle.fd, file, waitMs);
  } catch (error) {
    // Not locked (another merge held it too long): the file is closed all the same.
    await handle.close();
    throw error;
  }
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
  const handle = await openStateFile(lockFile(project), constants.O_RDONLY).catch(() => undefined);
  if (!handle) return false;
  try {
    if (!tryLockExclusive(handle.fd)) return true;
    unlock(handle.fd);
    return false;
  } finally {
    await handle.close();
  }
}
