/**
 * Orphaned streams: streams that orchestrator_state.json says were started (a worktree and a
 * branch made, agents set to work) and not merged, but that streams.yaml no longer has. Nothing
 * of Tower acts on them any more (no start, complete or merge knows them), yet their worktree,
 * branch and perhaps agents are still there: the user decides, Tower only reports.
 */
import { byCodeUnit } from "../order.js";
import type { Plan } from "../plan/index.js";
import type { OrchestratorFile } from "../state/formats.js";

export interface OrphanedStream {
  id: string;
  status: string;
  worktree: string | undefined;
  branch: string | undefined;
  /** The agents recorded for it when it started. */
  agents: string[];
}

/** The streams recorded as started and not merged that the plan no longer has, in id order. */
export function orphanedStreams(plan: Plan, state: OrchestratorFile): OrphanedStream[] {
  const inPlan = new Set(plan.streams.map((s) => s.id));
  return Object.entries(state.streams)
    .filter(
      ([id, entry]) => !inPlan.has(id) && entry.status !== "merged" && entry.status !== "pending",
    )
    .map(([id, entry]) => ({
      id,
      status: entry.status,
      worktree: entry.worktree ?? undefined,
      branch: entry.branch ?? undefined,
      agents: (entry.agents ?? []).filter((a): a is string => typeof a === "string"),
    }))
    .sort((a, b) => byCodeUnit(a.id, b.id));
}
