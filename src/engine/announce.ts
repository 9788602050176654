/**
 * What agents announce about themselves (through their CLI's hooks), kept in `agents.json` next
 * to the status the control room derives from the screen: the agent's own session id (to resume
 * exactly that conversation), its transcript, and the status it says it is in. The control room
 * prefers an announced status over screen patterns.
 */
import type { AgentStatus } from "./state/formats.js";
import type { StateStore } from "./state/store.js";
import { toUtcIso } from "./state/time.js";

export interface Announcement {
  /** The status the agent says it is in (omitted: only the session changed). */
  status?: Exclude<AgentStatus, "starting" | "exited">;
  /** The hook event that said so (`Stop`, `PermissionRequest`, ...). */
  event: string;
  sessionId?: string;
  transcriptPath?: string;
}

/** The `announced` record of an agents.json entry. */
export interface AnnouncedRecord {
  status?: string;
  event: string;
  at: string;
}

export async function recordAnnouncement(
  store: StateStore,
  agent: string,
  stream: string,
  announcement: Announcement,
  now = new Date(),
): Promise<void> {
  const at = toUtcIso(now);
  await store.update("agents", (file) => {
    const entry = file.agents[agent] ?? {
      stream,
      // Without a control room, the announcement is the only status there is.
      status: announcement.status ?? "running",
      updated: at,
    };
    if (announcement.sessionId) entry.session_id = announcement.sessionId;
    if (announcement.transcriptPath) entry.transcript_path = announcement.transcriptPath;
    if (announcement.status) {
      entry.announced = {
        status: announcement.status,
        event: announcement.event,
        at,
      } satisfies AnnouncedRecord;
    }
    file.agents[agent] = entry;
  });
}
