/** Recording a merge's outcome in the stream's entry of orchestrator_state.json. */
import type { Project } from "../project.js";
import type { OrchestratorStream } from "../state/formats.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";

export async function record(
  project: Project,
  id: string,
  change: (entry: OrchestratorStream) => void,
): Promise<void> {
  await project.store.update("orchestrator", (file) => {
    const entry = file.streams[id];
    if (entry) change(entry);
  });
}

/**
 * A merge that did not go through: the stream is merge_failed with why (`details` are kept in
 * its merge_error), no longer pending, and the activity log says so.
 */
export async function recordFailure(
  project: Project,
  id: string,
  error: { kind: string; commit: string; rolled_back: boolean; message: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  await record(project, id, (e) => {
    delete e.merge_pending;
    e.status = "merge_failed";
    e.merge_error = { ...error, ...details, at: toUtcIso(new Date()) };
    if (error.kind === "validation") {
      e.last_validation = { ok: false, command: details.command, at: toUtcIso(new Date()) };
    }
  });
  await project.store.appendActivity({
    agent: TOWER_AGENT,
    stream: id,
    action: "merge_failed",
    reason: error.kind,
    ...(typeof details.command === "string" && { command: details.command }),
    commit: error.commit,
    rolled_back: error.rolled_back,
  });
}
