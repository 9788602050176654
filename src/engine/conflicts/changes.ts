/**
 * What one stream changed, read in its worktree with four git calls whatever the number of
 * files: the merge base, the committed file list, `git status` (staged, unstaged, untracked) and
 * one `git diff -U0` of the working tree against the merge base (changed lines and added lines);
 * and in each submodule checked out there, its own `git status` and `git diff -U0` against its
 * HEAD, by their paths in the worktree (`vendor/lib/a.c`). Only untracked source files are read
 * from disk, for their imports.
 */
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import {
  changedFilesBetween,
  checkedOutSubmodules,
  diffWorktreeLines,
  type FileDiff,
  mergeBase,
  type StatusEntry,
  worktreeStatus,
} from "../git/index.js";
import { isImportSource } from "./imports.js";
import type { ActiveStream, FileChange, StreamChanges } from "./types.js";

/** Untracked files larger than this are not read for imports. */
const MAX_UNTRACKED_BYTES = 512 * 1024;
/** At most this many untracked files are read per stream and scan. */
const MAX_UNTRACKED_FILES = 2000;

/** A stream that could not be scanned, and why. */
export class StreamScanError extends Error {
  constructor(
    readonly stream: string,
    message: string,
  ) {
    super(message);
    this.name = "StreamScanError";
  }
}

async function checkWorktree(stream: ActiveStream): Promise<void> {
  try {
    const stat = await fsp.stat(stream.worktree);
    if (!stat.isDirectory()) throw new Error("not a folder");
    await fsp.access(stream.worktree, constants.R_OK | constants.X_OK);
  } catch {
    throw new StreamScanError(
      stream.id,
      `stream ${stream.id}: its worktree ${stream.worktree} is missing or unreadable`,
    );
  }
}

/** Reads files in small parallel batches; a file that vanished meanwhile is skipped. */
async function readSources(root: string, files: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  const wanted = files.filter(isImportSource).slice(0, MAX_UNTRACKED_FILES);
  const batch = 32;
  for (let i = 0; i < wanted.length; i += batch) {
    await Promise.all(
      wanted.slice(i, i + batch).map(async (file) => {
        try {
          const full = path.join(root, file);
          const stat = await fsp.stat(full);
          if (!stat.isFile() || stat.size > MAX_UNTRACKED_BYTES) return;
          result.set(file, (await fsp.readFile(full, "utf8")).split("\n"));
        } catch {
          // Deleted between `git status` and now: nothing to read.
        }
      }),
    );
  }
  return result;
}

/**
 * Files editors keep beside the one being edited, which are not work: vim's swap files
 * (`.x.swp`, `.x.swo`, ...) and its write test `4913`, backups (`x~`), Emacs's lock and
 * autosave files (`.#x`, `#x#`). Untracked, they are no change of the stream's.
 */
export function isEditorTemporary(file: string): boolean {
  const name = path.posix.basename(file);
  return (
    /^\..+\.sw[a-p]$/.test(name) ||
    name.endsWith("~") ||
    name.startsWith(".#") ||
    /^#.+#$/.test(name) ||
    name === "4913"
  );
}

export function buildChanges(
  stream: ActiveStream,
  base: string,
  committed: readonly string[],
  status: readonly StatusEntry[],
  diffs: readonly FileDiff[],
): StreamChanges {
  const files = new Map<string, FileChange>();
  const added = new Map<string, string[]>();
  const entry = (file: string): FileChange => {
    let change = files.get(file);
    if (!change) {
      change = { committed: false, staged: false, unstaged: false, untracked: false, hunks: [] };
      files.set(file, change);
    }
    return change;
  };
  for (const diff of diffs) {
    entry(diff.path).hunks = diff.binary ? undefined : diff.hunks;
    if (diff.added.length > 0 && isImportSource(diff.path)) added.set(diff.path, diff.added);
  }
  for (const file of committed) entry(file).committed = true;
  for (const s of status) {
    if (s.untracked) {
      if (isEditorTemporary(s.path)) continue;
      // A new file: everything in it is an insertion at the top of a file that did not exist.
      const change = entry(s.path);
      change.untracked = true;
      change.hunks = [{ oldStart: 0, oldCount: 0, newStart: 1, newCount: 0 }];
      continue;
    }
    // Staged or unstaged with no net change against the merge base is no change.
    const change = files.get(s.path);
    if (!change) continue;
    change.staged ||= s.staged;
    change.unstaged ||= s.unstaged;
  }
  return { stream, mergeBase: base, files, committed: new Set(committed), added };
}

/** How long a worktree's list of checked-out submodules is kept between scans (ms). */
const SUBMODULES_KEPT_MS = 30_000;

const submoduleLists = new Map<string, { at: number; list: Promise<string[]> }>();

/** The submodules checked out in `worktree` (git runs a shell for each: kept a while). */
function submodulesOf(worktree: string): Promise<string[]> {
  const known = submoduleLists.get(worktree);
  if (known && Date.now() - known.at < SUBMODULES_KEPT_MS) return known.list;
  const list = checkedOutSubmodules(worktree).catch((): string[] => []);
  submoduleLists.set(worktree, { at: Date.now(), list });
  return list;
}

/**
 * The uncommitted changes inside the submodules checked out in `worktree`, by their paths in
 * it; a submodule that cannot be read gives none.
 */
async function submoduleChanges(
  worktree: string,
): Promise<{ status: StatusEntry[]; diffs: FileDiff[] }> {
  const read = await Promise.all(
    (await submodulesOf(worktree)).map(async (sub) => {
      const dir = path.join(worktree, sub);
      const inside = <T extends { path: string }>(entry: T): T => ({
        ...entry,
        path: `${sub}/${entry.path}`,
      });
      try {
        const [status, diffs] = await Promise.all([
          worktreeStatus(dir),
          diffWorktreeLines(dir, "HEAD"),
        ]);
        return { status: status.map(inside), diffs: diffs.map(inside) };
      } catch {
        return { status: [], diffs: [] };
      }
    }),
  );
  return { status: read.flatMap((r) => r.status), diffs: read.flatMap((r) => r.diffs) };
}

/** Everything `stream` changed against its merge base with `baseCommit`. */
export async function collectChanges(
  stream: ActiveStream,
  baseCommit: string,
): Promise<StreamChanges> {
  await checkWorktree(stream);
  const where = `stream ${stream.id} (${stream.worktree})`;
  try {
    const statusRead = worktreeStatus(stream.worktree);
    // Awaited below; keep an early failure from going unhandled while merge-base runs.
    statusRead.catch(() => {});
    const base = await mergeBase(stream.worktree, baseCommit, "HEAD");
    if (!base) {
      throw new StreamScanError(
        stream.id,
        `${where}: its HEAD shares no history with the base ${baseCommit.slice(0, 12)}`,
      );
    }
    const [own, committed, ownDiffs, inSubmodules] = await Promise.all([
      statusRead,
      changedFilesBetween(stream.worktree, base, "HEAD"),
      diffWorktreeLines(stream.worktree, base),
      submoduleChanges(stream.worktree),
    ]);
    const status = [...own, ...inSubmodules.status];
    const diffs = [...ownDiffs, ...inSubmodules.diffs];
    const changes = buildChanges(stream, base, committed, status, diffs);
    const untracked = status.filter((s) => s.untracked).map((s) => s.path);
    for (const [file, content] of await readSources(stream.worktree, untracked)) {
      changes.added.set(file, content);
    }
    return changes;
  } catch (error) {
    if (error instanceof StreamScanError) throw error;
    throw new StreamScanError(stream.id, `${where}: ${(error as Error).message}`);
  }
}
