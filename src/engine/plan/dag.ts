import type { Plan, Startability, StreamStatus } from "./types.js";

/**
 * Streams in layers: phase 1 has no dependencies, phase N+1 depends only on earlier phases.
 * Ids keep plan order inside a phase. Throws if dependencies are unknown or cyclic, which
 * parsePlan never lets through.
 */
export function phases(plan: Plan): string[][] {
  const placed = new Set<string>();
  let remaining = plan.streams;
  const result: string[][] = [];
  while (remaining.length > 0) {
    const ready = remaining.filter((s) => s.dependsOn.every((dep) => placed.has(dep)));
    if (ready.length === 0) {
      const stuck = remaining.map((s) => `${s.id} (depends on ${s.dependsOn.join(", ")})`);
      throw new Error(`cannot order streams, unknown or cyclic dependencies: ${stuck.join("; ")}`);
    }
    for (const s of ready) placed.add(s.id);
    remaining = remaining.filter((s) => !placed.has(s.id));
    result.push(ready.map((s) => s.id));
  }
  return result;
}

/** The order in which streams merge: the phases, one after another. */
export function mergeOrder(plan: Plan): string[] {
  return phases(plan).flat();
}

const DONE: ReadonlySet<StreamStatus> = new Set(["completed", "merged"]);

/**
 * For each stream in plan order, whether it can start now. A pending stream can start when every
 * dependency is completed or merged; a missing status counts as pending. `waitingFor` lists the
 * unmet dependencies whatever the stream's own status.
 */
export function startability(
  plan: Plan,
  statuses: Readonly<Record<string, StreamStatus | undefined>>,
): Startability[] {
  const statusOf = (id: string): StreamStatus => statuses[id] ?? "pending";
  return plan.streams.map((stream) => {
    const waitingFor = stream.dependsOn
      .map((id) => ({ id, status: statusOf(id) }))
      .filter(({ status }) => !DONE.has(status));
    const own = statusOf(stream.id);
    if (own !== "pending") {
      return {
        id: stream.id,
        canStart: false,
        waitingFor,
        reason: `${stream.id} cannot start: already ${own}`,
      };
    }
    if (waitingFor.length > 0) {
      const list = waitingFor.map(({ id, status }) => `${id} (${status})`).join(", ");
      return {
        id: stream.id,
        canStart: false,
        waitingFor,
        reason: `${stream.id} cannot start: waiting for ${list}`,
      };
    }
    return { id: stream.id, canStart: true, waitingFor };
  });
}
