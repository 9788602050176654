/**
 * The provisional locks of writes an agent asked for and did not make, released when its turn
 * is over. A write's lock is taken at its PreToolUse (BeforeTool), before the CLI's permission
 * prompt, and lasts PROVISIONAL_LOCK_MS unless the write is made (agents/hook.ts); a write the
 * human declines at the prompt is told of by no CLI's hook (but Claude Code's PostToolBatch,
 * where the agent goes on: see batchResolved there), so the lock would keep the other agents
 * from the file for those minutes. Once the agent has been idle for a while (IDLE_SETTLE_MS:
 * its CLI shows its idle title for a moment before a permission prompt's hook says it waits),
 * no write of that turn is still to come: its provisional locks on files unchanged in its
 * worktree go. One on a file it changed stays (the write was made, and its PostToolUse was lost).
 */

import { provisionalLife, releaseUnmadeLocks } from "../agents/hook.js";
import { streamPolicy } from "../agents/policy.js";
import type { Project } from "../engine/project.js";

/** How long an agent stays idle before its turn counts as over. */
export const IDLE_SETTLE_MS = 5_000;

/** Releases `agent`'s provisional locks on files unchanged in `worktree`; returns those released. */
export async function releaseUnmadeWrites(
  project: Project,
  agent: { id: string; stream: string; worktree: string },
): Promise<string[]> {
  const policy = streamPolicy(project.plan, agent.stream);
  if (!policy) return [];
  return releaseUnmadeLocks(project.store, agent, provisionalLife(policy));
}
