/**
 * `tower hook <event>`: what Tower does with each Claude Code hook event of the agents it starts.
 *
 * - PreToolUse of a file-writing tool: a write to a file another agent holds a live lock on is
 *   denied with the holder's name, stream, task and expiry (so the model can work on something
 *   else); a write outside the stream's scope is denied with the scope (`scope_mode: warn` lets
 *   it through with a warning); a write into the main worktree or another stream's worktree is
 *   denied. Otherwise, with `locks: auto`, the agent takes (or renews) the lock, so the Locks tab
 *   shows what real agents are editing: a provisional lock, short (PROVISIONAL_LOCK_MS), since
 *   the write may not be made. An allowed write still goes through Claude Code's own permission
 *   prompt: Tower never answers "allow" for the human.
 * - PostToolUse of a file-writing tool: the write was made: an `edited` entry in the activity
 *   log, and its provisional lock extended to the stream's lock_ttl.
 * - PostToolUseFailure (the tool failed) and PermissionDenied (Claude Code's auto mode said no)
 *   of a file-writing tool: the write was not made: its provisional lock is released.
 * - PostToolBatch (every tool call of a batch has resolved): a write of the batch whose lock is
 *   still provisional was not made, unless its file changed: declined at its prompt (see
 *   batchResolved); its lock is released.
 * - An agent the plan does not have (its stream removed from streams.yaml while it runs): its
 *   writes are still refused files other agents hold; it takes no lock, and has no scope.
 * - The other events announce the agent's status and its session id into `agents.json`.
 *
 * Codex's PreToolUse and PostToolUse of `apply_patch` (the same JSON as Claude Code's) are
 * answered alike for every file the patch names, and announce no status (Codex says its own);
 * so are those of its shell tool (`Bash`) whose command runs `apply_patch` (Codex applies that
 * patch itself), other commands answered with nothing;
 * Gemini CLI's BeforeTool and AfterTool as PreToolUse and PostToolUse, in Gemini's words (an
 * AfterTool whose response has an error as PostToolUseFailure).
 *
 * Every answer is plain data (`HookAnswer`); the command prints it. Claude Code reads a JSON
 * object on stdout with exit code 0.
 */
import path from "node:path";
import { recordAnnouncement } from "../engine/announce.js";
import { uncommittedIn } from "../engine/git/diff.js";
import {
  AUTO_LOCK,
  acquireLocks,
  isProvisional,
  listLocks,
  lockNamesFold,
  locksOverlap,
  releaseProvisionalLocks,
} from "../engine/locks.js";
import type { Plan } from "../engine/plan/index.js";
import { recordRefusal } from "../engine/refusals.js";
import type { StateStore } from "../engine/state/store.js";
import {
  FILE_TOOLS,
  GEMINI_FILE_TOOLS,
  type HookAnswer,
  type HookEvent,
  PATCH_TOOL,
  SHELL_TOOL,
} from "./hook-events.js";
import type { AgentIdentity } from "./identity.js";
import { type FilePlace, placeFile } from "./paths.js";
import { lockedReason, type StreamPolicy, scopeReason, streamPolicy, untilText } from "./policy.js";

export {
  FILE_TOOLS,
  GEMINI_HOOK_EVENTS,
  HOOK_EVENTS,
  type HookAnswer,
  type HookEvent,
} from "./hook-events.js";

/**
 * How long the lock a write takes before it is made (at PreToolUse, BeforeTool) lasts, unless
 * the write's PostToolUse (AfterTool) says it was made and extends it to the stream's lock_ttl.
 * Before that, the write may never be made: the human declines the CLI's permission prompt,
 * the tool fails, another hook denies it; and the CLIs tell Tower of only some of these (a
 * failed tool: Claude Code's PostToolUseFailure, Gemini's AfterTool with an error, which
 * release the lock at once), never of a prompt declined (Claude Code's PostToolBatch says only
 * that the batch is over: see batchResolved). So the lock must lapse by itself soon
 * enough not to keep the other agents from the file for long, and last long enough to cover a
 * permission prompt a human answers in a reasonable time: Tower flags the waiting agent at once
 * and its CLI notifies after a few seconds, and 5 minutes leave room to finish a look at another
 * pane first. A human who takes longer loses nothing: the write's PostToolUse takes the lock
 * again if no other agent took the file meanwhile (and says so when one did). A stream whose
 * lock_ttl is shorter gives that instead (see provisionalLife). The room releases them sooner
 * when it runs the agent: once the agent has been idle a moment, its turn is over
 * (room/turn-locks.ts).
 */
export const PROVISIONAL_LOCK_MS = 5 * 60_000;

/** The life of a provisional lock in a stream: PROVISIONAL_LOCK_MS, or its lock_ttl if shorter. */
export const provisionalLife = (policy: StreamPolicy): number =>
  Math.min(PROVISIONAL_LOCK_MS, policy.ttlMs);

export interface HookContext {
  identity: AgentIdentity;
  plan: Plan;
  store: StateStore;
  now?: Date;
  /**
   * Takes the writes the answer does not depend on (the status announced, a refusal recorded,
   * an edit logged) to do after answering: the room, so that the agent waits only for the
   * decision and the lock. Without it they are done before answering.
   */
  later?: (work: () => Promise<unknown>) => void;
  /** false: the event announces no status (Gemini's: its title says it). */
  announces?: boolean;
}

/** `work` after the answer when the context can, else now. */
async function afterAnswer(ctx: HookContext, work: () => Promise<unknown>): Promise<void> {
  if (ctx.later) ctx.later(work);
  else await work();
}

type Payload = Record<string, unknown>;

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * The files a patch of Codex's `apply_patch` writes: added, updated, deleted, moved to. Each
 * line is trimmed first, as Codex's parser does: an indented header is a header all the same.
 */
export function patchFiles(patch: string): string[] {
  const files = new Set<string>();
  for (const line of patch.split("\n")) {
    const named = /^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/.exec(line.trim());
    const file = named?.[1]?.trim();
    if (file) files.add(file);
  }
  return [...files];
}

/** `apply_patch` (or `applypatch`) run as a command: first, or after `&&`, `;`, `|`, `(`, `$(`. */
const RUNS_PATCH = /(?:^|[;&|(\n]|\$\()\s*(?:apply_patch|applypatch)(?=$|[\s<'"();&|])/;
const BEGIN_PATCH = /^\s*\*\*\* Begin Patch\s*$/m;
/** A leading `cd dir &&` (Codex applies the patch in that folder). */
const LEADING_CD = /^\s*cd\s+(?:"([^"]*)"|'([^']*)'|([^\s;&|]+))\s*&&/;

/**
 * A shell command of Codex's (`tool_input.command` of its shell tool) as a patch: the absolute
 * paths it writes when it runs `apply_patch` or holds a patch (`*** Begin Patch`), against the
 * cwd or the folder a leading `cd` goes to; "unread" when it runs `apply_patch` with no patch
 * in the command (from a file, a variable: Tower cannot tell what it writes); undefined when it
 * is no patch.
 */
export function shellPatch(command: string, cwd: string): string[] | "unread" | undefined {
  const runs = RUNS_PATCH.test(command);
  if (!runs && !BEGIN_PATCH.test(command)) return undefined;
  const cd = LEADING_CD.exec(command);
  const dir = cd ? path.resolve(cwd, cd[1] ?? cd[2] ?? cd[3] ?? ".") : cwd;
  const files = patchFiles(command).map((file) => path.resolve(dir, file));
  if (files.length > 0) return files;
  return runs ? "unread" : undefined;
}

/** The shell command of Codex's shell tool, if the payload is one. */
function shellCommand(payload: Payload): string | undefined {
  if (payload.tool_name !== SHELL_TOOL) return undefined;
  const input = payload.tool_input;
  if (typeof input !== "object" || input === null) return undefined;
  const command = (input as Payload).command;
  if (Array.isArray(command)) return command.map(String).join(" ");
  return text(command);
}

/** The absolute paths a file tool is about to write (none when it is not one). */
export function toolFiles(payload: Payload): string[] {
  const input = payload.tool_input;
  const cwd = text(payload.cwd) ?? "/";
  const command = shellCommand(payload);
  if (command !== undefined) {
    const files = shellPatch(command, cwd);
    return Array.isArray(files) ? files : [];
  }
  if (payload.tool_name === PATCH_TOOL) {
    const patch =
      typeof input === "string"
        ? input
        : typeof input === "object" && input !== null
          ? text((input as Payload).command)
          : undefined;
    return patch ? patchFiles(patch).map((file) => path.resolve(cwd, file)) : [];
  }
  const field = FILE_TOOLS[String(payload.tool_name)];
  if (!field || typeof input !== "object" || input === null) return [];
  const file = text((input as Payload)[field]);
  return file ? [path.resolve(cwd, file)] : [];
}

const deny = (reason: string): HookAnswer => ({
  output: {
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason: reason,
    },
  },
});

/** Allowed, with something the model and the human should know. */
const allowWithNote = (note: string): HookAnswer => ({
  output: {
    systemMessage: note,
    hookSpecificOutput: { hookEventName: "PreToolUse", additionalContext: note },
  },
});

async function otherWorktrees(ctx: HookContext): Promise<string[]> {
  const state = await ctx.store.read("orchestrator");
  const worktrees = Object.values(state.streams)
    .map((s) => s.worktree)
    .filter((w): w is string => typeof w === "string" && w !== "")
    .map((w) => path.resolve(ctx.identity.repoRoot, w))
    .filter((w) => path.resolve(w) !== path.resolve(ctx.identity.worktree));
  return [ctx.identity.repoRoot, ...worktrees];
}

function foreignReason(place: Extract<FilePlace, { kind: "foreign" }>, ctx: HookContext): string {
  return (
    `${path.join(place.root, place.file)} is outside your worktree: agent ${ctx.identity.agent} works in ` +
    `${ctx.identity.worktree} (stream ${ctx.identity.stream}). Edit ${path.join(ctx.identity.worktree, place.file)} instead.`
  );
}

/** PreToolUse: deny (recorded as a refusal for the run report), allow with a note, or allow. */
export async function preToolUse(ctx: HookContext, payload: Payload): Promise<HookAnswer> {
  const { answer, refused } = await decide(ctx, payload);
  const decision = answer.output?.hookSpecificOutput as
    | { permissionDecision?: string; permissionDecisionReason?: string }
    | undefined;
  if (decision?.permissionDecision === "deny") {
    await afterAnswer(ctx, () =>
      recordRefusal(
        ctx.store,
        {
          agent: ctx.identity.agent,
          stream: ctx.identity.stream,
          what: "write",
          ...(refused && { file: refused }),
          reason: decision.permissionDecisionReason ?? "",
        },
        ctx.now,
      ).catch(() => {}),
    );
  }
  return answer;
}

/** Another agent's live lock on `file`, if any. */
async function otherHolder(ctx: HookContext, file: string, now: Date) {
  const fold = await lockNamesFold(ctx.identity.repoRoot);
  const holders = listLocks(await ctx.store.read("locks"), now).filter(
    (lock) =>
      !lock.expired && lock.agent !== ctx.identity.agent && locksOverlap(lock.path, file, fold),
  );
  return holders[0];
}

/**
 * What the agent and the human should know of a write that is allowed: out of the stream's
 * scope under scope_mode warn, a file another agent holds under locks advisory. Empty when
 * nothing (or when the write is refused: see `decide`).
 */
async function writeNotes(
  ctx: HookContext,
  file: string,
  policy: StreamPolicy,
  now: Date,
): Promise<string[]> {
  const notes: string[] = [];
  if (!policy.inScope(file) && policy.scopeMode !== "enforce") {
    notes.push(
      scopeReason(file, policy.stream).replace(": change only", ": prefer to change only"),
    );
  }
  if (policy.locks === "advisory") {
    const holder = await otherHolder(ctx, file, now);
    if (holder) notes.push(lockedReason(file, holder, now));
  }
  return notes;
}

/**
 * The files of the agent's own worktree a write goes to, with its stream's policy; or the answer
 * when there are none to check (a refusal of a file in another worktree, a warning).
 */
type WriteTarget =
  | { kind: "none"; answer: HookAnswer; refused?: string }
  | { kind: "own"; files: string[]; policy: StreamPolicy }
  /**
   * An agent the plan does not have (its stream, or itself in it, was removed while it runs):
   * no policy, so no scope and no lock of its own; the other agents' locks bind it all the same.
   */
  | { kind: "unplanned"; files: string[]; warning: string };

/** The agent's stream's policy, if the plan has the agent in that stream. */
function plannedPolicy(ctx: HookContext): StreamPolicy | undefined {
  const { identity, plan } = ctx;
  const stream = plan.streams.find((s) => s.id === identity.stream);
  if (!stream?.agents.some((a) => a.id === identity.agent)) return undefined;
  return streamPolicy(plan, identity.stream);
}

async function writeTarget(ctx: HookContext, payload: Payload): Promise<WriteTarget> {
  const command = shellCommand(payload);
  if (command !== undefined && shellPatch(command, text(payload.cwd) ?? "/") === "unread") {
    return {
      kind: "none",
      answer: deny(
        "Tower cannot tell which files this apply_patch writes (its patch is not in the command). " +
          "Give the patch inline (apply_patch <<'EOF' … EOF) or use the apply_patch tool.",
      ),
    };
  }
  const absolutes = toolFiles(payload);
  if (absolutes.length === 0) return { kind: "none", answer: {} };
  const { identity } = ctx;
  const others = await otherWorktrees(ctx);
  const files: string[] = [];
  for (const absolute of absolutes) {
    const place = placeFile(absolute, identity.worktree, others);
    if (place.kind === "foreign")
      return { kind: "none", answer: deny(foreignReason(place, ctx)), refused: absolute };
    if (place.kind === "own") files.push(place.file);
  }
  if (files.length === 0) return { kind: "none", answer: {} };
  const policy = plannedPolicy(ctx);
  if (!policy) {
    return {
      kind: "unplanned",
      files,
      warning:
        `a hook for ${identity.agent} (stream ${identity.stream}), which the plan does not have: ` +
        `${files.join(", ")} checked only against the other agents' locks (no scope, no lock taken)`,
    };
  }
  return { kind: "own", files, policy };
}

/** The answer to a write, and the file a refusal is about (as the run report records it). */
interface Decision {
  answer: HookAnswer;
  refused?: string;
}

/** The first of `files` another agent holds a live lock on, as a refusal. */
async function heldByOther(
  ctx: HookContext,
  files: readonly string[],
  now: Date,
): Promise<Decision | undefined> {
  for (const file of files) {
    const holder = await otherHolder(ctx, file, now);
    if (holder) return { answer: deny(lockedReason(file, holder, now)), refused: file };
  }
  return undefined;
}

async function decide(ctx: HookContext, payload: Payload): Promise<Decision> {
  const target = await writeTarget(ctx, payload);
  if (target.kind === "none") return target;
  const { identity, store } = ctx;
  const now = ctx.now ?? new Date();
  if (target.kind === "unplanned") {
    const refusal = await heldByOther(ctx, target.files, now);
    if (refusal) return refusal;
    await announceWrite(ctx, payload, now);
    return { answer: { warning: target.warning } };
  }
  const { files, policy } = target;
  for (const file of files) {
    if (!policy.inScope(file) && policy.scopeMode === "enforce")
      return { answer: deny(scopeReason(file, policy.stream)), refused: file };
  }
  if (policy.locks === "auto") {
    const refusal = await heldByOther(ctx, files, now);
    if (refusal) return refusal;
    // Provisional: the write may not be made (see PROVISIONAL_LOCK_MS); its PostToolUse makes
    // the lock full.
    const taken = await acquireLocks(store, {
      paths: files,
      agent: identity.agent,
      stream: identity.stream,
      task: identity.task,
      ttlMs: provisionalLife(policy),
      now,
      source: "hook",
      provisional: true,
    });
    // Another agent took one between the read and the write.
    const refused = taken.results.find((r) => r.outcome === "refused");
    if (refused?.outcome === "refused" && refused.holders[0])
      return {
        answer: deny(lockedReason(refused.path, refused.holders[0], now)),
        refused: refused.path,
      };
  }
  await announceWrite(ctx, payload, now);
  const notes = await allNotes(ctx, files, policy, now);
  return { answer: notes.length > 0 ? allowWithNote(notes.join("\n")) : {} };
}

/** An allowed write: the agent is running (unless its CLI tells its status itself). */
async function announceWrite(ctx: HookContext, payload: Payload, now: Date): Promise<void> {
  if (ctx.announces === false) return;
  const { identity, store } = ctx;
  await afterAnswer(ctx, () =>
    recordAnnouncement(
      store,
      identity.agent,
      identity.stream,
      { status: "running", event: "PreToolUse", ...session(payload) },
      now,
    ),
  );
}

/**
 * After a write the agent's CLI allowed: made (`written`), its provisional locks become full
 * ones, for the stream's lock_ttl (taken again if they lapsed meanwhile; a lock never gets
 * shorter); not made (the tool failed, the permission was denied), its provisional locks are
 * released at once. A lock the agent held before the write stays as it was either way. A warning
 * when a file written is now another agent's (its provisional lock lapsed, and that agent took
 * it, before the write was made).
 */
async function settleWrite(
  ctx: HookContext,
  target: WriteTarget,
  written: boolean,
): Promise<HookAnswer> {
  if (target.kind !== "own" || target.policy.locks !== "auto") return {};
  const { files, policy } = target;
  const { identity, store } = ctx;
  const now = ctx.now ?? new Date();
  if (!written) {
    await releaseProvisionalLocks(store, {
      paths: files,
      agent: identity.agent,
      stream: identity.stream,
      life: provisionalLife(policy),
      now,
    });
    return {};
  }
  const request = {
    paths: files,
    agent: identity.agent,
    stream: identity.stream,
    task: identity.task,
    ttlMs: policy.ttlMs,
    now,
    source: AUTO_LOCK,
  } as const;
  const taken = await acquireLocks(store, request);
  if (taken.ok) return {};
  // All or none are taken: the files nobody else holds get their full locks all the same.
  const held = taken.results.flatMap((r) => (r.outcome === "refused" ? [r] : []));
  const free = files.filter((file) => !held.some((r) => r.path === file));
  if (free.length > 0) await acquireLocks(store, { ...request, paths: free });
  const holders = held.map((r) => {
    const holder = r.holders[0];
    return holder
      ? `${r.path} by agent ${holder.agent} until ${untilText(holder.expires, now)}`
      : r.path;
  });
  return {
    warning:
      `agent ${identity.agent} wrote a file after its provisional lock on it lapsed, and another ` +
      `agent locked it meanwhile: ${holders.join(", ")}`,
  };
}

async function allNotes(
  ctx: HookContext,
  files: readonly string[],
  policy: StreamPolicy,
  now: Date,
): Promise<string[]> {
  const notes: string[] = [];
  for (const file of files) notes.push(...(await writeNotes(ctx, file, policy, now)));
  return notes;
}

function session(payload: Payload): { sessionId?: string; transcriptPath?: string } {
  const sessionId = text(payload.session_id);
  const transcriptPath = text(payload.transcript_path);
  return {
    ...(sessionId && { sessionId }),
    ...(transcriptPath && { transcriptPath }),
  };
}

/** The status an event announces, if any. */
export function announcedStatus(
  event: HookEvent,
  payload: Payload,
): "running" | "idle" | "waiting" | undefined {
  switch (event) {
    case "UserPromptSubmit":
    case "PostToolUse":
    case "PermissionDenied":
      return "running";
    case "PostToolUseFailure":
      // Interrupted by the human: the turn stops there.
      return payload.is_interrupt === true ? undefined : "running";
    case "PermissionRequest":
      return "waiting";
    case "Notification":
      if (payload.notification_type === "permission_prompt") return "waiting";
      if (payload.notification_type === "idle_prompt") return "idle";
      return undefined;
    case "SessionStart":
    case "Stop":
      return "idle";
    default:
      return undefined;
  }
}

/**
 * Claude Code's PostToolBatch: every tool call of a batch has resolved, and a write made has
 * had its PostToolUse, which made its lock a full one. A write of the batch whose lock is still
 * provisional was not made: declined at its prompt, which no hook tells. Declined with word of
 * what to do instead (Tab to amend), the turn goes on, so the room's release of an idle agent's
 * provisional locks would wait for its end: they go now, each but on a file the agent changed in
 * its worktree (a write made whose PostToolUse was lost), as at the turn's end
 * (room/turn-locks.ts). It announces nothing: it comes after an interrupted batch too.
 */
async function batchResolved(ctx: HookContext, payload: Payload): Promise<HookAnswer> {
  const calls = Array.isArray(payload.tool_calls) ? payload.tool_calls : [];
  const files = new Set<string>();
  let policy: StreamPolicy | undefined;
  for (const call of calls) {
    if (typeof call !== "object" || call === null) continue;
    const target = await writeTarget(ctx, { cwd: payload.cwd, ...(call as Payload) });
    if (target.kind !== "own" || target.policy.locks !== "auto") continue;
    policy = target.policy;
    for (const file of target.files) files.add(file);
  }
  if (!policy || files.size === 0) return {};
  const { identity, store } = ctx;
  const agent = { id: identity.agent, stream: identity.stream, worktree: identity.worktree };
  await releaseUnmadeLocks(store, agent, provisionalLife(policy), { among: files, now: ctx.now });
  return {};
}

/**
 * Releases `agent`'s provisional locks (those among `among`, or all) on files unchanged in its
 * worktree: writes that were not made. One on a file it changed stays (the write was made, and
 * its PostToolUse was lost). git reads the worktree only when the agent holds such locks; when
 * git cannot say what changed, they lapse by themselves. Returns the paths released.
 */
export async function releaseUnmadeLocks(
  store: StateStore,
  agent: { id: string; stream: string; worktree: string },
  life: number,
  options: { among?: ReadonlySet<string>; now?: Date | undefined } = {},
): Promise<string[]> {
  const { locks } = await store.read("locks");
  const held = Object.entries(locks)
    .filter(([key]) => options.among?.has(key) !== false)
    .filter(([, entry]) => entry.agent === agent.id && isProvisional(entry, life))
    .map(([key]) => key);
  if (held.length === 0) return [];
  const changed = await uncommittedIn(agent.worktree);
  if (changed === undefined) return [];
  const fold = await lockNamesFold(agent.worktree);
  const unmade = held.filter((key) => !changed.some((file) => locksOverlap(key, file, fold)));
  return releaseProvisionalLocks(store, {
    paths: unmade,
    agent: agent.id,
    stream: agent.stream,
    life,
    ...(options.now && { now: options.now }),
  });
}

/** A file tool's writes in the agent's own worktree, for the activity log. */
async function recordEdit(ctx: HookContext, payload: Payload, now: Date): Promise<void> {
  const { identity, store } = ctx;
  for (const absolute of toolFiles(payload)) {
    const place = placeFile(absolute, identity.worktree, []);
    if (place.kind !== "own") continue;
    const file = place.file;
    await afterAnswer(ctx, () =>
      store.appendActivity(
        {
          agent: identity.agent,
          stream: identity.stream,
          action: "edited",
          file,
          tool: String(payload.tool_name),
        },
        now,
      ),
    );
  }
}

/**
 * Gemini CLI's BeforeTool and AfterTool, answered as PreToolUse and PostToolUse with its file
 * tools named as Claude Code's; a refusal in Gemini's words (`decision`, `reason`). A note on
 * an allowed write (scope_mode warn, locks advisory) goes to the human before the write (its
 * `systemMessage`, which Gemini shows) and to the model after it (AfterTool's
 * `additionalContext`, which Gemini appends to the tool's result: its BeforeTool has no field
 * the model reads but the refusal's reason).
 */
async function geminiHook(
  event: "BeforeTool" | "AfterTool",
  payload: Payload,
  ctx: HookContext,
): Promise<HookAnswer> {
  const asClaude = asClaudePayload(payload);
  // No status from these: Gemini's own title says it (an announced status would win over it).
  const quiet = { ...ctx, announces: false };
  if (event === "AfterTool") {
    const now = ctx.now ?? new Date();
    // A write that failed comes with an error in its response (Gemini's AfterTool fires after
    // the tool ran, whatever became of it; a write declined at its prompt has none).
    const failed = Boolean((payload.tool_response as Payload | undefined)?.error);
    if (!failed) await recordEdit(quiet, asClaude, now);
    const target = await writeTarget(quiet, asClaude);
    const settled = await settleWrite(quiet, target, !failed);
    const notes =
      target.kind === "own" && !failed
        ? await allNotes(quiet, target.files, target.policy, now)
        : [];
    if (notes.length === 0) return settled;
    return {
      ...settled,
      output: {
        hookSpecificOutput: { hookEventName: "AfterTool", additionalContext: notes.join("\n") },
      },
    };
  }
  return asGeminiAnswer(await preToolUse(quiet, asClaude));
}

/** A Gemini tool event's payload with its file tool named as Claude Code's. */
export function asClaudePayload(payload: Payload): Payload {
  const tool = GEMINI_FILE_TOOLS[String(payload.tool_name)];
  return tool ? { ...payload, tool_name: tool } : payload;
}

/**
 * A PreToolUse answer as Gemini reads it: a refusal as `decision` and `reason`, a note as the
 * `systemMessage` it shows the human, else nothing.
 */
export function asGeminiAnswer(answer: HookAnswer): HookAnswer {
  const { output, ...rest } = answer;
  const decision = output?.hookSpecificOutput as
    | { permissionDecision?: string; permissionDecisionReason?: string }
    | undefined;
  if (decision?.permissionDecision !== "deny") {
    const note = output?.systemMessage;
    return typeof note === "string" ? { ...rest, output: { systemMessage: note } } : rest;
  }
  return { ...rest, output: { decision: "deny", reason: decision.permissionDecisionReason ?? "" } };
}

/**
 * Codex's SessionStart, at its first prompt (and at a resume, a new session): the agent itself
 * tells the session it is in and the file it keeps it in, which `codex resume` continues next
 * time. It announces no status: Codex's own status line (OSC 7501) tells that.
 */
async function codexSessionStarted(ctx: HookContext, payload: Payload): Promise<HookAnswer> {
  const ids = session(payload);
  if (!ids.sessionId) return {};
  const { identity, store } = ctx;
  const now = ctx.now ?? new Date();
  await afterAnswer(ctx, () =>
    recordAnnouncement(
      store,
      identity.agent,
      identity.stream,
      { event: "SessionStart", ...ids },
      now,
    ),
  );
  return {};
}

/** Handles one hook event of the agent `ctx.identity`. */
export async function handleHook(
  event: HookEvent,
  payload: Payload,
  ctx: HookContext,
): Promise<HookAnswer> {
  if (event === "BeforeTool" || event === "AfterTool") return geminiHook(event, payload, ctx);
  if (event === "PostToolBatch") return batchResolved(ctx, payload);
  if (event === "CodexSessionStart") return codexSessionStarted(ctx, payload);
  // Only the room's snapshot before it (room/hook-endpoint.ts): nothing to answer.
  if (event === "CodexModelRequest") return {};
  // Codex's patches: its own status line (OSC 7501) says what it does, so they announce none.
  // (Its shell tool too: Tower hooks it only for the patches it runs.)
  const patch = payload.tool_name === PATCH_TOOL || payload.tool_name === SHELL_TOOL;
  if (event === "PreToolUse")
    return preToolUse(patch ? { ...ctx, announces: false } : ctx, payload);
  const now = ctx.now ?? new Date();
  const { identity, store } = ctx;
  // The write was made (PostToolUse: Claude Code's and Codex's come only for a tool that did
  // its work), or not (the tool failed; the permission was denied by Claude Code's auto mode).
  let settled: HookAnswer = {};
  if (event === "PostToolUse") {
    await recordEdit(ctx, payload, now);
    settled = await settleWrite(ctx, await writeTarget(ctx, payload), true);
  } else if (event === "PostToolUseFailure" || event === "PermissionDenied") {
    settled = await settleWrite(ctx, await writeTarget(ctx, payload), false);
  }
  if (patch) return settled;
  const status = announcedStatus(event, payload);
  const ids = session(payload);
  if (status || ids.sessionId) {
    await afterAnswer(ctx, () =>
      recordAnnouncement(
        store,
        identity.agent,
        identity.stream,
        { event, ...(status && { status }), ...ids },
        now,
      ),
    );
  }
  return settled;
}
