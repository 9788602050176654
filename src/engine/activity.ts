/**
 * Reading the activity log, and following it as it grows (`tower log --follow`).
 */
import { constants, type promises as fsp } from "node:fs";
import type { ActivityEntry } from "./state/formats.js";
import { activitySchema, STATE_FILES } from "./state/formats.js";
import { type JsonlWarning, parseJsonl } from "./state/jsonl.js";
import { openStateFile } from "./state/safe-fs.js";
import type { StateStore } from "./state/store.js";

export interface ActivityFilter {
  agent?: string;
  stream?: string;
}

export const matchesFilter = (entry: ActivityEntry, filter: ActivityFilter): boolean =>
  (!filter.agent || entry.agent === filter.agent) &&
  (!filter.stream || entry.stream === filter.stream);

export interface FollowHandlers {
  onEntries(entries: ActivityEntry[]): void;
  onWarnings(warnings: JsonlWarning[]): void;
}

/**
 * Calls the handlers with every complete line already in the log and then with each line as it
 * is appended, until `signal` aborts. A log that shrinks (rotated or cleared) is read again from
 * its start.
 */
export async function followActivity(
  store: StateStore,
  handlers: FollowHandlers,
  signal: AbortSignal,
  intervalMs = 150,
): Promise<void> {
  const file = store.path(STATE_FILES.activity);
  let offset = 0;
  let lineNo = 1;
  const poll = async (): Promise<void> => {
    let handle: fsp.FileHandle;
    try {
      handle = await openStateFile(file, constants.O_RDONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size < offset) {
        offset = 0;
        lineNo = 1;
      }
      if (size === offset) return;
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      const text = buffer.subarray(0, bytesRead).toString("utf8");
      const read = parseJsonl(text, activitySchema, file, lineNo, false);
      offset += read.end;
      lineNo = read.nextLine;
      if (read.warnings.length) handlers.onWarnings(read.warnings);
      if (read.entries.length) handlers.onEntries(read.entries);
    } finally {
      await handle.close();
    }
  };
  while (!signal.aborted) {
    await poll();
    // One abort listener per wait, removed when the wait ends (kept, they pile up on the signal).
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, intervalMs);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
