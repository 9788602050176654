/**
 * The state-file watcher: keeps the store's copy of the shared state current. chokidar watches
 * the state directory (not its `logs/`); a burst of events is coalesced (writers rewrite the JSON
 * files in place, so there is no rename to wait for: a short debounce instead of
 * `awaitWriteFinish`), and only the scopes whose files changed are read again, with the
 * engine's tolerant readers (which retry a half-written file and recover a broken one from its
 * last good copy). The activity log is followed from the last offset read.
 *
 * `streams.yaml` is watched too: an edit is read again (`reloadPlan`), and the status and
 * checkpoints are rebuilt from the new plan, so a stream or agent added to it shows up (and its
 * agents start if it is in progress). A plan with errors is a problem (file, line and column)
 * while the control room keeps the last good plan.
 *
 * A file that cannot be read is reported with `setProblem` and the store keeps the last good
 * data; nothing here throws into the UI.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { type FSWatcher, watch } from "chokidar";
import {
  type CheckpointView,
  checkpointViews,
  recordedStreamStatuses,
} from "../engine/checkpoints.js";
import { listLocks, lockExpiry } from "../engine/locks.js";
import { plural } from "../engine/plural.js";
import { PLAN_FILE, type Project, reloadPlan } from "../engine/project.js";
import {
  type ActivityEntry,
  activitySchema,
  type LocksFile,
  STATE_FILES,
} from "../engine/state/formats.js";
import { parseJsonl } from "../engine/state/jsonl.js";
import { buildStatus } from "../engine/status.js";
import { PRIORITY_ORDER, taskBoard } from "../engine/tasks/index.js";
import { Debouncer, errorMessage, SerialTask } from "./serial.js";
import { ACTIVITY_LIMIT, type CheckpointRow, type RoomStore } from "./state.js";

/** What can be read again on its own. `status` is orchestrator_state.json (the streams). */
export type StateScope = "status" | "locks" | "checkpoints" | "tasks" | "handoffs" | "activity";
export const STATE_SCOPES: readonly StateScope[] = [
  "status",
  "locks",
  "checkpoints",
  "tasks",
  "handoffs",
  "activity",
];

/** The file each scope reads (the status also reads the locks and checkpoints). */
const SCOPE_OF_FILE: ReadonlyMap<string, StateScope> = new Map([
  [STATE_FILES.orchestrator, "status"],
  [STATE_FILES.locks, "locks"],
  [STATE_FILES.checkpoints, "checkpoints"],
  [STATE_FILES.tasks, "tasks"],
  [STATE_FILES.handoffs, "handoffs"],
  [STATE_FILES.activity, "activity"],
]);

/** The JSON files whose last good content the watcher keeps (see StateStore.snapshot). */
const SNAPSHOT_OF_FILE: ReadonlyMap<
  string,
  "orchestrator" | "locks" | "checkpoints" | "tasks" | "handoffs" | "agents"
> = new Map([
  [STATE_FILES.tasks, "tasks"],
  [STATE_FILES.orchestrator, "orchestrator"],
  [STATE_FILES.locks, "locks"],
  [STATE_FILES.checkpoints, "checkpoints"],
  [STATE_FILES.handoffs, "handoffs"],
  [STATE_FILES.agents, "agents"],
] as const);

/** Coalesces the events of one burst of writes. */
export const STATE_DEBOUNCE_MS = 40;
/** The longest a timer can wait (setTimeout's limit). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface StateWatcher {
  /** Reads a scope again now (all when none is given); resolves when the store has it. */
  refresh(scope?: StateScope): Promise<void>;
  close(): Promise<void>;
}

export interface StateWatcherOptions {
  /** Coalescing delay (default 40 ms). */
  debounceMs?: number;
  /** The environment `TOWER_STATE_DIR` is read from when the plan is reloaded. */
  env?: NodeJS.ProcessEnv;
  /** Notices for the clients' message line (the plan read again). */
  onMessage?: (message: string) => void;
}

export const toCheckpointRows = (views: readonly CheckpointView[]): CheckpointRow[] =>
  views.map((c) => ({
    id: c.id,
    status: c.status,
    kind: c.kind,
    dependsOn: c.depends_on,
    waitingFor: c.waiting_for,
  }));

/** Follows the activity log: complete lines only, from where the last read stopped. */
class ActivityTail {
  private offset = 0;
  private lineNo = 1;
  private inode: number | undefined;
  private entries: ActivityEntry[] = [];

  constructor(private readonly file: string) {}

  /** The entries after this read, or undefined when nothing changed. */
  async read(): Promise<ActivityEntry[] | undefined> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.file, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (this.offset === 0 && this.entries.length === 0) return undefined;
      this.reset(undefined);
      return this.entries;
    }
    try {
      const { size, ino } = await handle.stat();
      let changed = false;
      // A shrunk or replaced log (rotated, cleared) is read again from its start.
      if (size < this.offset || (this.inode !== undefined && ino !== this.inode)) {
        this.reset(ino);
        changed = true;
      }
      this.inode = ino;
      if (size > this.offset) {
        const buffer = Buffer.alloc(size - this.offset);
        let got = 0;
        while (got < buffer.length) {
          const { bytesRead } = await handle.read(
            buffer,
            got,
            buffer.length - got,
            this.offset + got,
          );
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        const text = buffer.subarray(0, got).toString("utf8");
        const read = parseJsonl(text, activitySchema, this.file, this.lineNo, false);
        this.offset += read.end;
        this.lineNo = read.nextLine;
        if (read.entries.length > 0) {
          this.entries = this.entries.concat(read.entries);
          if (this.entries.length > ACTIVITY_LIMIT)
            this.entries = this.entries.slice(-ACTIVITY_LIMIT);
          changed = true;
        }
      }
      return changed ? this.entries : undefined;
    } finally {
      await handle.close();
    }
  }

  private reset(inode: number | undefined): void {
    this.offset = 0;
    this.lineNo = 1;
    this.inode = inode;
    this.entries = [];
  }
}

/**
 * Watches the project's state directory and keeps `store` current. Resolves after a first full
 * load (a file that cannot be read then is a `problem`, not a rejection).
 */
export async function startStateWatcher(
  project: Project,
  store: RoomStore,
  options: StateWatcherOptions = {},
): Promise<StateWatcher> {
  const state = project.store;
  const dir = state.dir;
  /** By scope, plus "watcher" for the watcher's own errors. */
  const problems = new Map<string, string>();
  let shownProblem: string | undefined;
  let closed = false;
  let expiryTimer: NodeJS.Timeout | undefined;
  const tail = new ActivityTail(state.path(STATE_FILES.activity));
  /** What each scope last put in the store: a read that finds the same leaves the store alone. */
  const seen = new Map<StateScope, string>();
  const changed = (scope: StateScope, value: unknown): boolean => {
    const json = JSON.stringify(value);
    if (seen.get(scope) === json) return false;
    seen.set(scope, json);
    return true;
  };

  const showProblems = () => {
    if (closed) return;
    const text = [...new Set(problems.values())].join("\n") || undefined;
    if (text === shownProblem) return;
    // Leave a problem someone else reported alone unless it is the one this watcher showed.
    const current = store.getState().problem;
    if (text !== undefined || current === shownProblem) store.getState().setProblem(text);
    shownProblem = text;
  };

  /** Re-reads the locks when the next one expires, so `expired` flips without polling. */
  const scheduleExpiry = (file: LocksFile) => {
    clearTimeout(expiryTimer);
    expiryTimer = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const entry of Object.values(file.locks)) {
      const expiry = lockExpiry(entry);
      const at = "at" in expiry ? expiry.at.getTime() : undefined;
      if (at !== undefined && at > now && at < next) next = at;
    }
    if (!Number.isFinite(next) || closed) return;
    expiryTimer = setTimeout(() => void refresh("locks"), Math.min(next - now + 20, MAX_TIMER_MS));
    expiryTimer.unref();
  };

  const readers: Record<StateScope, () => Promise<void>> = {
    status: async () => {
      const status = await buildStatus({ ...project, store: state });
      if (!closed && changed("status", status)) store.getState().setStatus(status);
    },
    locks: async () => {
      const file = await state.read("locks");
      if (closed) return;
      scheduleExpiry(file);
      const locks = listLocks(file);
      if (!changed("locks", locks)) return;
      const s = store.getState();
      s.setLocks(locks);
      // Keep the status report's copy consistent without reading the streams again.
      if (s.status) s.setStatus({ ...s.status, locks });
    },
    checkpoints: async () => {
      const views = checkpointViews(
        project.plan,
        await state.read("checkpoints"),
        project.seal,
        await recordedStreamStatuses(state),
      );
      if (closed || !changed("checkpoints", views)) return;
      const s = store.getState();
      s.setCheckpoints(toCheckpointRows(views));
      if (s.status) {
        const checkpoints = views.map((c) => ({
          id: c.id,
          status: c.status,
          depends_on: c.depends_on,
        }));
        s.setStatus({ ...s.status, checkpoints });
      }
    },
    tasks: async () => {
      const board = taskBoard(project.plan, await state.read("tasks"));
      // By stream in plan order, by priority within a stream.
      const rank = (t: { priority: string }) => PRIORITY_ORDER.indexOf(t.priority as "P0");
      const rows = board.streams.flatMap((s) => [...s.tasks].sort((a, b) => rank(a) - rank(b)));
      if (!closed && changed("tasks", rows)) store.getState().setTasks(rows);
    },
    handoffs: async () => {
      const file = await state.read("handoffs");
      if (!closed && changed("handoffs", file.handoffs))
        store.getState().setHandoffs(file.handoffs);
    },
    activity: async () => {
      const entries = await tail.read();
      if (entries && !closed) store.getState().setActivity(entries);
    },
  };

  const tasks = Object.fromEntries(
    STATE_SCOPES.map((scope) => [
      scope,
      new SerialTask(async () => {
        if (closed) return;
        try {
          await readers[scope]();
          problems.delete(scope);
        } catch (error) {
          problems.set(scope, errorMessage(error));
        }
        showProblems();
      }),
    ]),
  ) as Record<StateScope, SerialTask>;

  const planFile = path.join(project.repo.mainRoot, PLAN_FILE);
  // The key overrides the control room runs with: an edit changes them only at a restart (and
  // says so every time it is read again, not only at the first read after the edit).
  const keysInUse = JSON.stringify(project.plan.uiKeys);
  const planTask = new SerialTask(async () => {
    if (closed) return;
    try {
      const plan = await reloadPlan(project, options.env);
      const restartFor = JSON.stringify(plan.uiKeys) === keysInUse ? [] : ["ui.keys"];
      problems.delete("plan");
      if (closed) return;
      showProblems();
      options.onMessage?.(
        `streams.yaml read again: ${plural(plan.streams.length, "stream")}${restartFor.length > 0 ? `; changes to ${restartFor.join(", ")} apply when Tower restarts` : ""}`,
      );
      // Not waited for: a plan edited again while the status is rebuilt (seconds on a busy
      // machine) is read again at once, not after that rebuild. close() waits for both tasks.
      void tasks.status.run();
      void tasks.checkpoints.run();
    } catch (error) {
      problems.set("plan", `${errorMessage(error)}\n(the control room keeps the plan read before)`);
    }
    showProblems();
  });

  const refresh = async (scope?: StateScope): Promise<void> => {
    if (closed) return;
    const scopes = scope ? [scope] : STATE_SCOPES;
    await Promise.all(scopes.map((s) => tasks[s].run()));
  };

  const debouncer = new Debouncer<StateScope | "plan">(
    options.debounceMs ?? STATE_DEBOUNCE_MS,
    (scopes) => {
      // The plan read again reads the status and checkpoints again itself.
      if (scopes.delete("plan")) void planTask.run();
      // The status reads the locks and checkpoints too: a status that failed on one of them is
      // read again once that file changes.
      if (problems.has("status") && (scopes.has("locks") || scopes.has("checkpoints"))) {
        scopes.add("status");
      }
      for (const scope of scopes) if (scope !== "plan") void tasks[scope].run();
    },
  );

  // chokidar cannot watch a folder that does not exist yet; writers create it anyway.
  await fsp.mkdir(dir, { recursive: true });
  const logs = path.join(dir, STATE_FILES.logs);
  // The plan too: editors save by rewriting it or by renaming a new file over it; both end in an
  // event for its path (a deleted plan is a problem until it is back).
  const watcher: FSWatcher = watch([dir, planFile], {
    ignoreInitial: true,
    depth: 0,
    followSymlinks: false,
    // Agents' logs are written constantly and are nobody's state.
    ignored: (file) => file === logs || file.startsWith(`${logs}${path.sep}`),
  });
  // Other writers (the protocol's Python helper) never keep a last good copy: the watcher keeps
  // one for them as soon as their write is seen, so that a later writer killed mid-rewrite loses
  // none of what they wrote. One snapshot at a time per file; a change meanwhile takes one more.
  const snapshots = new Map<string, { again: boolean }>();
  const snapshot = (name: string) => {
    const key = SNAPSHOT_OF_FILE.get(name);
    if (!key || closed) return;
    const running = snapshots.get(key);
    if (running) {
      running.again = true;
      return;
    }
    const state_ = { again: false };
    snapshots.set(key, state_);
    void (async () => {
      do {
        state_.again = false;
        await state.snapshot(key).catch(() => undefined);
      } while (state_.again && !closed);
      snapshots.delete(key);
    })();
  };
  const onEvent = (file: string) => {
    if (file === planFile) return debouncer.add("plan");
    if (path.dirname(file) !== dir) return;
    snapshot(path.basename(file));
    const scope = SCOPE_OF_FILE.get(path.basename(file));
    if (scope) debouncer.add(scope);
  };
  watcher.on("add", onEvent);
  watcher.on("change", onEvent);
  watcher.on("unlink", onEvent);
  watcher.on("error", (error) => {
    problems.set("watcher", `watching ${dir}: ${errorMessage(error)}`);
    showProblems();
  });
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));

  await refresh();

  return {
    refresh,
    async close() {
      if (closed) return;
      closed = true;
      debouncer.close();
      clearTimeout(expiryTimer);
      await watcher.close();
      await Promise.all([...STATE_SCOPES.map((s) => tasks[s].idle()), planTask.idle()]);
    },
  };
}
