/** Looking up streams and their recorded state. */
import { UnknownIdError } from "../errors.js";
import type { Plan, StreamSpec, StreamStatus } from "../plan/index.js";
import type { OrchestratorFile } from "../state/formats.js";

export function findStream(plan: Plan, id: string): StreamSpec {
  const stream = plan.streams.find((s) => s.id === id);
  if (stream) return stream;
  throw new UnknownIdError(
    `unknown stream "${id}" (known: ${plan.streams.map((s) => s.id).join(", ")})`,
  );
}

/** Every stream's status, `pending` when nothing is recorded. */
export function streamStatuses(plan: Plan, file: OrchestratorFile): Record<string, StreamStatus> {
  const out: Record<string, StreamStatus> = {};
  for (const stream of plan.streams) out[stream.id] = file.streams[stream.id]?.status ?? "pending";
  return out;
}
