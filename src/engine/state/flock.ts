/**
 * Advisory locks with flock(2) on the state file itself, the same lock that the protocol's
 * Python helpers take with `fcntl.flock(fd, LOCK_EX)`. Writers hold it exclusive; a reader that
 * must see whole content (a snapshot, a recovery) holds it shared, which waits for any writer.
 */
import { createRequire } from "node:module";

type FsExt = typeof import("fs-ext-extra-prebuilt");
const fsExt = createRequire(import.meta.url)("fs-ext-extra-prebuilt") as FsExt;

export class LockTimeoutError extends Error {
  constructor(
    readonly file: string,
    readonly waitedMs: number,
  ) {
    super(
      `${file} has been locked by another process for over ${Math.round(waitedMs / 1000)} s: ` +
        "find the process holding it (`fuser` or `lsof` on the file) or try again",
    );
    this.name = "LockTimeoutError";
  }
}

const isBusy = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "EAGAIN" || code === "EWOULDBLOCK";
};

/** Takes the lock if nobody holds it; false when another descriptor holds it. */
export function tryLockExclusive(fd: number): boolean {
  try {
    fsExt.flockSync(fd, "exnb");
    return true;
  } catch (error) {
    if (isBusy(error)) return false;
    throw error;
  }
}

/**
 * Waits for the exclusive lock: tried again on a timer (1 ms, doubling up to 20 ms), never
 * waited for on libuv's thread pool. A blocking flock there holds a pool thread until the lock
 * is free; with four such waits in one process (the pool's size) for a lock this same process
 * holds, the holder's own file writes found no thread and nothing moved again. After
 * `timeoutMs` the promise rejects with LockTimeoutError; the descriptor stays open, for its owner
 * to close (a FileHandle's descriptor closed under it is closed again, by number, when the handle
 * is collected: by then another file's).
 */
export function lockExclusive(fd: number, file: string, timeoutMs = 30_000): Promise<void> {
  return waitForLock(fd, file, "exnb", timeoutMs);
}

/** Waits for a shared lock, on the same terms as lockExclusive. */
export function lockShared(fd: number, file: string, timeoutMs = 30_000): Promise<void> {
  return waitForLock(fd, file, "shnb", timeoutMs);
}

const FIRST_RETRY_MS = 1;
const LONGEST_RETRY_MS = 20;

function waitForLock(
  fd: number,
  file: string,
  mode: "exnb" | "shnb",
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let delay = FIRST_RETRY_MS;
    const attempt = () => {
      try {
        fsExt.flockSync(fd, mode);
        resolve();
        return;
      } catch (error) {
        if (!isBusy(error)) {
          reject(error);
          return;
        }
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs) {
        reject(new LockTimeoutError(file, timeoutMs));
        return;
      }
      setTimeout(attempt, Math.min(delay, timeoutMs - waited));
      delay = Math.min(delay * 2, LONGEST_RETRY_MS);
    };
    attempt();
  });
}

export function unlock(fd: number): void {
  fsExt.flockSync(fd, "un");
}
