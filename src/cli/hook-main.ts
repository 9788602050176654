/**
 * `tower hook <event>`, the command Claude Code runs for each hook event of an agent Tower
 * started: the event's JSON on stdin, Tower's answer as JSON on stdout, exit code 0.
 *
 * It is on the path of every file write an agent makes, so it starts without the rest of the CLI
 * (see main.ts) and it never holds an agent up: whatever goes wrong (a state file that cannot be
 * read, a lock held too long by another writer, no answer within `HOOK_DEADLINE_MS`), the tool is
 * allowed and a warning is recorded — except that a live lock held by another agent, when it can
 * be seen at all, is always a deny.
 */
import path from "node:path";
import { fallbackDenial } from "../agents/fallback.js";
import {
  FILE_TOOLS,
  HOOK_EVENTS,
  type HookAnswer,
  type HookEvent,
  handleHook,
} from "../agents/hook.js";
import { agentFromEnv } from "../agents/identity.js";
import { loadPlan } from "../engine/plan/index.js";
import { StateStore, TOWER_AGENT } from "../engine/state/index.js";

/** Claude Code waits for a hook up to its own timeout; Tower answers well before. */
export const HOOK_DEADLINE_MS = 8_000;
const STDIN_LIMIT = 16 * 1024 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > STDIN_LIMIT) throw new Error(`the event on stdin is over ${STDIN_LIMIT} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const isEvent = (name: string): name is HookEvent =>
  (HOOK_EVENTS as readonly string[]).includes(name);

function print(answer: HookAnswer): void {
  if (answer.output) process.stdout.write(`${JSON.stringify(answer.output)}\n`);
}

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
}

export async function runHookCommand(args: readonly string[]): Promise<number> {
  const event = args[0] ?? "";
  if (!isEvent(event)) {
    process.stderr.write(
      `tower hook: unknown event "${event}" (valid: ${HOOK_EVENTS.join(", ")})\n`,
    );
    return 2;
  }
  const identity = agentFromEnv();
  let payload: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse((await readStdin()) || "{}");
    if (typeof parsed === "object" && parsed !== null) payload = parsed as Record<string, unknown>;
  } catch (error) {
    process.stderr.write(
      `tower hook ${event}: cannot read the event: ${(error as Error).message}\n`,
    );
    return 0;
  }
  // Not an agent Tower started (a hook left in a user's settings): nothing to do.
  if (!identity) return 0;
  const store = new StateStore(identity.stateDir);
  const work = async (): Promise<HookAnswer> => {
    const plan = await loadPlan(path.join(identity.repoRoot, "streams.yaml"));
    return handleHook(event, payload, { identity, plan, store });
  };
  let answer: HookAnswer;
  try {
    answer = await Promise.race([work(), timeout(HOOK_DEADLINE_MS)]);
  } catch (error) {
    const message = `tower hook ${event} for ${identity.agent}: ${(error as Error).message}`;
    const denial =
      event === "PreToolUse" && FILE_TOOLS[String(payload.tool_name)]
        ? await fallbackDenial(identity, payload).catch(() => undefined)
        : undefined;
    answer = denial ?? { warning: `${message}; the tool was allowed` };
  }
  print(answer);
  if (answer.warning) {
    process.stderr.write(`${answer.warning}\n`);
    await store
      .appendActivity({
        agent: TOWER_AGENT,
        stream: identity.stream,
        action: "warning",
        warning: answer.warning,
        hook: event,
        for_agent: identity.agent,
      })
      .catch(() => {});
  }
  return 0;
}
