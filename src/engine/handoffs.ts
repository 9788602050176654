/**
 * Handoffs: what one agent passes to the agents that continue its work, appended to
 * `handoffs.json`, to each receiver's summary `handoffs/<agent>.md`, and recorded in the
 * activity log.
 */

import path from "node:path";
import { UnknownIdError } from "./errors.js";
import type { Plan } from "./plan/index.js";
import { type Handoff, STATE_FOLDERS } from "./state/formats.js";
import { appendStateFile, checkStateFile } from "./state/safe-fs.js";
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
  // The summaries' folder and files are checked before the handoff is recorded: a link there
  // (or anything but a file) is refused, naming it, and the handoff is not recorded.
  const folder = await store.folder(STATE_FOLDERS.handoffNotes);
  await Promise.all(request.to.map((to) => checkStateFile(summaryFile(folder, to))));
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
  const summaries = await writeSummaries(folder, handoff, stream);
  await store.appendActivity(
    {
      agent: request.from,
      stream,
      action: "handoff",
      to_agents: request.to,
      completed_tasks: handoff.completed_tasks ?? [],
      summaries,
    },
    now,
  );
  return handoff;
}

const bullets = (items: readonly unknown[]) =>
  items.length ? items.map((item) => `- ${String(item)}`).join("\n") : "- (none)";

/** The handoff as a reader sees it: what was done, what is new, what breaks. */
export function handoffMarkdown(handoff: Handoff, stream: string): string {
  const context = (handoff.context ?? {}) as Record<string, unknown>;
  const list = (key: string) => (Array.isArray(context[key]) ? (context[key] as unknown[]) : []);
  const parts = [
    `## From ${handoff.from_agent} (stream ${stream}) to ${handoff.to_agents.join(", ")}, ${handoff.timestamp}`,
    "",
    "### Completed",
    bullets(handoff.completed_tasks ?? []),
    "",
    "### New interfaces",
    bullets(list("new_interfaces")),
    "",
    "### Breaking changes",
    bullets(list("breaking_changes")),
    "",
    `### Tests: ${String(context.test_status ?? "unknown")}`,
  ];
  if (typeof context.notes === "string" && context.notes)
    parts.push("", "### Notes", context.notes);
  return `${parts.join("\n")}\n\n`;
}

const summaryFile = (folder: string, agent: string) => path.join(folder, `${agent}.md`);

/**
 * Appends the summary to `handoffs/<to-agent>.md` for each receiver, never through a link
 * (appendStateFile); returns the files' names.
 */
async function writeSummaries(folder: string, handoff: Handoff, stream: string): Promise<string[]> {
  const text = handoffMarkdown(handoff, stream);
  const names: string[] = [];
  for (const to of handoff.to_agents) {
    await appendStateFile(summaryFile(folder, to), text);
    names.push(`${STATE_FOLDERS.handoffNotes}/${to}.md`);
  }
  return names;
}
