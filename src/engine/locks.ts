/**
 * File locks: an agent's claim on one repository-relative path, with an expiry. Keys are
 * normalised POSIX paths; a key ending in `/` locks a folder and conflicts both ways with locks
 * on files inside it. Every change is one update of `file_locks.json` under its flock, and is
 * recorded in `agent_activity.jsonl`.
 */
import path from "node:path";
import { recordRefusal } from "./refusals.js";
import type { LockEntry, LocksFile } from "./state/formats.js";
import type { StateStore } from "./state/store.js";
import { parseTimestamp, toNaiveLocal } from "./state/time.js";

export const DEFAULT_LOCK_TTL_MS = 60 * 60 * 1000;

export class LockPathError extends Error {
  override name = "LockPathError";
}

/**
 * `./a//b.py` -> `a/b.py`; `src/` stays a folder key. `input` is resolved against `cwd` (which
 * must lie inside `root`) and must stay inside `root`.
 */
export function normalizeLockPath(input: string, root: string, cwd: string = root): string {
  const trimmed = input.trim();
  if (trimmed === "")
    throw new LockPathError(
      "an empty path cannot be locked: name a file or a folder/ inside the repository",
    );
  if (trimmed.includes("\0")) throw new LockPathError(`"${input}" is not a valid path`);
  const folder = /[/\\]$/.test(trimmed) || /(^|\/)\.{1,2}$/.test(trimmed);
  const absolute = path.resolve(cwd, trimmed);
  const relative = path.relative(path.resolve(root), absolute);
  if (relative === "") {
    throw new LockPathError(
      `"${input}" is the repository root itself: lock files or folders inside it (for example src/)`,
    );
  }
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new LockPathError(
      `"${input}" is outside the repository ${root}: only paths inside it can be locked`,
    );
  }
  const posix = relative.split(path.sep).join("/");
  return folder ? `${posix}/` : posix;
}

export interface LockInfo extends LockEntry {
  path: string;
  expired: boolean;
}

const isFolder = (key: string) => key.endsWith("/");

/** Do two keys cover a common file? Same key, or one is a folder holding the other. */
export function locksOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  if (isFolder(a) && b.startsWith(a)) return true;
  if (isFolder(b) && a.startsWith(b)) return true;
  return false;
}

export function isExpired(entry: LockEntry, now: Date): boolean {
  const expires = parseTimestamp(entry.expires);
  return expires === undefined || expires.getTime() <= now.getTime();
}

export function listLocks(file: LocksFile, now = new Date()): LockInfo[] {
  return Object.entries(file.locks)
    .map(([key, entry]) => ({ path: key, ...entry, expired: isExpired(entry, now) }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

export interface AcquireRequest {
  paths: string[];
  agent: string;
  stream: string;
  task?: string;
  ttlMs?: number;
  now?: Date;
  /**
   * `hook`: taken by the agent's write through Tower's hook, released by itself when the agent
   * exits or its stream completes. A renewal by a hook keeps a lock taken by hand as it was.
   */
  source?: "hook";
}

/** The `source` of a lock taken automatically by an agent's write. */
export const AUTO_LOCK = "hook";

export type AcquireOutcome =
  | { path: string; outcome: "acquired" | "renewed"; expires: string }
  | { path: string; outcome: "taken_over"; expires: string; previous: LockInfo[] }
  | { path: string; outcome: "refused"; holders: LockInfo[] };

export interface AcquireResult {
  /** True when every path was taken; otherwise nothing was taken. */
  ok: boolean;
  results: AcquireOutcome[];
}

/**
 * Takes every path or none: free -> taken; held by the same agent -> renewed; held by another
 * and not expired -> refused with the holder; expired -> taken over (the old entry is dropped).
 */
export async function acquireLocks(
  store: StateStore,
  request: AcquireRequest,
): Promise<AcquireResult> {
  const now = request.now ?? new Date();
  const ttl = request.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const expires = toNaiveLocal(new Date(now.getTime() + ttl));
  const acquired = toNaiveLocal(now);
  // The activity entries are appended while the file is still locked, so the log's order is
  // the order in which the locks really changed hands.
  return store.update("locks", async (file): Promise<AcquireResult> => {
    const results = request.paths.map((key) => planAcquire(file, key, request.agent, now, expires));
    const ok = results.every((r) => r.outcome !== "refused");
    if (!ok) {
      for (const r of results) {
        if (r.outcome !== "refused") continue;
        const holder = r.holders[0];
        await recordRefusal(
          store,
          {
            agent: request.agent,
            stream: request.stream ?? "",
            what: "lock",
            file: r.path,
            ...(holder && { holder: holder.agent }),
            reason: holder ? `${holder.path} is locked by ${holder.agent}` : "locked",
          },
          now,
        );
      }
      return { ok, results };
    }
    for (const r of results) {
      if (r.outcome === "taken_over") for (const old of r.previous) delete file.locks[old.path];
      const kept = r.outcome === "renewed" ? file.locks[r.path] : undefined;
      const source = kept && request.source === AUTO_LOCK ? kept.source : request.source;
      file.locks[r.path] = {
        agent: request.agent,
        stream: request.stream,
        acquired: kept?.acquired ?? acquired,
        expires,
        task: request.task ?? kept?.task ?? "",
        ...(source !== undefined && { source }),
      };
      const extra =
        r.outcome === "taken_over"
          ? {
              taken_over_from: r.previous.map((p) => p.agent).join(","),
              previous_expires: r.previous[0]?.expires,
            }
          : r.outcome === "renewed"
            ? { renewed: true }
            : {};
      await store.appendActivity(
        {
          agent: request.agent,
          stream: request.stream,
          action: "locked",
          file: r.path,
          task: request.task ?? "",
          expires,
          ...(request.source !== undefined && { source: request.source }),
          ...extra,
        },
        now,
      );
    }
    return { ok, results };
  });
}

function planAcquire(
  file: LocksFile,
  key: string,
  agent: string,
  now: Date,
  expires: string,
): AcquireOutcome {
  const overlapping = listLocks(file, now).filter(
    (lock) => locksOverlap(lock.path, key) && lock.agent !== agent,
  );
  const live = overlapping.filter((lock) => !lock.expired);
  if (live.length > 0) return { path: key, outcome: "refused", holders: live };
  if (overlapping.length > 0)
    return { path: key, outcome: "taken_over", expires, previous: overlapping };
  return { path: key, outcome: file.locks[key] ? "renewed" : "acquired", expires };
}

export interface ReleaseRequest {
  paths: string[];
  agent: string;
  stream?: string;
  force?: boolean;
  now?: Date;
}

export type ReleaseOutcome =
  | { path: string; outcome: "released"; holder: LockInfo; forced: boolean }
  | { path: string; outcome: "not_held" }
  | { path: string; outcome: "refused"; holder: LockInfo };

export interface ReleaseResult {
  /** True when nothing was refused; otherwise nothing was released. */
  ok: boolean;
  results: ReleaseOutcome[];
}

/** Releases the agent's own locks; another agent's only with `force` (and that is logged). */
export async function releaseLocks(
  store: StateStore,
  request: ReleaseRequest,
): Promise<ReleaseResult> {
  const now = request.now ?? new Date();
  return store.update("locks", async (file): Promise<ReleaseResult> => {
    const results = request.paths.map((key): ReleaseOutcome => {
      const entry = file.locks[key];
      if (!entry) return { path: key, outcome: "not_held" };
      const holder = { path: key, ...entry, expired: isExpired(entry, now) };
      if (entry.agent !== request.agent && !request.force)
        return { path: key, outcome: "refused", holder };
      return { path: key, outcome: "released", holder, forced: entry.agent !== request.agent };
    });
    const ok = results.every((r) => r.outcome !== "refused");
    if (!ok) return { ok, results };
    for (const r of results) {
      if (r.outcome !== "released") continue;
      delete file.locks[r.path];
      const forced = r.forced ? { forced: true, holder: r.holder.agent } : {};
      await store.appendActivity(
        {
          agent: request.agent,
          stream: request.stream ?? r.holder.stream ?? "",
          action: "released",
          file: r.path,
          ...forced,
        },
        now,
      );
    }
    return { ok, results };
  });
}

/**
 * Releases the locks an agent took by writing (source `hook`), or those of every agent of a
 * stream: when the agent exits, when its stream completes or merges. Locks taken by hand stay.
 */
export async function releaseAutoLocks(
  store: StateStore,
  holder: { agent?: string; stream?: string },
  now = new Date(),
): Promise<string[]> {
  const file = await store.read("locks");
  const paths = Object.entries(file.locks)
    .filter(
      ([, entry]) =>
        entry.source === AUTO_LOCK &&
        (holder.agent === undefined || entry.agent === holder.agent) &&
        (holder.stream === undefined || entry.stream === holder.stream),
    )
    .map(([key]) => key);
  if (paths.length === 0) return [];
  const released: { key: string; agent: string; stream: string }[] = [];
  await store.update("locks", async (current) => {
    for (const key of paths) {
      const entry = current.locks[key];
      // Taken over or released meanwhile: not this holder's any more.
      if (!entry || entry.source !== AUTO_LOCK) continue;
      if (holder.agent !== undefined && entry.agent !== holder.agent) continue;
      if (holder.stream !== undefined && entry.stream !== holder.stream) continue;
      delete current.locks[key];
      released.push({ key, agent: entry.agent, stream: entry.stream ?? "" });
    }
  });
  for (const { key, agent, stream } of released) {
    await store.appendActivity({ agent, stream, action: "released", file: key, auto: true }, now);
  }
  return released.map((r) => r.key);
}
