/**
 * Tower's hooks for Codex, given on its command line and trusted there.
 *
 * Codex runs a hook only once the user has trusted it: a new hook is a question at start-up
 * ("Hooks need review"), and the answer is kept in config.toml as
 * `[hooks.state."<source>:<event>:<group>:<handler>"] trusted_hash = "sha256:…"`, where the hash
 * is of the hook as configured. Tower gives its hooks with `-c` (Codex's "session flags" layer,
 * whose source is `/<session-flags>/config.toml`) and their trust in the same layer, so nothing
 * is asked and nothing is written to the user's config; only Tower's own hooks are trusted, the
 * user's and the project's stay as the user left them (unlike `--dangerously-bypass-hook-trust`).
 *
 * The hash (Codex 0.171's `command_hook_hash`): the hook's group with only this handler in it,
 * normalized (`timeout` always given, 600 by default; `async` always given; the Windows command
 * left out), beside `event_name` (the event's snake_case label); as JSON with every object's keys
 * sorted and no spaces, its SHA-256 in hex after `sha256:`. A hook whose hash is wrong is skipped
 * without a word, so the real Codex checks this in the tests (test/real-agents).
 */
import { createHash } from "node:crypto";

/** The source Codex names a hook given with `-c` by. */
export const SESSION_FLAGS_SOURCE = "/<session-flags>/config.toml";

export const EVENT_LABELS = {
  SessionStart: "session_start",
  PreToolUse: "pre_tool_use",
  PostToolUse: "post_tool_use",
  PreModelRequest: "pre_model_request",
} as const;
export type CodexHookEvent = keyof typeof EVENT_LABELS;

/** Codex's default timeout of a command hook (seconds). */
const DEFAULT_TIMEOUT = 600;

export interface CodexHook {
  event: CodexHookEvent;
  matcher?: string;
  command: string;
  /** Seconds (Codex's default when not given). */
  timeout?: number;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function sortedKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key] as Json)]),
  );
}

/** The `trusted_hash` Codex expects for `hook` (see the module comment). */
export function codexHookHash(hook: CodexHook): string {
  const identity: Json = {
    event_name: EVENT_LABELS[hook.event],
    ...(hook.matcher !== undefined && { matcher: hook.matcher }),
    hooks: [
      {
        type: "command",
        command: hook.command,
        timeout: Math.max(1, hook.timeout ?? DEFAULT_TIMEOUT),
        async: false,
      },
    ],
  };
  const json = JSON.stringify(sortedKeys(identity));
  return `sha256:${createHash("sha256").update(json, "utf8").digest("hex")}`;
}

/** A TOML key: bare when it can be, else a basic string. */
const tomlKey = (key: string) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key));

/** A value as TOML on one line (inline tables and arrays; JSON's strings are TOML's). */
export function inlineToml(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(inlineToml).join(", ")}]`;
  if (value === null) throw new Error("TOML has no null");
  if (typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${tomlKey(k)} = ${inlineToml(v)}`);
    return `{${entries.join(", ")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The `-c key=value` settings that give Codex `hooks` (each its own group, in order per event)
 * and trust them; after `before`'s groups of an event (the agent's command's own, which Codex
 * would take in place of Tower's: kept first, at the places their trust names).
 */
export function codexHookSettings(
  hooks: readonly CodexHook[],
  before: Partial<Record<CodexHookEvent, readonly Json[]>> = {},
): [string, string][] {
  const groups = new Map<CodexHookEvent, Json[]>();
  for (const [event, list] of Object.entries(before))
    if (list) groups.set(event as CodexHookEvent, [...list]);
  const state: Record<string, Json> = {};
  for (const hook of hooks) {
    const list = groups.get(hook.event) ?? [];
    const key = `${SESSION_FLAGS_SOURCE}:${EVENT_LABELS[hook.event]}:${list.length}:0`;
    state[key] = { trusted_hash: codexHookHash(hook) };
    list.push({
      ...(hook.matcher !== undefined && { matcher: hook.matcher }),
      hooks: [
        {
          type: "command",
          command: hook.command,
          ...(hook.timeout !== undefined && { timeout: hook.timeout }),
        },
      ],
    });
    groups.set(hook.event, list);
  }
  return [
    ...[...groups].map(([event, list]): [string, string] => [`hooks.${event}`, inlineToml(list)]),
    ["hooks.state", inlineToml(state)],
  ];
}
