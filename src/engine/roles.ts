/**
 * An agent's role as the briefing, the sidebar and the pane title show it: the plan resolves
 * roles (built-in ones, overridden field by field, and its own); this names an agent's and says
 * it in a few lines.
 */
import type { Plan, RoleSpec } from "./plan/index.js";

export interface AgentRole {
  id: string;
  name: string;
  responsibilities: string[];
  deliverables: string[];
  criteria: string[];
}

/** The role of `agentId`, or undefined when it has none (or the plan does not know it). */
export function agentRole(plan: Plan, agentId: string): AgentRole | undefined {
  const agent = plan.streams.flatMap((s) => s.agents).find((a) => a.id === agentId);
  const role = agent?.role ? plan.roles.find((r) => r.id === agent.role) : undefined;
  return role ? toAgentRole(role) : undefined;
}

const toAgentRole = (role: RoleSpec): AgentRole => ({
  id: role.id,
  name: role.name,
  responsibilities: role.responsibilities,
  deliverables: role.deliverables,
  criteria: role.criteria,
});

const sentence = (label: string, items: readonly string[]): string | undefined =>
  items.length > 0 ? `${label}: ${items.join("; ")}.` : undefined;

/**
 * The role in the agent's briefing: one line per part, short on purpose (the briefing is read
 * by a model at every start).
 */
export function roleBriefing(role: AgentRole): string {
  return [
    `Your role: ${role.name}.`,
    sentence("You are responsible for", role.responsibilities),
    sentence("Deliver", role.deliverables),
    sentence("Your work is done when", role.criteria),
  ]
    .filter((line): line is string => line !== undefined)
    .join("\n");
}

/** A short label for the sidebar and the pane title: the role's name. */
export const roleLabel = (plan: Plan, agentId: string): string | undefined =>
  agentRole(plan, agentId)?.name;
