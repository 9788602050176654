/**
 * `tower hook` without a room: the event handled in this process, on the files (see hook-main.ts
 * for when). Loads the plan and the engine, which the room has loaded already.
 */
import path from "node:path";
import { fallbackDenial } from "../agents/fallback.js";
import { asClaudePayload, asGeminiAnswer, handleHook } from "../agents/hook.js";
import type { HookAnswer, HookEvent } from "../agents/hook-events.js";
import type { AgentIdentity } from "../agents/identity.js";
import { loadPlan } from "../engine/plan/index.js";
import { StateStore, TOWER_AGENT } from "../engine/state/index.js";

export async function handleLocally(
  event: HookEvent,
  payload: Record<string, unknown>,
  identity: AgentIdentity,
  deadline: Promise<never>,
): Promise<HookAnswer> {
  const store = new StateStore(identity.stateDir);
  const work = async (): Promise<HookAnswer> => {
    const plan = await loadPlan(path.join(identity.repoRoot, "streams.yaml"));
    return handleHook(event, payload, { identity, plan, store });
  };
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    const message = `tower hook ${event} for ${identity.agent}: ${(error as Error).message}`;
    const gemini = event === "BeforeTool";
    const asClaude = gemini ? asClaudePayload(payload) : payload;
    // Any tool that writes files (fallbackDenial reads the files a tool names; none, no denial).
    const denial =
      event === "PreToolUse" || gemini
        ? await fallbackDenial(identity, asClaude).catch(() => undefined)
        : undefined;
    if (denial) return gemini ? asGeminiAnswer(denial) : denial;
    return { warning: `${message}; the tool was allowed` };
  }
}

/** Records a hook's warning in the activity log (best effort: the agent is never held up). */
export async function recordWarning(
  identity: AgentIdentity,
  event: HookEvent,
  warning: string,
): Promise<void> {
  await new StateStore(identity.stateDir)
    .appendActivity({
      agent: TOWER_AGENT,
      stream: identity.stream,
      action: "warning",
      warning,
      hook: event,
      for_agent: identity.agent,
    })
    .catch(() => {});
}
