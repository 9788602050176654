/**
 * Keeps a server's files in its room folder: a temp-folder cleaner (systemd-tmpfiles, tmpreaper)
 * or an `rm` may take the socket, the token, the hook socket, the info, or the folder itself,
 * and a running server that could no longer be found would be as good as lost (the next `tower`
 * would start another beside it). The folder is watched (inotify, through fs.watch), so an idle
 * server does no work for this; each change there is followed by `repair`, which puts back what
 * went. Where the folder cannot be watched (no inotify watch left), it is checked every
 * POLL_MS instead.
 */
import { type FSWatcher, statSync, watch } from "node:fs";

/** How long after a change in the folder `repair` runs (an `rm -r` is many changes). */
const SETTLE_MS = 50;
/** How often the folder is checked when it cannot be watched. */
export const POLL_MS = 1_000;

export interface KeptFolder {
  close(): void;
}

export function keepFolder(dir: string, repair: () => Promise<void>): KeptFolder {
  let watcher: FSWatcher | undefined;
  /** The inode of the folder being watched: a folder put back is another one. */
  let watched: number | undefined;
  let poll: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let closed = false;

  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await repair();
    } finally {
      running = false;
      // A folder put back is a new folder: watch that one (the same one stays watched).
      if (!closed && (watcher === undefined || inode() !== watched)) follow();
      if (again && !closed) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (soon || closed) return;
    soon = setTimeout(() => {
      soon = undefined;
      void run();
    }, SETTLE_MS);
    soon.unref();
  };
  const inode = () => {
    try {
      return statSync(dir).ino;
    } catch {
      return undefined;
    }
  };
  const follow = () => {
    watcher?.close();
    watcher = undefined;
    watched = undefined;
    try {
      watched = inode();
      watcher = watch(dir, { persistent: false }, schedule);
      watcher.on("error", schedule);
      if (poll) clearInterval(poll);
      poll = undefined;
    } catch {
      // Gone this moment (the next check puts it back), or no watch to be had: checked by time.
      if (!poll) {
        poll = setInterval(() => void run(), POLL_MS);
        poll.unref();
      }
    }
  };
  follow();
  return {
    close: () => {
      closed = true;
      watcher?.close();
      if (poll) clearInterval(poll);
      if (soon) clearTimeout(soon);
    },
  };
}
