/**
 * What Claude Code's own settings files do to Tower's MCP server (its tools: locks, handoffs,
 * tasks), and what Tower does about it.
 *
 * Claude Code (2.1) starts an MCP server only when no settings file's `deniedMcpServers` names
 * it and, when any file has an `allowedMcpServers`, one of them names it; both lists are merged
 * across every settings file (managed, the user's, the project's `.claude/settings.json` and
 * `.claude/settings.local.json`, and the `--settings` Tower gives), and a denial wins. So:
 * - an allowlist of the user's, the project's or an administrator's that names other servers
 *   only would leave Tower's out: Tower then adds its own server to the allowlist in its
 *   `--settings` (and only then: an allowlist where there is none would keep every other server
 *   of the user's from starting);
 * - a denial naming Tower's server (by its name, or by its exact command) Tower cannot undo:
 *   it does not start the agent, and names the file and the entry.
 *
 * Tower reads these files, and writes none of them. A file that is not JSON is left to Claude
 * Code, which reports it.
 */
import path from "node:path";
import { RefusedError } from "../engine/errors.js";
import { isRecord } from "../engine/plan/report.js";
import { claudeConfigDir, claudeManagedFiles, readClaudeSettings } from "./claude-hooks-off.js";
import { MCP_SERVER_NAME } from "./mcp-names.js";

/** Where Claude Code reads managed (administrator) settings on Linux. */
export const CLAUDE_MANAGED_SETTINGS = "/etc/claude-code/managed-settings.json";

/** The settings files Claude Code started in `worktree` would read, with `env`'s home. */
export function claudeSettingsFiles(
  worktree: string,
  env: NodeJS.ProcessEnv = process.env,
  managed: readonly string[] = claudeManagedFiles(path.dirname(CLAUDE_MANAGED_SETTINGS)),
) {
  const config = claudeConfigDir(env);
  return [
    ...managed,
    path.join(config, "settings.json"),
    path.join(worktree, ".claude", "settings.json"),
    path.join(worktree, ".claude", "settings.local.json"),
  ];
}

/** What the settings files say of Tower's MCP server. */
export interface ClaudeMcpPolicy {
  /** Files with an `allowedMcpServers` (whatever it names). */
  allowlists: string[];
  /** Entries of `deniedMcpServers` that name Tower's server, with their file. */
  denials: { file: string; entry: unknown }[];
}

/**
 * Reads `files` (claudeSettingsFiles), and the settings `given` otherwise (the plan's own
 * `--settings`), for the lists that decide whether Claude Code starts Tower's server, which
 * runs `command`.
 */
export async function claudeMcpPolicy(
  files: readonly string[],
  command: readonly string[],
  given: readonly { file: string; settings: Record<string, unknown> }[] = [],
): Promise<ClaudeMcpPolicy> {
  const policy: ClaudeMcpPolicy = { allowlists: [], denials: [] };
  const read = await Promise.all(
    files.map(async (file) => ({ file, settings: await readClaudeSettings(file) })),
  );
  for (const { file, settings } of [...read, ...given]) {
    if (!settings) continue;
    if ("allowedMcpServers" in settings) policy.allowlists.push(file);
    const denied = settings.deniedMcpServers;
    if (!Array.isArray(denied)) continue;
    for (const entry of denied) {
      if (!isRecord(entry)) continue;
      const byName = entry.serverName === MCP_SERVER_NAME;
      const byCommand =
        Array.isArray(entry.serverCommand) &&
        entry.serverCommand.length === command.length &&
        entry.serverCommand.every((word, i) => word === command[i]);
      if (byName || byCommand) policy.denials.push({ file, entry });
    }
  }
  return policy;
}

/** Refuses agent `agent` when a settings file denies Tower's server (see the file's comment). */
export function requireClaudeMcpAllowed(agent: string, policy: ClaudeMcpPolicy): void {
  if (policy.denials.length === 0) return;
  const named = policy.denials
    .map(({ file, entry }) => `${file} lists ${JSON.stringify(entry)} in deniedMcpServers`)
    .join("; ");
  throw new RefusedError(
    `${named}: Claude Code would not start Tower's MCP server, so agent ${agent} would have none of Tower's tools (locks, handoffs, tasks), and no setting of Tower's can undo a denial. Tower does not start ${agent} while it does: remove that entry, then start ${agent} again`,
  );
}
