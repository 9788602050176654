/**
 * Typed access to every file of the shared state directory (DESIGN §3). Each JSON file is read
 * tolerantly and written under its flock; each JSONL file is appended a line at a time.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";

import {
  type ActivityEntry,
  activitySchema,
  type ConflictWarning,
  conflictWarningSchema,
  STATE_FILES,
  specs,
} from "./formats.js";
import {
  type JsonFileOptions,
  type JsonFileSpec,
  readJsonFile,
  StateFileError,
  serializeJson,
  updateJsonFile,
} from "./json-file.js";
import { appendJsonl, type JsonlRead, readJsonl } from "./jsonl.js";
import { toUtcIso } from "./time.js";

/** The agent name Tower itself uses in the activity log. */
export const TOWER_AGENT = "tower";

type JsonKey = keyof typeof specs;
type JsonValue<K extends JsonKey> = (typeof specs)[K] extends JsonFileSpec<infer T> ? T : never;

/** An activity entry before its timestamp is added. */
export type NewActivity = Omit<ActivityEntry, "timestamp"> & { [key: string]: unknown };

export class StateStore {
  /** Messages about files that were recovered, for the caller to show. */
  readonly recoveries: string[] = [];
  private readonly options: JsonFileOptions;

  constructor(readonly dir: string) {
    this.options = {
      onRecovered: (file, message) => {
        this.recoveries.push(message);
        // Recorded after the recovering write has finished; a failure here must not hide the data.
        queueMicrotask(() => {
          this.appendActivity({
            agent: TOWER_AGENT,
            stream: "",
            action: "warning",
            file: path.basename(file),
            warning: message,
          }).catch(() => {});
        });
      },
    };
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  private jsonPath(key: JsonKey): string {
    return this.path(STATE_FILES[key]);
  }

  read<K extends JsonKey>(key: K): Promise<JsonValue<K>> {
    return readJsonFile(this.jsonPath(key), specs[key] as JsonFileSpec<JsonValue<K>>, this.options);
  }

  /** Changes one JSON file under its lock; `change` edits the value in place. */
  update<K extends JsonKey, R>(
    key: K,
    change: (value: JsonValue<K>) => R | Promise<R>,
  ): Promise<R> {
    return updateJsonFile(
      this.jsonPath(key),
      specs[key] as JsonFileSpec<JsonValue<K>>,
      change,
      this.options,
    );
  }

  async appendActivity(entry: NewActivity, now = new Date()): Promise<ActivityEntry> {
    const full = { timestamp: toUtcIso(now), ...entry } as ActivityEntry;
    await appendJsonl(this.path(STATE_FILES.activity), full);
    return full;
  }

  readActivity(): Promise<JsonlRead<ActivityEntry>> {
    return readJsonl(this.path(STATE_FILES.activity), activitySchema);
  }

  async appendConflictWarning(
    entry: Omit<ConflictWarning, "timestamp">,
    now = new Date(),
  ): Promise<void> {
    await appendJsonl(this.path(STATE_FILES.conflictWarnings), {
      timestamp: toUtcIso(now),
      ...entry,
    });
  }

  readConflictWarnings(): Promise<JsonlRead<ConflictWarning>> {
    return readJsonl(this.path(STATE_FILES.conflictWarnings), conflictWarningSchema);
  }

  agentLogPath(agentId: string): string {
    return path.join(this.dir, STATE_FILES.logs, `agent-${agentId}.log`);
  }

  /**
   * Creates the directory and every file that is missing, in its empty form. Existing files are
   * never touched. Returns the names of the files it created.
   */
  async init(): Promise<string[]> {
    await fsp.mkdir(path.join(this.dir, STATE_FILES.logs), { recursive: true });
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
    for (const key of Object.keys(specs) as JsonKey[]) {
      try {
        await this.read(key);
      } catch (error) {
        if (error instanceof StateFileError) problems.push(error.message);
        else throw error;
      }
    }
    const logs: [string, Promise<JsonlRead<unknown>>][] = [
      [STATE_FILES.activity, this.readActivity()],
      [STATE_FILES.conflictWarnings, this.readConflictWarnings()],
    ];
    for (const [name, reading] of logs) {
      for (const w of (await reading).warnings)
        problems.push(`${this.path(name)}:${w.line}: ${w.message}`);
    }
    problems.push(...this.recoveries.map((message) => `${this.dir}: ${message}`));
    return problems;
  }
}
