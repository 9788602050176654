/**
 * Which agent made which commit. Several agents share a stream's worktree, so the branch alone
 * cannot say whose work a commit is: the guard's post-commit hook (agents/guard.ts) appends one
 * line per commit an agent makes (`TOWER_AGENT_ID` is in every agent's environment) to
 * `commit_agents.jsonl` in the state directory. A handoff then credits the sender with its own
 * commits only. Commits with no line (the user's, or made before the guard) belong to no agent.
 */
import { promises as fsp } from "node:fs";
import { appendJsonl } from "./state/jsonl.js";
import type { StateStore } from "./state/store.js";

export const COMMIT_CREDITS_FILE = "commit_agents.jsonl";

export interface CommitCredit {
  commit: string;
  agent: string;
  stream: string;
  timestamp: string;
}

export async function recordCommitCredit(
  store: StateStore,
  credit: Omit<CommitCredit, "timestamp">,
  now = new Date(),
): Promise<void> {
  await appendJsonl(store.path(COMMIT_CREDITS_FILE), { ...credit, timestamp: now.toISOString() });
}

/** Commit → the agent that made it (the last line wins); unreadable lines are skipped. */
export async function readCommitCredits(store: StateStore): Promise<Map<string, string>> {
  const credits = new Map<string, string>();
  const text = await fsp.readFile(store.path(COMMIT_CREDITS_FILE), "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as Partial<CommitCredit>;
      if (typeof entry.commit === "string" && typeof entry.agent === "string") {
        credits.set(entry.commit, entry.agent);
      }
    } catch {
      // A line cut by a crash: the others still count.
    }
  }
  return credits;
}
