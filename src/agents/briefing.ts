/**
 * What an agent is told when Tower starts it, in a few lines: who it is, where it works, what it
 * may change, who holds what in its scope, what was handed to it, and that Tower's tools exist.
 * Short on purpose: an agent told at length to coordinate spends its tokens chatting about it.
 */
import { listLocks } from "../engine/locks.js";
import type { Plan } from "../engine/plan/index.js";
import { agentRole, roleBriefing } from "../engine/roles.js";
import type { StateStore } from "../engine/state/store.js";
import type { AgentIdentity } from "./identity.js";
import { streamPolicy, untilText } from "./policy.js";

export interface BriefingOptions {
  /** The agent can call Tower's MCP tools (`mcp__tower__*` in Claude Code). */
  mcp: boolean;
  now?: Date;
}

export async function briefing(
  plan: Plan,
  store: StateStore,
  identity: AgentIdentity,
  options: BriefingOptions,
): Promise<string> {
  const now = options.now ?? new Date();
  const policy = streamPolicy(plan, identity.stream);
  const stream = policy?.stream;
  const [state, locksFile, handoffs] = await Promise.all([
    store.read("orchestrator"),
    store.read("locks"),
    store.read("handoffs"),
  ]);
  const lines = [
    `You are agent ${identity.agent} of stream ${identity.stream}${stream ? ` (${stream.name})` : ""}, one of several agents Tower runs in parallel on this repository.`,
    `Work only in ${identity.worktree}; your branch is merged later by a human.`,
  ];
  // The stream's other agents share its worktree: a `git checkout .` of one throws away
  // another's work (Tower's snapshots keep it: engine/git/snapshot.ts).
  const others = (stream?.agents ?? []).map((a) => a.id).filter((id) => id !== identity.agent);
  if (others.length > 0) {
    lines.push(
      `${others.join(", ")} ${others.length === 1 ? "works" : "work"} in this worktree too: never throw away changes you did not make (git checkout ., git reset --hard, git stash, git clean). Uncommitted work lost all the same is in \`tower snapshots ${identity.stream}\`.`,
    );
  }
  const role = agentRole(plan, identity.agent);
  if (role) lines.push(roleBriefing(role));
  if (stream && stream.scope.length > 0) {
    lines.push(
      `Your scope: ${stream.scope.join(", ")}. ${policy?.scopeMode === "enforce" ? "Writes outside it are refused." : "Stay inside it."}`,
    );
  }
  const waiting = (stream?.dependsOn ?? []).filter((d) => {
    const status = state.streams[d]?.status;
    return status !== "completed" && status !== "merged";
  });
  if (waiting.length > 0) lines.push(`Your stream depends on ${waiting.join(", ")}, not done yet.`);
  const held = listLocks(locksFile, now).filter(
    (l) =>
      !l.expired &&
      l.agent !== identity.agent &&
      (!policy || policy.inScope(l.path.replace(/\/$/, ""))),
  );
  if (held.length > 0) {
    const shown = held
      .slice(0, 5)
      .map((l) => `${l.path} (${l.agent} until ${untilText(l.expires, now)})`);
    lines.push(
      `Locked by other agents in your scope: ${shown.join(", ")}${held.length > 5 ? ", ..." : ""}.`,
    );
  }
  const toMe = handoffs.handoffs.filter((h) => h.to_agents.includes(identity.agent));
  if (toMe.length > 0) {
    lines.push(
      `Handoffs to you from ${[...new Set(toMe.map((h) => h.from_agent))].join(", ")}: read ${store.path("handoffs")}/${identity.agent}.md first.`,
    );
  }
  lines.push(
    options.mcp
      ? "A write to a file another agent holds is refused with the holder's name: work on something else meanwhile. Tower's tools (status, lock, unlock, handoff, log) are there when you need them."
      : "Before editing a file, lock it with `tower lock <file>` (refused with the holder's name if another agent holds it); `tower status` shows who holds what.",
  );
  return lines.join("\n");
}

/**
 * Instructions of the user's own (a plan's `--append-system-prompt`, a Codex configuration's
 * `developer_instructions`) before Tower's briefing, where the CLI takes only one of them.
 */
export function withBriefing(own: string | undefined, briefing: string): string {
  return own === undefined || own.trim() === "" ? briefing : `${own}\n\n${briefing}`;
}
