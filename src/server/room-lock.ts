/**
 * The room folder's lock: an exclusive flock(2) on `room.lock` in the room's private folder,
 * held by a server while it binds its socket there, or replaces a stale one (a socket whose
 * server was killed with -9: checked, removed, listened on again). Two servers started at the
 * same moment found the same stale socket; without the lock both could remove what was there
 * and listen, the second removing the socket the first had just bound, and the first then
 * served no one while holding the repository's agents.
 *
 * Held only around the binding, not for the server's life: a new server replaces one of this
 * folder that hangs (host.ts refuseBesideAnother). Only servers take it, so the native flock
 * module stays off `tower attach`'s way (claim.ts says why).
 */
import { closeSync, constants, openSync } from "node:fs";
import path from "node:path";
import { lockExclusive } from "../engine/state/flock.js";

export const ROOM_LOCK = "room.lock";

/** How long a server waits for another process to finish with the lock. */
const LOCK_WAIT_MS = 10_000;

/** Runs `critical` holding the lock of the room folder `dir`; see ListenOptions.exclusive. */
export function underRoomLock(dir: string) {
  const file = path.join(dir, ROOM_LOCK);
  return async <T>(critical: () => Promise<T>): Promise<T> => {
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      await lockExclusive(fd, file, LOCK_WAIT_MS);
      return await critical();
    } finally {
      // Closing the descriptor drops the lock.
      closeSync(fd);
    }
  };
}
