/** The person at this terminal, as approvals and rejections record them. */
import os from "node:os";

/** The id a person acts as (for locks, tasks) when no agent id is given. */
export const HUMAN = "human";

/** The login name (or "human" when there is none). */
export function humanName(): string {
  try {
    return os.userInfo().username || HUMAN;
  } catch {
    return HUMAN;
  }
}
