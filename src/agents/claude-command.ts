/**
 * The options of an agent's Claude Code command in the plan that Tower gives too. Claude Code
 * takes one value of `--settings` and of `--append-system-prompt`, the last given winning (its
 * option parser), and Tower's come last on its command line: the plan's own would be dropped
 * without a word. So Tower reads them and gives them with its own: the plan's settings under
 * Tower's (its hooks after the plan's, for the same event), the plan's prompt before Tower's
 * briefing.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { RefusedError } from "../engine/errors.js";
import type { AgentCommand } from "../engine/plan/index.js";
import { isRecord } from "../engine/plan/report.js";
import { commandWords } from "./command-words.js";
import { MCP_SERVER_NAME } from "./mcp-names.js";

/** Where the plan's command is, for the messages. */
const COMMAND = "the agent's command in streams.yaml";

export interface ClaudeCommandOptions {
  /** `--settings`: a file's path, or the settings as JSON. */
  settings?: string;
  /** `--append-system-prompt`. */
  appendSystemPrompt?: string;
}

/** The last `--settings` and `--append-system-prompt` of the command (`--opt value`, `--opt=value`), before `--`. */
export function claudeCommandOptions(command: AgentCommand): ClaudeCommandOptions {
  const words = commandWords(command);
  const found: ClaudeCommandOptions = {};
  const keys = {
    "--settings": "settings",
    "--append-system-prompt": "appendSystemPrompt",
  } as const;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    if (word === "--") break;
    for (const [flag, key] of Object.entries(keys)) {
      if (word === flag && i + 1 < words.length) found[key] = words[++i];
      else if (word.startsWith(`${flag}=`)) found[key] = word.slice(flag.length + 1);
    }
  }
  return found;
}

/** Whether a `--settings` value is the settings themselves (JSON), not a file's path. */
export const inlineSettings = (value: string) => value.trimStart().startsWith("{");

/**
 * The settings a `--settings` value gives: JSON when it starts with `{`, else the file at that
 * path (from the worktree, where Claude Code starts). Refused, naming the value, when it cannot
 * be read or is not a JSON object: Claude Code would not start with it.
 */
export async function claudeCommandSettings(
  value: string,
  worktree: string,
): Promise<Record<string, unknown>> {
  const refuse = (what: string) =>
    new RefusedError(
      `${COMMAND} gives --settings ${JSON.stringify(value)}, which ${what}. Give a settings file's path (from the stream's worktree) or a JSON object, then start the agent again`,
    );
  let text = value;
  if (!inlineSettings(value)) {
    try {
      text = await fsp.readFile(path.resolve(worktree, value), "utf8");
    } catch (error) {
      throw refuse(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch (error) {
    throw refuse(`is not JSON (${(error as Error).message})`);
  }
  if (!isRecord(settings)) throw refuse("is not a JSON object");
  return settings;
}

/**
 * The plan's settings with Tower's: Tower's keys over theirs, but each event's hooks theirs
 * first, then Tower's; and where theirs allow some MCP servers only, Tower's among them.
 */
export function withTowerSettings(
  theirs: Record<string, unknown>,
  tower: Record<string, unknown>,
): Record<string, unknown> {
  const hooks: Record<string, unknown> = { ...(isRecord(theirs.hooks) ? theirs.hooks : {}) };
  for (const [event, entries] of Object.entries(isRecord(tower.hooks) ? tower.hooks : {})) {
    const own = hooks[event];
    hooks[event] = [...(Array.isArray(own) ? own : []), ...(entries as unknown[])];
  }
  const merged: Record<string, unknown> = { ...theirs, ...tower, hooks };
  if (Array.isArray(theirs.allowedMcpServers)) {
    const listed = theirs.allowedMcpServers.some(
      (entry) => isRecord(entry) && entry.serverName === MCP_SERVER_NAME,
    );
    merged.allowedMcpServers = listed
      ? theirs.allowedMcpServers
      : [...theirs.allowedMcpServers, { serverName: MCP_SERVER_NAME }];
  }
  return merged;
}

/** Where the plan's `--settings` object is, for the MCP policy's messages. */
export const COMMAND_SETTINGS = `${COMMAND} (--settings)`;
