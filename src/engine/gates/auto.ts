/**
 * Checkpoints with `auto: true` run by themselves once everything they depend on has passed (the
 * control room calls runDueGates when the state changes; `tower gate run --due` does it by hand).
 * Each runs once: the run is claimed in checkpoints.json under its lock before it starts, so two
 * callers never run the same gate, and a gate that failed waits to be run again by hand.
 */
import { checkpointViews, recordedStreamStatuses } from "../checkpoints.js";
import type { Plan, StreamStatus } from "../plan/index.js";
import type { Project } from "../project.js";
import type { Seal } from "../seal.js";
import type { CheckpointsFile } from "../state/formats.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { trustState, untrustedMessage } from "../trust.js";
import { type GateHooks, type GateResult, runGate } from "./run.js";

/** The note of a claimed run, while it runs. */
export const AUTO_CLAIM_NOTE = "running by itself (auto)";

/** The auto checkpoints that should run now: never run, nothing waited for. Pure. */
export function dueGates(
  plan: Plan,
  file: CheckpointsFile,
  seal: Seal,
  streams: Readonly<Record<string, StreamStatus | undefined>>,
): string[] {
  const views = checkpointViews(plan, file, seal, streams);
  return plan.checkpoints
    .filter((cp) => cp.auto && (cp.run !== undefined || cp.criteria !== undefined))
    .filter((cp) => !Object.hasOwn(file.checkpoints, cp.id))
    .filter((cp) => {
      const view = views.find((v) => v.id === cp.id);
      return (
        view !== undefined && view.waiting_for.length === 0 && view.waiting_for_streams.length === 0
      );
    })
    .map((cp) => cp.id);
}

export interface DueGatesResult {
  results: GateResult[];
  /** Why nothing ran although gates were due (the plan is not trusted), else undefined. */
  skipped?: string;
  /** Runs that failed to start or crashed, by gate, with the error's message. */
  errors: { id: string; message: string }[];
}

/** Claims and runs every due auto gate, one after another. */
export async function runDueGates(
  project: Project,
  hooks: GateHooks = {},
): Promise<DueGatesResult> {
  const { plan, store, seal } = project;
  const streams = await recordedStreamStatuses(store);
  const due = dueGates(plan, await store.read("checkpoints"), seal, streams);
  if (due.length === 0) return { results: [], errors: [] };
  const trust = await trustState(plan);
  if (!trust.trusted) {
    return { results: [], errors: [], skipped: untrustedMessage(plan, trust) };
  }
  const claimed = await store.update("checkpoints", (file) => {
    const now = dueGates(plan, file, seal, streams);
    for (const id of now) {
      file.checkpoints[id] = {
        status: "pending",
        updated: toUtcIso(new Date()),
        by: TOWER_AGENT,
        note: AUTO_CLAIM_NOTE,
      };
    }
    return now;
  });
  const results: GateResult[] = [];
  const errors: DueGatesResult["errors"] = [];
  for (const id of claimed) {
    try {
      results.push(await runGate(project, id, hooks));
    } catch (error) {
      const message = (error as Error).message;
      errors.push({ id, message });
      // Recorded as failed, not left claimed: it is run again by hand, not in a loop.
      await store.update("checkpoints", (file) => {
        if (file.checkpoints[id]?.note !== AUTO_CLAIM_NOTE) return;
        file.checkpoints[id] = {
          status: "failed",
          updated: toUtcIso(new Date()),
          by: TOWER_AGENT,
          note: `could not run: ${message}`,
        };
      });
    }
  }
  return { results, errors };
}
