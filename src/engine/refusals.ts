/**
 * Refusals in the activity log: a lock another agent holds, a write outside the scope, a commit
 * the guard stopped. The run report counts what each agent met; whatever refuses records it
 * here (the lock functions do it themselves; the hook and the guard call recordRefusal).
 */
import type { StateStore } from "./state/store.js";

export const REFUSED_ACTION = "refused";

export interface Refusal {
  agent: string;
  stream: string;
  /** What was refused: `lock`, `write`, `commit`... */
  what: string;
  /** The file it was about, when there is one. */
  file?: string;
  /** The agent holding it, for a lock. */
  holder?: string;
  reason: string;
}

export async function recordRefusal(
  store: StateStore,
  refusal: Refusal,
  now = new Date(),
): Promise<void> {
  await store.appendActivity(
    {
      agent: refusal.agent,
      stream: refusal.stream,
      action: REFUSED_ACTION,
      what: refusal.what,
      ...(refusal.file !== undefined && { file: refusal.file }),
      ...(refusal.holder !== undefined && { holder: refusal.holder }),
      reason: refusal.reason,
    },
    now,
  );
}
