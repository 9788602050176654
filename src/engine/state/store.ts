/**
 * Typed access to every file of the shared state directory (DESIGN §3). Each JSON file is read
 * tolerantly and written under its flock; each JSONL file is appended a line at a time.
 *
 * Before any file is touched, the way to the directory is checked (no symbolic link from the
 * main worktree root down, locate.ts) and so is every entry Tower knows in it: a link, a FIFO
 * or a folder where a state file should be, a link or a file where one of its folders should
 * be, is an error naming it, before anything is written (a lock must not be stored and then fail
 * to be logged because the log is a link). The folders are made with `folder` (safe-fs.ts:
 * makeStateFolder), never through a link.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";

import {
  type ActivityEntry,
  activitySchema,
  type ConflictWarning,
  conflictWarningSchema,
  type JsonStateKey,
  STATE_FILES,
  STATE_FOLDERS,
  specs,
} from "./formats.js";
import {
  backupPath,
  type JsonFileOptions,
  type JsonFileSpec,
  readJsonFile,
  type SnapshotResult,
  StateFileError,
  serializeJson,
  snapshotGoodCopy,
  updateJsonFile,
} from "./json-file.js";
import { appendJsonl, type JsonlRead, readJsonl } from "./jsonl.js";
import { makeStateDir, resolveStateDir, type StateDirRules, verifyStateDir } from "./locate.js";
import { checkStateFile, checkStateFolder, makeStateFolder } from "./safe-fs.js";
import { toUtcIso } from "./time.js";

/** The lock file of `tower merge` (one merge at a time), kept in the state directory. */
export const MERGE_LOCK_FILE = "merge.lock";

/** The agent name Tower itself uses in the activity log. */
export const TOWER_AGENT = "tower";

type JsonKey = JsonStateKey;
type JsonValue<K extends JsonKey> = (typeof specs)[K] extends JsonFileSpec<infer T> ? T : never;

/** An activity entry before its timestamp is added. */
export type NewActivity = Omit<ActivityEntry, "timestamp"> & { [key: string]: unknown };

export class StateStore {
  /** Messages about files that were recovered (or whose copy could not be kept), to show. */
  readonly recoveries: string[] = [];
  private readonly options: JsonFileOptions;

  /** The main worktree's root, when the store was made for a project (stateStoreFor). */
  get repoRoot(): string | undefined {
    return this.rules.root;
  }

  /**
   * `rules` say which folders on the way to `dir` are checked for links (from the main worktree
   * root down) and which link may stand for it (see locate.ts); `stateStoreFor` fills them in.
   */
  constructor(
    readonly dir: string,
    private readonly rules: StateDirRules = {},
  ) {
    this.options = {
      onWarning: (_file, message) => {
        if (!this.recoveries.includes(message)) this.recoveries.push(message);
      },
      onRecovered: async (file, message, wrote) => {
        if (!this.recoveries.includes(message)) this.recoveries.push(message);
        if (!wrote) return;
        // Logged once the recovered content is written back, before the change that follows it;
        // a failure here must not hide the data.
        await this.appendActivity({
          agent: TOWER_AGENT,
          stream: "",
          action: "warning",
          file: path.basename(file),
          warning: message,
        }).catch(() => {});
      },
    };
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  private jsonPath(key: JsonKey): string {
    return this.path(STATE_FILES[key]);
  }

  /**
   * Checks the way to the directory and every entry Tower knows in it (see the top of this
   * file); with `create`, makes the directory (as real folders) when it is missing.
   */
  async prepare(create = false): Promise<void> {
    await verifyStateDir(this.dir, this.rules);
    if (create) await makeStateDir(this.dir, this.rules.root);
    const files = [
      ...(Object.keys(specs) as JsonKey[]).flatMap((key) => [
        this.jsonPath(key),
        backupPath(this.jsonPath(key)),
      ]),
      this.path(STATE_FILES.activity),
      this.path(STATE_FILES.conflictWarnings),
      this.path(MERGE_LOCK_FILE),
    ];
    await Promise.all(files.map((file) => checkStateFile(file)));
    const folders = [STATE_FILES.logs, ...Object.values(STATE_FOLDERS)];
    await Promise.all(folders.map((name) => checkStateFolder(this.path(name))));
  }

  async read<K extends JsonKey>(key: K): Promise<JsonValue<K>> {
    await this.prepare();
    return readJsonFile(this.jsonPath(key), specs[key] as JsonFileSpec<JsonValue<K>>, this.options);
  }

  /**
   * Changes one JSON file under its lock; `change` edits the value in place. `afterWrite` runs
   * once the change is stored, still under the lock (see updateJsonFile): what it appends to the
   * activity log is in the order of the changes, and only for changes that were stored.
   */
  async update<K extends JsonKey, R>(
    key: K,
    change: (value: JsonValue<K>) => R | Promise<R>,
    afterWrite?: (result: R) => void | Promise<void>,
  ): Promise<R> {
    await this.prepare(true);
    return updateJsonFile(this.jsonPath(key), specs[key] as JsonFileSpec<JsonValue<K>>, change, {
      ...this.options,
      afterWrite,
    });
  }

  /**
   * Copies one JSON file's current content to its last good copy if it is whole and differs:
   * for a process that follows the files as they change (see snapshotGoodCopy).
   */
  async snapshot(key: JsonKey): Promise<SnapshotResult> {
    await this.prepare();
    return snapshotGoodCopy(this.jsonPath(key), specs[key] as JsonFileSpec<unknown>, this.options);
  }

  async appendActivity(entry: NewActivity, now = new Date()): Promise<ActivityEntry> {
    await this.prepare(true);
    const full = { timestamp: toUtcIso(now), ...entry } as ActivityEntry;
    await appendJsonl(this.path(STATE_FILES.activity), full);
    return full;
  }

  async readActivity(): Promise<JsonlRead<ActivityEntry>> {
    await this.prepare();
    return readJsonl(this.path(STATE_FILES.activity), activitySchema);
  }

  async appendConflictWarning(
    entry: Omit<ConflictWarning, "timestamp">,
    now = new Date(),
  ): Promise<void> {
    await this.prepare(true);
    await appendJsonl(this.path(STATE_FILES.conflictWarnings), {
      timestamp: toUtcIso(now),
      ...entry,
    });
  }

  async readConflictWarnings(): Promise<JsonlRead<ConflictWarning>> {
    await this.prepare();
    return readJsonl(this.path(STATE_FILES.conflictWarnings), conflictWarningSchema);
  }

  agentLogPath(agentId: string): string {
    return path.join(this.dir, STATE_FILES.logs, `agent-${agentId}.log`);
  }

  /**
   * The path of `logs/<name>`, once the state directory and its `logs/` folder are checked
   * (and made if missing): open it with openStateFile, which does not follow a link there.
   */
  async logFile(name: string): Promise<string> {
    return path.join(await this.logsFolder(), name);
  }

  private logsFolder(): Promise<string> {
    return this.folder(STATE_FILES.logs);
  }

  /**
   * The path of the folder `parts` (`launch`, `A1`: `<dir>/launch/A1`), once the state directory
   * is checked (and made if missing) and the folder made, one folder at a time, none of them a
   * link (makeStateFolder): write the files in it with writeStateFile or openStateFile, which do
   * not follow a link there.
   */
  async folder(...parts: string[]): Promise<string> {
    await this.prepare(true);
    return makeStateFolder(this.dir, this.path(path.join(...parts)));
  }

  /**
   * Creates the directory and every file that is missing, in its empty form. Existing files are
   * never touched. Returns the names of the files it created.
   */
  async init(): Promise<string[]> {
    await this.logsFolder();
    const created: string[] = [];
    const jsonKeys = Object.keys(specs) as JsonKey[];
    const files: [string, string][] = [
      ...jsonKeys.map((key): [string, string] => [
        STATE_FILES[key],
        serializeJson(specs[key].empty()),
      ]),
      [STATE_FILES.activity, ""],
      [STATE_FILES.conflictWarnings, ""],
    ];
    for (const [name, content] of files) {
      try {
        await fsp.writeFile(this.path(name), content, { flag: "wx", mode: 0o644 });
        created.push(name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
    }
    return created;
  }

  /** Reads every file and returns one line per problem found (empty when all is well). */
  async check(): Promise<string[]> {
    const problems: string[] = [];
    try {
      await this.prepare();
    } catch (error) {
      if (error instanceof StateFileError) return [error.message];
      throw error;
    }
    for (const key of Object.keys(specs) as JsonKey[]) {
      try {
        await this.read(key);
      } catch (error) {
        if (error instanceof StateFileError) problems.push(error.message);
        else throw error;
      }
    }
    const logs: [string, () => Promise<JsonlRead<unknown>>][] = [
      [STATE_FILES.activity, () => this.readActivity()],
      [STATE_FILES.conflictWarnings, () => this.readConflictWarnings()],
    ];
    for (const [name, read] of logs) {
      try {
        for (const w of (await read()).warnings)
          problems.push(`${this.path(name)}:${w.line}: ${w.message}`);
      } catch (error) {
        if (error instanceof StateFileError) problems.push(error.message);
        else throw error;
      }
    }
    problems.push(...this.recoveries.map((message) => `${this.dir}: ${message}`));
    return problems;
  }
}

/** The store of a project: `<mainRoot>/<planStateDir>` unless TOWER_STATE_DIR says otherwise. */
export function stateStoreFor(
  mainRoot: string,
  planStateDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): StateStore {
  const shared = resolveStateDir(mainRoot, planStateDir, {});
  return new StateStore(resolveStateDir(mainRoot, planStateDir, env), { root: mainRoot, shared });
}
