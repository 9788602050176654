/**
 * `tower hook <event>`, the command Claude Code runs for each hook event of an agent Tower
 * started: the event's JSON on stdin, Tower's answer as JSON on stdout, exit code 0.
 *
 * It is on the path of every file write an agent makes, so it starts without the rest of the CLI
 * (see main.ts) and asks the room that started the agent (its socket is in TOWER_HOOK_SOCKET),
 * which has the plan and the engine loaded; only when no room answers does it load them and do
 * the work itself (hook-local.ts). It never holds an agent up: whatever goes wrong (a state file
 * that cannot be read, a lock held too long by another writer, no answer within
 * `HOOK_DEADLINE_MS`), the tool is allowed and a warning is recorded — except that a live lock
 * held by another agent, when it can be seen at all, is always a deny.
 */
import net from "node:net";
import {
  type HookAnswer,
  type HookRequest,
  isHookEvent,
  KNOWN_HOOK_EVENTS,
} from "../agents/hook-events.js";
import { type AgentIdentity, agentFromEnv } from "../agents/identity.js";

/** Claude Code waits for a hook up to its own timeout; Tower answers well before. */
export const HOOK_DEADLINE_MS = 8_000;
/** How long the room may take before the hook does the work itself. */
const ROOM_TIMEOUT_MS = 5_000;
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

function deadline(ms: number): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
}

/** The room's answer, or undefined when no room answers (or it could not do the work). */
function askRoom(socket: string, request: HookRequest): Promise<HookAnswer | undefined> {
  return new Promise((resolve) => {
    let reply = "";
    const done = (answer: HookAnswer | undefined) => {
      clearTimeout(timer);
      connection.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), ROOM_TIMEOUT_MS);
    const connection = net.connect(socket, () => connection.write(`${JSON.stringify(request)}\n`));
    connection.setEncoding("utf8");
    connection.on("data", (chunk: string) => {
      reply += chunk;
    });
    connection.on("end", () => {
      try {
        const answer = JSON.parse(reply) as HookAnswer & { failed?: boolean };
        done(answer.failed ? undefined : answer);
      } catch {
        done(undefined);
      }
    });
    connection.on("error", () => done(undefined));
  });
}

export async function runHookCommand(args: readonly string[]): Promise<number> {
  const event = args[0] ?? "";
  if (!isHookEvent(event)) {
    process.stderr.write(
      `tower hook: unknown event "${event}" (valid: ${KNOWN_HOOK_EVENTS.join(", ")})\n`,
    );
    return 2;
  }
  const identity: AgentIdentity | undefined = agentFromEnv();
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
  const socket = process.env.TOWER_HOOK_SOCKET;
  const request: HookRequest = {
    event,
    payload,
    agent: { id: identity.agent, stream: identity.stream, worktree: identity.worktree },
  };
  let answer = socket ? await askRoom(socket, request) : undefined;
  if (!answer) {
    const { handleLocally } = await import("./hook-local.js");
    answer = await handleLocally(event, payload, identity, deadline(HOOK_DEADLINE_MS));
  }
  if (answer.output) process.stdout.write(`${JSON.stringify(answer.output)}\n`);
  if (answer.warning) {
    process.stderr.write(`${answer.warning}\n`);
    if (answer.recorded) return 0;
    const { recordWarning } = await import("./hook-local.js");
    await recordWarning(identity, event, answer.warning);
  }
  return 0;
}
