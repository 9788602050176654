/**
 * The conflict scanner service: scans the active streams (`scanConflicts`), records what is new
 * or gone (`recordConflicts`) and puts the warnings in the store. A scan is triggered by
 *
 *   (a) a change of the streams or the locks in the store (the state watcher's reads),
 *   (b) a file changed in an active stream's worktree (chokidar; `.git`, `node_modules` and
 *       `.claude` are ignored; the set of worktrees follows the streams), and
 *   (c) a commit: a change under `refs/heads` (or `packed-refs`) in the common git directory,
 *   (d) a timer, every `SCAN_INTERVAL_MS` (2 min), armed only while some agent is `running`
 *       (output recently): a sweep for what the file watchers missed (a full inotify table, a
 *       network file system), which costs nothing while every agent is idle,
 *
 * debounced, one scan at a time (requests during a scan make one follow-up scan), and nothing
 * runs while nothing changes. A scan that fails keeps the last good warnings and shows the error.
 */
import path from "node:path";
import { type FSWatcher, watch } from "chokidar";
import { recordConflicts, scanConflicts } from "../engine/conflicts/index.js";
import type { ConflictWarning } from "../engine/conflicts/types.js";
import { runGit } from "../engine/git/run.js";
import type { Project } from "../engine/project.js";
import type { StatusReport } from "../engine/status.js";
import { Debouncer, errorMessage, SerialTask } from "./serial.js";
import type { RoomState, RoomStore } from "./state.js";

export const SCAN_DEBOUNCE_MS = 500;
/**
 * The sweep while agents are working (see (d) above). Every two minutes, not every 30 s: a scan
 * starts a few dozen git processes, and even two at a time and at a lower priority (then from a
 * thread of the server, each a fork of the whole server; since from a helper process,
 * engine/git/git-process.ts), a sweep landing during a flood slowed keystroke echo for a second
 * or two (p99 53-66 ms against 28 ms with no sweep). The file watchers and the state trigger the
 * scans that matter within half a second; the sweep is the net under them.
 */
export const SCAN_INTERVAL_MS = 120_000;
/**
 * The first scan waits this long after the scanner starts. A scan runs a few dozen git
 * commands: when each was started from the server's one thread (5-15 ms of it each, Node forking
 * the whole process), a scan run right away kept the first client (plain `tower`, which waits on
 * the server it started) out for about 300 ms, and the start-up benchmark measured 1,030 ms to
 * the first complete frame with the wait, 1,398 without. From a thread of the server (as from
 * the helper process since) the difference is within the noise (one run each: 1,253 ms with the
 * wait, 1,302 without); the wait stays, as the first client needs the CPU more than the scan
 * does.
 */
export const FIRST_SCAN_DELAY_MS = 800;

/** Folders of a worktree whose changes never matter to a conflict scan. */
const IGNORED_FOLDERS = new Set([".git", "node_modules", ".claude"]);

/** Statuses whose streams the scanner looks at (as `activeStreams` in the engine). */
const INACTIVE = new Set(["pending", "merged"]);

export interface ConflictScanner {
  /** Scans now (after a scan already running, if any); resolves when the store has the result. */
  scanNow(): Promise<void>;
  close(): Promise<void>;
}

export interface ConflictScannerOptions {
  /** Debounce of the triggers (default 500 ms). */
  debounceMs?: number;
  /** The sweep's interval while an agent is running (default SCAN_INTERVAL_MS). */
  intervalMs?: number;
  /** How long the first scan waits (default FIRST_SCAN_DELAY_MS). */
  firstScanDelayMs?: number;
}

/** The worktrees of the streams a scan looks at, as absolute paths. */
export function activeWorktrees(status: StatusReport | undefined, mainRoot: string): string[] {
  if (!status) return [];
  const set = new Set<string>();
  for (const stream of status.streams) {
    if (INACTIVE.has(stream.status) || !stream.worktree) continue;
    set.add(path.resolve(mainRoot, stream.worktree));
  }
  return [...set].sort();
}

const isInside = (file: string, root: string): boolean =>
  file === root || file.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);

/** The common git directory (`.git` of the main worktree), absolute. */
async function commonGitDir(mainRoot: string): Promise<string | undefined> {
  const result = await runGit(mainRoot, [
    "rev-parse",
    "--path-format=absolute",
    "--git-common-dir",
  ]).catch(() => undefined);
  if (result?.exitCode !== 0) return undefined;
  const dir = result.stdout.trim();
  return dir ? path.resolve(dir) : undefined;
}

export function startConflictScanner(
  project: Project,
  store: RoomStore,
  options: ConflictScannerOptions = {},
): ConflictScanner {
  const mainRoot = project.repo.mainRoot;
  let closed = false;
  let lastGood: ConflictWarning[] = store.getState().conflicts;
  let watched: string[] = [];
  let worktreeWatcher: FSWatcher | undefined;
  let refsWatcher: FSWatcher | undefined;

  /**
   * Sets the warnings and the scan's error, unless they are what the room has: a scan that
   * finds what the last one found changes nothing (each change is sent to every client, which
   * redraws its screen for it).
   */
  const show = (warnings: ConflictWarning[], error: string | undefined) => {
    const current = store.getState();
    if (current.conflictError === error && sameJson(current.conflicts, warnings)) return;
    current.setConflicts(warnings, error);
  };

  const scan = new SerialTask(async () => {
    if (closed) return;
    let warnings: ConflictWarning[];
    try {
      warnings = await scanConflicts({
        plan: project.plan,
        store: project.store,
        mainRoot,
        base: project.base,
      });
    } catch (error) {
      // ConflictScanError (some stream unreadable) or no base branch: keep what was known.
      if (!closed) show(lastGood, errorMessage(error));
      return;
    }
    if (closed) return;
    lastGood = warnings;
    let recordError: string | undefined;
    try {
      await recordConflicts(project.store, warnings);
    } catch (error) {
      recordError = `cannot record conflict warnings: ${errorMessage(error)}`;
    }
    if (!closed) show(warnings, recordError);
  });

  const debouncer = new Debouncer<"scan">(options.debounceMs ?? SCAN_DEBOUNCE_MS, () => {
    void scan.run();
  });
  const trigger = () => debouncer.add("scan");

  /** Paths of a watched worktree that never trigger a scan. */
  const ignoredInWorktree = (file: string): boolean => {
    const root = watched.find((w) => isInside(file, w));
    if (root === undefined) return false;
    const relative = path.relative(root, file);
    return relative !== "" && relative.split(path.sep).some((part) => IGNORED_FOLDERS.has(part));
  };

  const updateWorktrees = (status: StatusReport | undefined) => {
    if (closed) return;
    const next = activeWorktrees(status, mainRoot);
    const added = next.filter((w) => !watched.includes(w));
    const removed = watched.filter((w) => !next.includes(w));
    if (added.length === 0 && removed.length === 0) return;
    watched = next;
    if (worktreeWatcher === undefined) {
      if (added.length === 0) return;
      worktreeWatcher = watch(added, {
        ignoreInitial: true,
        followSymlinks: false,
        ignored: ignoredInWorktree,
      });
      worktreeWatcher.on("all", trigger);
      worktreeWatcher.on("error", () => {});
      return;
    }
    if (removed.length > 0) worktreeWatcher.unwatch(removed);
    if (added.length > 0) worktreeWatcher.add(added);
  };

  let sweep: NodeJS.Timeout | undefined;
  const updateSweep = (agents: RoomState["agents"]) => {
    const working = Object.values(agents).some((a) => a.status === "running");
    if (working && sweep === undefined && !closed) {
      sweep = setInterval(trigger, options.intervalMs ?? SCAN_INTERVAL_MS);
      sweep.unref();
    } else if (!working && sweep !== undefined) {
      clearInterval(sweep);
      sweep = undefined;
    }
  };

  const unsubscribe = store.subscribe((state, previous) => {
    const streamsChanged = state.status?.streams !== previous.status?.streams;
    if (streamsChanged) updateWorktrees(state.status);
    if (streamsChanged || state.locks !== previous.locks) trigger();
    if (state.agents !== previous.agents) updateSweep(state.agents);
  });

  const setup = (async () => {
    const common = await commonGitDir(mainRoot);
    if (common === undefined || closed) return;
    const refs = path.join(common, "refs");
    const heads = path.join(refs, "heads");
    const packed = path.join(common, "packed-refs");
    refsWatcher = watch(common, {
      ignoreInitial: true,
      followSymlinks: false,
      // Only the branches: the rest of the git directory changes on every git command.
      ignored: (file) =>
        !(file === common || file === refs || file === packed || isInside(file, heads)) ||
        file.endsWith(".lock"),
    });
    refsWatcher.on("all", trigger);
    refsWatcher.on("error", () => {});
    if (closed) await refsWatcher.close();
  })().catch(() => {});

  updateWorktrees(store.getState().status);
  const first = setTimeout(() => void scan.run(), options.firstScanDelayMs ?? FIRST_SCAN_DELAY_MS);
  first.unref();

  return {
    scanNow() {
      // A debounced scan still pending runs as well: it may be the one that sees a write
      // chokidar did not report (see CHANGE_THROTTLE_MS).
      return scan.run();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(first);
      unsubscribe();
      clearInterval(sweep);
      sweep = undefined;
      debouncer.close();
      await setup;
      await Promise.all([worktreeWatcher?.close(), refsWatcher?.close()]);
      await scan.idle();
    },
  };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
