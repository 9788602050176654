/**
 * Remembering warnings across scans, so each is told once. The keys of the warnings currently
 * standing live in `conflicts_active.json` in the state directory (a Tower file, written under
 * its flock like every JSON state file). A scan appends each NEW warning to
 * `conflict_warnings.jsonl` (the protocol's `{timestamp, agent, warning, severity}`), again only
 * if its severity rises, and records `conflict_cleared` in the activity log for each warning that
 * is gone. The whole comparison runs under the file's lock, so two scanners never tell twice.
 */
import { z } from "zod";
import { jsonSpec } from "../state/formats.js";
import { type JsonFileSpec, updateJsonFile } from "../state/json-file.js";
import { type StateStore, TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { type ConflictWarning, SEVERITY_RANK, warningKey } from "./types.js";

export const ACTIVE_CONFLICTS_FILE = "conflicts_active.json";

const severitySchema = z.enum(["low", "medium", "high"]);
const standingSchema = z.looseObject({
  kind: z.string(),
  streams: z.array(z.string()),
  files: z.array(z.string()),
  severity: severitySchema,
  message: z.string(),
  since: z.string(),
});
const activeFileSchema = z.looseObject({
  active: z.record(z.string(), standingSchema),
  version: z.number().optional(),
});

export type StandingWarning = z.infer<typeof standingSchema>;
export type ActiveConflictsFile = z.infer<typeof activeFileSchema>;

export const activeConflictsSpec: JsonFileSpec<ActiveConflictsFile> = jsonSpec(
  activeFileSchema,
  () => ({
    active: {},
    version: 1,
  }),
);

export interface RecordResult {
  /** Warnings appended to conflict_warnings.jsonl by this call (new, or more severe). */
  added: ConflictWarning[];
  /** Warnings that were standing and are gone. */
  cleared: StandingWarning[];
}

/** The first agent of the warning's first stream (agents are listed stream by stream). */
const agentOf = (warning: ConflictWarning): string => warning.agents[0] ?? TOWER_AGENT;

/** Records a scan's warnings: tells the new ones once, and the cleared ones as activity. */
export async function recordConflicts(
  store: StateStore,
  warnings: readonly ConflictWarning[],
  now = new Date(),
): Promise<RecordResult> {
  const current = new Map<string, ConflictWarning>();
  for (const warning of warnings) {
    const key = warningKey(warning);
    if (!current.has(key)) current.set(key, warning);
  }
  return updateJsonFile(store.path(ACTIVE_CONFLICTS_FILE), activeConflictsSpec, async (file) => {
    const added: ConflictWarning[] = [];
    const cleared: StandingWarning[] = [];
    for (const [key, warning] of current) {
      const standing = file.active[key];
      const rises =
        standing !== undefined &&
        SEVERITY_RANK[warning.severity] > SEVERITY_RANK[standing.severity];
      if (standing === undefined || rises) {
        await store.appendConflictWarning(
          { agent: agentOf(warning), warning: warning.message, severity: warning.severity },
          now,
        );
        added.push(warning);
      }
      file.active[key] = {
        kind: warning.kind,
        streams: warning.streams,
        files: warning.files,
        severity: warning.severity,
        message: warning.message,
        since: standing?.since ?? toUtcIso(now),
      };
    }
    for (const [key, standing] of Object.entries(file.active)) {
      if (current.has(key)) continue;
      await store.appendActivity(
        {
          agent: TOWER_AGENT,
          stream: standing.streams[0] ?? "",
          action: "conflict_cleared",
          kind: standing.kind,
          streams: standing.streams,
          files: standing.files,
          message: standing.message,
        },
        now,
      );
      cleared.push(standing);
      delete file.active[key];
    }
    return { added, cleared };
  });
}
