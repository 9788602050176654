/**
 * Handoffs: what one agent passes to the agents that continue its work, appended to
 * `handoffs.json` and recorded in the activity log.
 */

import { UnknownIdError } from "./checkpoints.js";
import type { Plan } from "./plan/index.js";
import type { Handoff } from "./state/formats.js";
import type { StateStore } from "./state/store.js";
import { toUtcIso } from "./state/time.js";

export interface HandoffRequest {
  from: string;
  to: string[];
  completedTasks?: string[];
  newInterfaces?: string[];
  breakingChanges?: string[];
  testStatus?: string;
  note?: string;
  now?: Date;
}

/** The stream an agent belongs to, or undefined for an id the plan does not know. */
export function streamOfAgent(plan: Plan, agentId: string): string | undefined {
  return plan.streams.find((s) => s.agents.some((a) => a.id === agentId))?.id;
}

export function assertKnownAgent(plan: Plan, agentId: string): string {
  const stream = streamOfAgent(plan, agentId);
  if (stream !== undefined) return stream;
  const known = plan.streams.flatMap((s) => s.agents.map((a) => a.id)).join(", ");
  throw new UnknownIdError(`unknown agent "${agentId}" (known: ${known})`);
}

export async function recordHandoff(
  plan: Plan,
  store: StateStore,
  request: HandoffRequest,
): Promise<Handoff> {
  const stream = assertKnownAgent(plan, request.from);
  for (const to of request.to) assertKnownAgent(plan, to);
  if (request.to.length === 0)
    throw new UnknownIdError("a handoff needs at least one agent to hand off to (--to)");
  const now = request.now ?? new Date();
  const context: Record<string, unknown> = {
    new_interfaces: request.newInterfaces ?? [],
    breaking_changes: request.breakingChanges ?? [],
    test_status: request.testStatus ?? "unknown",
  };
  if (request.note) context.notes = request.note;
  const handoff: Handoff = {
    from_agent: request.from,
    to_agents: request.to,
    timestamp: toUtcIso(now),
    completed_tasks: request.completedTasks ?? [],
    context,
  };
  await store.update("handoffs", (file) => {
    file.handoffs.push(handoff);
  });
  await store.appendActivity(
    {
      agent: request.from,
      stream,
      action: "handoff",
      to_agents: request.to,
      completed_tasks: handoff.completed_tasks ?? [],
    },
    now,
  );
  return handoff;
}
