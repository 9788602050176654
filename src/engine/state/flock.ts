/**
 * Advisory locks with flock(2) on the state file itself, the same lock that the protocol's
 * Python helpers take with `fcntl.flock(fd, LOCK_EX)`. Writers hold it exclusive; a reader that
 * must see whole content (a snapshot, a recovery) holds it shared, which waits for any writer.
 */
import { closeSync } from "node:fs";
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
 * Waits for the exclusive lock. The wait runs on libuv's thread pool, so the event loop stays
 * free. After `timeoutMs` the promise rejects with LockTimeoutError and the descriptor then
 * belongs to the pending wait, which releases and closes it when it ends: the caller must not
 * close it.
 */
export function lockExclusive(fd: number, file: string, timeoutMs = 30_000): Promise<void> {
  if (tryLockExclusive(fd)) return Promise.resolve();
  return waitForLock(fd, file, "ex", timeoutMs);
}

/** Waits for a shared lock, on the same terms as lockExclusive. */
export function lockShared(fd: number, file: string, timeoutMs = 30_000): Promise<void> {
  try {
    fsExt.flockSync(fd, "shnb");
    return Promise.resolve();
  } catch (error) {
    if (!isBusy(error)) return Promise.reject(error);
  }
  return waitForLock(fd, file, "sh", timeoutMs);
}

function waitForLock(
  fd: number,
  file: string,
  mode: "ex" | "sh",
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new LockTimeoutError(file, timeoutMs));
    }, timeoutMs);
    timer.unref();
    fsExt.flock(fd, mode, (error) => {
      if (timedOut) {
        closeSync(fd);
        return;
      }
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });
}

export function unlock(fd: number): void {
  fsExt.flockSync(fd, "un");
}
