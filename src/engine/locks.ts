/**
 * File locks: an agent's claim on one repository-relative path, with an expiry. Keys are
 * normalised POSIX paths of what is really there (symbolic links inside the repository resolved,
 * none leading out of it); a key ending in `/` locks a folder and conflicts both ways with locks
 * on the same name and on anything inside it. Every change is one update of `file_locks.json`
 * under its flock.
 *
 * The activity log gets `locked` and `released` only once the change is stored (written and
 * fsynced), appended while the file's flock is still held: an entry never describes a change
 * that was not stored, and the entries of one lock file are in the order in which its changes
 * were made. A process that dies between the write and the append leaves the change without
 * its entry, never an entry without the change.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { git } from "./git/run.js";
import { byCodeUnit } from "./order.js";
import { LOCK_TTL_RANGE, MAX_LOCK_TTL_MS } from "./plan/duration.js";
import { type Refusal, recordRefusal } from "./refusals.js";
import type { LockEntry, LocksFile } from "./state/formats.js";
import { STATE_FILES } from "./state/formats.js";
import { StateFileError } from "./state/safe-fs.js";
import type { NewActivity, StateStore } from "./state/store.js";
import { parseTimestamp, parseUtcOffset, toNaiveLocal, utcOffset } from "./state/time.js";

export const DEFAULT_LOCK_TTL_MS = 60 * 60 * 1000;

export class LockPathError extends Error {
  override name = "LockPathError";
}

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/** Is `child` strictly below `parent`? (`..foo` is a name, not a way up.) */
function isBelow(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return (
    relative !== "" &&
    relative !== ".." &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

/**
 * `./a//b.py` -> `a/b.py`; `src/` (or an existing folder `src`) is a folder key. `input` is
 * resolved against `cwd` (inside `root`) and must stay inside `root`, also once every symbolic
 * link on its way is followed: a path through a link to somewhere else is refused, and a path
 * through a link inside the repository is locked under the name of what it points to, so that
 * both names conflict.
 */
export async function normalizeLockPath(
  input: string,
  root: string,
  cwd: string = root,
): Promise<string> {
  const trimmed = input.trim();
  if (trimmed === "")
    throw new LockPathError(
      "an empty path cannot be locked: name a file or a folder/ inside the repository",
    );
  if (trimmed.includes("\0")) throw new LockPathError(`"${input}" is not a valid path`);
  const slash = /[/\\]$/.test(trimmed) || /(^|[/\\])\.{1,2}$/.test(trimmed);
  const absolute = path.resolve(cwd, trimmed);
  const lexicalRoot = path.resolve(root);
  if (absolute === lexicalRoot) {
    throw new LockPathError(
      `"${input}" is the repository root itself: lock files or folders inside it (for example src/)`,
    );
  }
  if (!isBelow(lexicalRoot, absolute)) {
    throw new LockPathError(
      `"${input}" is outside the repository ${root}: only paths inside it can be locked`,
    );
  }
  const realRoot = await fsp.realpath(lexicalRoot);
  const { real, kind } = await followLinks(input, realRoot, path.relative(lexicalRoot, absolute));
  const posix = path.relative(realRoot, real).split(path.sep).join("/");
  if (slash && kind === "file") {
    throw new LockPathError(
      `"${input}": ${posix} is a file, not a folder: lock it without the trailing /`,
    );
  }
  return slash || kind === "folder" ? `${posix}/` : posix;
}

/**
 * Walks `relative` from `realRoot` one name at a time, following each symbolic link (which must
 * lead to a place inside the repository). Names past the first one that does not exist are
 * taken as they are. Returns the real path and what is there.
 */
async function followLinks(
  input: string,
  realRoot: string,
  relative: string,
): Promise<{ real: string; kind: "file" | "folder" | "missing" | "other" }> {
  const names = relative.split(path.sep);
  let current = realRoot;
  for (let i = 0; i < names.length; i++) {
    const next = path.join(current, names[i] as string);
    let stat: Awaited<ReturnType<typeof fsp.lstat>>;
    try {
      stat = await fsp.lstat(next);
    } catch (error) {
      if (code(error) !== "ENOENT" && code(error) !== "ENOTDIR") throw error;
      return { real: path.join(next, ...names.slice(i + 1)), kind: "missing" };
    }
    if (stat.isSymbolicLink()) {
      const shown = path.relative(realRoot, next).split(path.sep).join("/");
      const target = await fsp.realpath(next).catch(() => undefined);
      if (target === undefined || !isBelow(realRoot, target)) {
        const to = await fsp.readlink(next).catch(() => "?");
        throw new LockPathError(
          `"${input}" goes through the symbolic link ${shown} (to ${to}), which leads outside the repository ${realRoot}` +
            `${target === undefined ? " or nowhere" : ""}: only paths inside it can be locked`,
        );
      }
      current = target;
      stat = await fsp.stat(current);
    } else current = next;
    if (i < names.length - 1 && !stat.isDirectory()) {
      return { real: path.join(current, ...names.slice(i + 1)), kind: "missing" };
    }
    if (i === names.length - 1) {
      const kind = stat.isDirectory() ? "folder" : stat.isFile() ? "file" : "other";
      return { real: current, kind };
    }
  }
  return { real: current, kind: "folder" };
}

export interface LockInfo extends LockEntry {
  path: string;
  /** Not expired when its time cannot be read (see `problem`): nobody may take it then. */
  expired: boolean;
  /** When it expires, read with the writer's `utc_offset` when it recorded one. */
  expiresAt?: Date;
  /** Why this entry's times cannot be read; it then counts as held, never as expired. */
  problem?: string;
}

const isFolder = (key: string) => key.endsWith("/");
const nameOf = (key: string) => (isFolder(key) ? key.slice(0, -1) : key);

/**
 * Do two keys cover a common file? The same name (`src/x` and `src/x/` too: a trailing slash
 * must not make a second key for one path), or one is inside the other's name. A key without
 * its slash covers what is inside that name as well: a file has nothing inside it, so a path
 * below it means the name is, or became, a folder (a lock taken on a name before the folder
 * was made, which let a second agent lock a file in it).
 */
export function locksOverlap(a: string, b: string, fold = false): boolean {
  let [x, y] = [nameOf(a), nameOf(b)];
  if (fold) [x, y] = [folded(x), folded(y)];
  return x === y || y.startsWith(`${x}/`) || x.startsWith(`${y}/`);
}

/**
 * A name as a file system that ignores case compares it: in one Unicode form (APFS and NTFS
 * take é written as one code point or as e and its accent for one name) and one case.
 */
export const folded = (name: string) => name.normalize("NFC").toLowerCase();

const folding = new Map<string, Promise<boolean>>();

/**
 * Whether the repository holding `dir` (a folder in it) names one file by names that differ
 * only in case: git's `core.ignorecase`, which git sets where the file system does (macOS,
 * Windows). Lock names are then compared so (`locksOverlap`'s `fold`): `src/API.ts` is the
 * `src/api.ts` another agent holds. Asked of git once per folder.
 */
export function lockNamesFold(dir: string): Promise<boolean> {
  let known = folding.get(dir);
  if (known === undefined) {
    known = git(dir, ["config", "--bool", "--get", "core.ignorecase"]).then(
      (value) => value.trim() === "true",
      () => false,
    );
    folding.set(dir, known);
  }
  return known;
}

/** lockNamesFold for the repository of `store`. */
export const storeNamesFold = (store: StateStore) => lockNamesFold(store.repoRoot ?? store.dir);

export const LOCK_TIME_HELP = "a time like 2025-12-06T10:00:00.123456";

/** When a lock expires, or why that cannot be told. */
export function lockExpiry(entry: LockEntry): { at: Date } | { problem: string } {
  let offset: number | undefined;
  if (entry.utc_offset !== undefined) {
    offset = parseUtcOffset(entry.utc_offset);
    if (offset === undefined) {
      return {
        problem: `has an unreadable utc_offset ${JSON.stringify(entry.utc_offset)} (valid: like +01:00)`,
      };
    }
  }
  const at = parseTimestamp(entry.expires, offset);
  if (at === undefined) {
    return {
      problem: `has an unreadable expires ${JSON.stringify(entry.expires)} (valid: ${LOCK_TIME_HELP})`,
    };
  }
  return { at };
}

/** Expired: its time has passed. A lock whose time cannot be read is not expired. */
export function isExpired(entry: LockEntry, now: Date): boolean {
  const expiry = lockExpiry(entry);
  return "at" in expiry && expiry.at.getTime() <= now.getTime();
}

/** One entry of the lock file as a LockInfo. */
export function lockInfo(key: string, entry: LockEntry, now = new Date()): LockInfo {
  const expiry = lockExpiry(entry);
  if ("problem" in expiry) {
    return {
      path: key,
      ...entry,
      expired: false,
      problem: `lock on ${JSON.stringify(key)} held by ${entry.agent} ${expiry.problem}`,
    };
  }
  return {
    path: key,
    ...entry,
    expired: expiry.at.getTime() <= now.getTime(),
    expiresAt: expiry.at,
  };
}

export function listLocks(file: LocksFile, now = new Date()): LockInfo[] {
  return Object.keys(file.locks)
    .map((key) => lockInfo(key, file.locks[key] as LockEntry, now))
    .sort((a, b) => byCodeUnit(a.path, b.path));
}

/** A lock whose time cannot be read stands in the way: an error naming the file and the lock. */
export class UnreadableLockError extends StateFileError {
  override name = "UnreadableLockError";
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
   * exits or its stream completes. A renewal by a hook keeps a lock taken by hand as it was, and
   * never moves the expiry of a live lock of the agent's earlier (a longer `tower lock --ttl`
   * stays as long).
   */
  source?: "hook";
  /**
   * With source `hook`: a provisional lock, for a write that is about to be made and may not be
   * (see isProvisional): `ttlMs` is its short life. A live lock the agent already holds on the
   * path is not made provisional (only its expiry may move later); a provisional or expired lock
   * of the agent's own left by an earlier write is taken afresh (acquired now), so that this
   * write's failure may release it.
   */
  provisional?: boolean;
}

/** The `source` of a lock taken automatically by an agent's write. */
export const AUTO_LOCK = "hook";

export type AcquireOutcome =
  | { path: string; outcome: "acquired" | "renewed"; expires: string; expiresAt: Date }
  | {
      path: string;
      outcome: "taken_over";
      expires: string;
      expiresAt: Date;
      previous: LockInfo[];
    }
  | { path: string; outcome: "refused"; holders: LockInfo[] };

export interface AcquireResult {
  /** True when every path was taken; otherwise nothing was taken. */
  ok: boolean;
  results: AcquireOutcome[];
}

/** Throws a RangeError unless `ttlMs` is a lock's life Tower accepts. */
export function checkLockTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > MAX_LOCK_TTL_MS) {
    throw new RangeError(`a lock's life must be ${LOCK_TTL_RANGE}, not ${ttlMs} ms`);
  }
}

/**
 * Takes every path or none: free -> taken; held by the same agent -> renewed; held by another
 * and not expired -> refused with the holder; expired -> taken over (the old entry is dropped).
 * A lock in the way whose time cannot be read is an UnreadableLockError.
 */
export async function acquireLocks(
  store: StateStore,
  request: AcquireRequest,
): Promise<AcquireResult> {
  const now = request.now ?? new Date();
  const ttl = request.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  checkLockTtl(ttl);
  const expiresAt = new Date(now.getTime() + ttl);
  const expires = toNaiveLocal(expiresAt);
  const acquired = toNaiveLocal(now);
  const file = store.path(STATE_FILES.locks);
  const entries: NewActivity[] = [];
  const refusals: Refusal[] = [];
  const fold = await storeNamesFold(store);
  return store.update(
    "locks",
    (locks): AcquireResult => {
      const results = request.paths.map((key) =>
        planAcquire(file, locks, key, request.agent, now, expires, expiresAt, fold),
      );
      const ok = results.every((r) => r.outcome !== "refused");
      if (!ok) {
        // Each refusal is recorded (the run report counts them), once the file is unlocked.
        for (const r of results) {
          if (r.outcome !== "refused") continue;
          const holder = r.holders[0];
          refusals.push({
            agent: request.agent,
            stream: request.stream ?? "",
            what: "lock",
            file: r.path,
            ...(holder && { holder: holder.agent }),
            reason: holder ? `${holder.path} is locked by ${holder.agent}` : "locked",
          });
        }
        return { ok, results };
      }
      for (const r of results) {
        if (r.outcome === "taken_over") for (const old of r.previous) delete locks.locks[old.path];
        let kept = r.outcome === "renewed" ? locks.locks[r.path] : undefined;
        const byHook = request.source === AUTO_LOCK;
        // A provisional lock or an expired one left by an earlier write of the agent's is taken
        // afresh by the next (see AcquireRequest.provisional).
        if (
          kept &&
          byHook &&
          request.provisional &&
          kept.source === AUTO_LOCK &&
          (isExpired(kept, now) || isProvisional(kept, ttl))
        )
          kept = undefined;
        // A hook never shortens a live lock (see AcquireRequest.source).
        const keptExpiry = kept && byHook ? lockExpiry(kept) : undefined;
        const longer =
          kept && keptExpiry && "at" in keptExpiry && keptExpiry.at > expiresAt
            ? { expires: kept.expires, expiresAt: keptExpiry.at, utc_offset: kept.utc_offset }
            : undefined;
        const lockExpires = longer?.expires ?? expires;
        const lockOffset = longer ? longer.utc_offset : utcOffset(expiresAt);
        r.expires = lockExpires;
        r.expiresAt = longer?.expiresAt ?? expiresAt;
        // A renewal by a hook keeps a lock taken by hand as it was (see AcquireRequest.source).
        const source = kept && byHook ? kept.source : request.source;
        const entry: LockEntry = {
          ...kept,
          agent: request.agent,
          stream: request.stream,
          acquired: kept?.acquired ?? acquired,
          expires: lockExpires,
          task: request.task ?? kept?.task ?? "",
        };
        if (lockOffset !== undefined) entry.utc_offset = lockOffset;
        else delete entry.utc_offset;
        if (source !== undefined) entry.source = source;
        else delete entry.source;
        locks.locks[r.path] = entry;
        const extra =
          r.outcome === "taken_over"
            ? {
                taken_over_from: r.previous.map((p) => p.agent).join(","),
                previous_expires: r.previous[0]?.expires,
              }
            : r.outcome === "renewed"
              ? { renewed: true }
              : {};
        entries.push({
          agent: request.agent,
          stream: request.stream,
          action: "locked",
          file: r.path,
          task: request.task ?? "",
          expires: lockExpires,
          ...(request.provisional && byHook && { provisional: true }),
          ...(request.source !== undefined && { source: request.source }),
          ...extra,
        });
      }
      return { ok, results };
    },
    async () => {
      for (const entry of entries) await store.appendActivity(entry, now);
      for (const refusal of refusals) await recordRefusal(store, refusal, now);
    },
  );
}

function planAcquire(
  file: string,
  locks: LocksFile,
  key: string,
  agent: string,
  now: Date,
  expires: string,
  expiresAt: Date,
  fold: boolean,
): AcquireOutcome {
  const overlapping = listLocks(locks, now).filter(
    (lock) => locksOverlap(lock.path, key, fold) && lock.agent !== agent,
  );
  const unreadable = overlapping.find((lock) => lock.problem !== undefined);
  if (unreadable) {
    throw new UnreadableLockError(
      file,
      `cannot lock ${key}: ${file}: the ${unreadable.problem}: fix or remove that entry, or release it with \`tower unlock --force ${unreadable.path}\``,
    );
  }
  const live = overlapping.filter((lock) => !lock.expired);
  if (live.length > 0) return { path: key, outcome: "refused", holders: live };
  if (overlapping.length > 0)
    return { path: key, outcome: "taken_over", expires, expiresAt, previous: overlapping };
  const outcome = Object.hasOwn(locks.locks, key) ? "renewed" : "acquired";
  return { path: key, outcome, expires, expiresAt };
}

/**
 * How long a lock lasts from its taking to its expiry (`acquired` to `expires`, both read with
 * its `utc_offset`), if both times can be read.
 */
export function lockLife(entry: LockEntry): number | undefined {
  const expiry = lockExpiry(entry);
  if (!("at" in expiry)) return undefined;
  const offset = entry.utc_offset === undefined ? undefined : parseUtcOffset(entry.utc_offset);
  const acquired = parseTimestamp(entry.acquired, offset);
  return acquired === undefined ? undefined : expiry.at.getTime() - acquired.getTime();
}

/**
 * A provisional lock: taken by an agent's write (source `hook`) that may not be made, and not
 * renewed since, which its life (`acquired` to `expires`) says without a field of its own:
 * exactly `life`, the provisional life it was taken with (see AcquireRequest.provisional). The
 * write's PostToolUse makes it a full lock, which lasts longer (its expiry is counted from the
 * write, after it was taken); a lock taken by hand is never provisional.
 */
export function isProvisional(entry: LockEntry, life: number): boolean {
  return entry.source === AUTO_LOCK && lockLife(entry) === life;
}

/**
 * Releases the agent's provisional locks (see isProvisional) among `paths`, taken for a write
 * that was not made (the tool failed, the permission was denied): the other agents need not wait
 * for them to expire. Any other lock stays as it is: one the agent held before that write, one
 * made full by a later write. Returns the paths released.
 */
export async function releaseProvisionalLocks(
  store: StateStore,
  request: { paths: readonly string[]; agent: string; stream: string; life: number; now?: Date },
): Promise<string[]> {
  const now = request.now ?? new Date();
  const mine = (locks: LocksFile, key: string) => {
    const entry = Object.hasOwn(locks.locks, key) ? locks.locks[key] : undefined;
    return entry?.agent === request.agent && isProvisional(entry, request.life);
  };
  // Read first: a write with no provisional lock (the usual failure) costs no update.
  const current = await store.read("locks");
  if (!request.paths.some((key) => mine(current, key))) return [];
  const released: string[] = [];
  await store.update(
    "locks",
    (locks) => {
      for (const key of new Set(request.paths)) {
        if (!mine(locks, key)) continue;
        delete locks.locks[key];
        released.push(key);
      }
    },
    async () => {
      for (const file of released) {
        await store.appendActivity(
          {
            agent: request.agent,
            stream: request.stream,
            action: "released",
            file,
            auto: true,
            provisional: true,
          },
          now,
        );
      }
    },
  );
  return released;
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
  const entries: NewActivity[] = [];
  return store.update(
    "locks",
    (locks): ReleaseResult => {
      const results = request.paths.map((key): ReleaseOutcome => {
        if (!Object.hasOwn(locks.locks, key)) return { path: key, outcome: "not_held" };
        const holder = lockInfo(key, locks.locks[key] as LockEntry, now);
        if (holder.agent !== request.agent && !request.force)
          return { path: key, outcome: "refused", holder };
        return { path: key, outcome: "released", holder, forced: holder.agent !== request.agent };
      });
      const ok = results.every((r) => r.outcome !== "refused");
      if (!ok) return { ok, results };
      for (const r of results) {
        if (r.outcome !== "released") continue;
        delete locks.locks[r.path];
        const forced = r.forced ? { forced: true, holder: r.holder.agent } : {};
        entries.push({
          agent: request.agent,
          stream: request.stream ?? r.holder.stream ?? "",
          action: "released",
          file: r.path,
          ...forced,
        });
      }
      return { ok, results };
    },
    async () => {
      for (const entry of entries) await store.appendActivity(entry, now);
    },
  );
}

/**
 * Releases the locks an agent took by writing (source `hook`), or those of every agent of a
 * stream: when the agent exits, when its stream completes or merges. Locks taken by hand stay,
 * and so do those `keep` picks out of them (an exited agent's files still changed in its
 * worktree): asked only when there are any, so that a holder with none costs no more.
 */
export async function releaseAutoLocks(
  store: StateStore,
  holder: { agent?: string; stream?: string },
  now = new Date(),
  keep?: (paths: string[]) => Promise<ReadonlySet<string>>,
): Promise<string[]> {
  const file = await store.read("locks");
  const held = Object.entries(file.locks)
    .filter(
      ([, entry]) =>
        entry.source === AUTO_LOCK &&
        (holder.agent === undefined || entry.agent === holder.agent) &&
        (holder.stream === undefined || entry.stream === holder.stream),
    )
    .map(([key]) => key);
  if (held.length === 0) return [];
  const kept = keep ? await keep(held) : new Set<string>();
  const paths = held.filter((key) => !kept.has(key));
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
