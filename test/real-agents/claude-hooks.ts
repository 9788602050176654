/**
 * Claude Code hooks for the real-agents tests: settings (given with `--settings <json>`) that run
 * programs/hook.mjs for every event, which logs each payload to a file and can answer with a
 * decision, and the reading of that log.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HOOK_EVENTS = [
  "SessionStart",
  "UserPromptSubmit",
  "PreToolUse",
  "PermissionRequest",
  "PostToolUse",
  "PostToolUseFailure",
  "PermissionDenied",
  "Notification",
  "Stop",
  "SessionEnd",
] as const;

export type HookEvent = (typeof HOOK_EVENTS)[number];

const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), "programs", "hook.mjs");

/** Events whose hooks take a tool matcher. */
const TOOL_EVENTS: readonly HookEvent[] = [
  "PreToolUse",
  "PermissionRequest",
  "PostToolUse",
  "PostToolUseFailure",
  "PermissionDenied",
];

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The settings JSON: every event logged to `log`; `answers` gives an event's hook a JSON answer
 * to print (a decision) and an exit code.
 */
export function hookSettings(
  log: string,
  answers: Partial<Record<HookEvent, { json?: unknown; exit?: number }>> = {},
): string {
  const hooks: Record<string, unknown> = {};
  for (const event of HOOK_EVENTS) {
    const answer = answers[event];
    const words = [process.execPath, HOOK, log];
    if (answer !== undefined) {
      words.push(
        answer.json === undefined ? "" : JSON.stringify(answer.json),
        String(answer.exit ?? 0),
      );
    }
    hooks[event] = [
      {
        ...(TOOL_EVENTS.includes(event) ? { matcher: "*" } : {}),
        hooks: [{ type: "command", command: words.map(shellQuote).join(" ") }],
      },
    ];
  }
  return JSON.stringify({ hooks });
}

export interface HookCall {
  event: HookEvent;
  payload: Record<string, unknown>;
}

/** The hook calls logged so far, in order. */
export function readHookLog(log: string): HookCall[] {
  return readJsonLines<HookCall>(log);
}

/** The JSON lines written to `log` so far (none while it does not exist), in order. */
export function readJsonLines<T = Record<string, unknown>>(log: string): T[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}
