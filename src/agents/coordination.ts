/**
 * The coordination protocol as an agent sees it: the operations behind `tower mcp`'s tools,
 * acting as the calling agent, each returning the text the model reads. They call the same
 * engine as the CLI commands, so a model's tool call and `tower lock` change the same state.
 */
import { checkpointViews } from "../engine/checkpoints.js";
import { type ConflictWarning, scanConflicts } from "../engine/conflicts/index.js";
import { recordHandoff } from "../engine/handoffs.js";
import {
  acquireLocks,
  type LockInfo,
  listLocks,
  normalizeLockPath,
  releaseLocks,
} from "../engine/locks.js";
import type { Project } from "../engine/project.js";
import { buildStatus } from "../engine/status.js";
import { changeTask, myTasksText, type TaskAction, taskActionText } from "../engine/tasks/index.js";
import type { AgentIdentity } from "./identity.js";
import { lockedReason, streamPolicy, untilText } from "./policy.js";

export interface AgentContext {
  project: Project;
  identity: Pick<AgentIdentity, "agent" | "stream" | "worktree" | "task">;
  now?: () => Date;
}

const now = (ctx: AgentContext) => ctx.now?.() ?? new Date();

const lockLine = (lock: LockInfo, at: Date) =>
  `${lock.path}: ${lock.agent}${lock.stream ? ` (stream ${lock.stream})` : ""}${lock.task ? `, "${lock.task}"` : ""}, until ${untilText(lock.expires, at)}${lock.expired ? " (expired)" : ""}`;

export async function lockFiles(
  ctx: AgentContext,
  paths: readonly string[],
  options: { task?: string; ttlMs?: number } = {},
): Promise<string> {
  const { project, identity } = ctx;
  const keys = await Promise.all(paths.map((p) => normalizeLockPath(p, identity.worktree)));
  const at = now(ctx);
  const result = await acquireLocks(project.store, {
    paths: keys,
    agent: identity.agent,
    stream: identity.stream,
    task: options.task ?? identity.task,
    ttlMs: options.ttlMs ?? project.plan.lockTtlMs,
    now: at,
  });
  if (!result.ok) {
    const reasons = result.results.flatMap((r) =>
      r.outcome === "refused" ? r.holders.map((h) => lockedReason(r.path, h, at)) : [],
    );
    return `Nothing was locked.\n${reasons.join("\n")}`;
  }
  return result.results
    .map((r) =>
      r.outcome === "refused"
        ? ""
        : `${r.outcome === "renewed" ? "renewed" : "locked"} ${r.path} until ${untilText(r.expires, at)}`,
    )
    .join("\n");
}

export async function unlockFiles(ctx: AgentContext, paths: readonly string[]): Promise<string> {
  const { project, identity } = ctx;
  const keys = await Promise.all(paths.map((p) => normalizeLockPath(p, identity.worktree)));
  const result = await releaseLocks(project.store, {
    paths: keys,
    agent: identity.agent,
    stream: identity.stream,
    now: now(ctx),
  });
  if (!result.ok) {
    const held = result.results.flatMap((r) =>
      r.outcome === "refused" ? [`${r.path} is held by ${r.holder.agent}, not by you`] : [],
    );
    return `Nothing was released.\n${held.join("\n")}`;
  }
  return result.results
    .map((r) => (r.outcome === "released" ? `released ${r.path}` : `${r.path} was not locked`))
    .join("\n");
}

export async function listAllLocks(ctx: AgentContext, mine: boolean): Promise<string> {
  const at = now(ctx);
  const locks = listLocks(await ctx.project.store.read("locks"), at).filter(
    (l) => !mine || l.agent === ctx.identity.agent,
  );
  if (locks.length === 0) return mine ? "You hold no locks." : "No locks are held.";
  return locks.map((l) => lockLine(l, at)).join("\n");
}

/** My stream, my scope, what I wait for, who holds what in my scope, handoffs to me. */
export async function myStatus(ctx: AgentContext): Promise<string> {
  const { project, identity } = ctx;
  const at = now(ctx);
  const report = await buildStatus(project, at);
  const stream = report.streams.find((s) => s.id === identity.stream);
  const policy = streamPolicy(project.plan, identity.stream);
  const lines = [
    `You are agent ${identity.agent} of stream ${identity.stream}${stream ? ` (${stream.name}, ${stream.status})` : ""}.`,
    `Your task: ${identity.task || "(none given)"}`,
    `Your worktree: ${identity.worktree}`,
  ];
  if (policy) {
    lines.push(
      policy.stream.scope.length > 0
        ? `Your scope (${policy.scopeMode === "enforce" ? "enforced" : "warned"}): ${policy.stream.scope.join(", ")}`
        : "Your scope: the whole repository.",
    );
  }
  if (stream && stream.depends_on.length > 0) {
    const deps = stream.depends_on.map(
      (d) => `${d} (${report.streams.find((s) => s.id === d)?.status ?? "?"})`,
    );
    lines.push(`Your stream depends on: ${deps.join(", ")}`);
  }
  const others = report.locks.filter(
    (l) =>
      !l.expired &&
      l.agent !== identity.agent &&
      (!policy || policy.inScope(l.path.replace(/\/$/, ""))),
  );
  lines.push(
    others.length > 0
      ? `Locked by others in your scope:\n${others.map((l) => `  ${lockLine(l, at)}`).join("\n")}`
      : "Nothing in your scope is locked by another agent.",
  );
  const mine = report.locks.filter((l) => l.agent === identity.agent && !l.expired);
  if (mine.length > 0) lines.push(`Your locks: ${mine.map((l) => l.path).join(", ")}`);
  const handoffs = (await project.store.read("handoffs")).handoffs.filter((h) =>
    h.to_agents.includes(identity.agent),
  );
  if (handoffs.length > 0) {
    lines.push(
      `Handoffs to you: ${handoffs.map((h) => `from ${h.from_agent} at ${h.timestamp}`).join("; ")} (read them with the handoffs tool or in ${project.store.path("handoffs")}/${identity.agent}.md)`,
    );
  }
  return lines.join("\n");
}

export async function handoffsToMe(ctx: AgentContext): Promise<string> {
  const handoffs = (await ctx.project.store.read("handoffs")).handoffs.filter((h) =>
    h.to_agents.includes(ctx.identity.agent),
  );
  if (handoffs.length === 0) return "No handoffs are addressed to you.";
  return JSON.stringify(handoffs, null, 2);
}

export interface HandoffInput {
  to: string[];
  completedTasks?: string[];
  newInterfaces?: string[];
  breakingChanges?: string[];
  testStatus?: string;
  note?: string;
}

export async function handOff(ctx: AgentContext, input: HandoffInput): Promise<string> {
  const handoff = await recordHandoff(ctx.project.plan, ctx.project.store, {
    from: ctx.identity.agent,
    to: input.to,
    ...(input.completedTasks && { completedTasks: input.completedTasks }),
    ...(input.newInterfaces && { newInterfaces: input.newInterfaces }),
    ...(input.breakingChanges && { breakingChanges: input.breakingChanges }),
    ...(input.testStatus && { testStatus: input.testStatus }),
    ...(input.note && { note: input.note }),
    now: now(ctx),
  });
  return `Handed off to ${handoff.to_agents.join(", ")}.`;
}

export async function logNote(ctx: AgentContext, note: string): Promise<string> {
  await ctx.project.store.appendActivity(
    { agent: ctx.identity.agent, stream: ctx.identity.stream, action: "note", note },
    now(ctx),
  );
  return "Noted in the activity log.";
}

export async function myConflicts(ctx: AgentContext): Promise<string> {
  const { project, identity } = ctx;
  const warnings: ConflictWarning[] = await scanConflicts({
    plan: project.plan,
    store: project.store,
    mainRoot: project.repo.mainRoot,
    base: project.base,
  });
  const mine = warnings.filter((w) => w.streams.includes(identity.stream));
  if (mine.length === 0) return "No conflicts involve your stream.";
  return mine.map((w) => `[${w.severity}] ${w.kind}: ${w.message}`).join("\n");
}

/** The agent's tasks on the stream's board, and what it can take next. */
export async function myTasks(ctx: AgentContext): Promise<string> {
  return myTasksText(ctx.project.plan, await ctx.project.store.read("tasks"), ctx.identity.agent);
}

/** Starts, finishes or blocks a task as the agent; after `done`, names its next task. */
export async function moveTask(
  ctx: AgentContext,
  action: TaskAction,
  id: string,
  note?: string,
): Promise<string> {
  const result = await changeTask(action, {
    plan: ctx.project.plan,
    store: ctx.project.store,
    id,
    agent: ctx.identity.agent,
    ...(note !== undefined && { note }),
    now: now(ctx),
  });
  return taskActionText(result);
}

export async function listCheckpoints(ctx: AgentContext): Promise<string> {
  const views = checkpointViews(
    ctx.project.plan,
    await ctx.project.store.read("checkpoints"),
    ctx.project.seal,
  );
  if (views.length === 0) return "The plan has no checkpoints.";
  return views
    .map(
      (v) =>
        `${v.id}: ${v.status} (${v.kind})${v.waiting_for.length > 0 ? `, waits for ${v.waiting_for.join(", ")}` : ""}`,
    )
    .join("\n");
}
