/**
 * What makes Claude Code run none of the hooks Tower gives it (`--settings`), and so none of
 * what binds a Claude Code agent: its writes checked against the other agents' locks and taking
 * their own, its scope, and its status told to Tower. As Claude Code 2.1.197 decides it (read in
 * its code, where the hooks of a session are gathered):
 * - its minimal mode: `--bare` on its command line, or `CLAUDE_CODE_SIMPLE` set true in its
 *   environment ("skip hooks, LSP, plugin sync, ...");
 * - its safe mode: `--safe-mode`, or `CLAUDE_CODE_SAFE_MODE` set true (managed hooks only);
 * - an administrator's managed settings (`/etc/claude-code/managed-settings.json` and the files
 *   of `managed-settings.d/` after it) with `disableAllHooks`, `allowManagedHooksOnly`, or
 *   `strictPluginOnlyCustomization` true or naming "hooks"; or the organization's remote managed
 *   settings, which come instead of those files where Claude Code has them (claudePolicyFiles).
 * A user's or a project's `disableAllHooks` Tower's own settings outrank (launch.ts); none of
 * these it can: it does not start the agent, and says which and what to do.
 */
import { promises as fsp, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RefusedError } from "../engine/errors.js";
import type { AgentCommand } from "../engine/plan/index.js";
import { isRecord } from "../engine/plan/report.js";
import { commandWords } from "./command-words.js";
import { SERVER_ENVIRONMENT } from "./server-environment.js";

/** Where Claude Code reads an administrator's settings on Linux. */
export const CLAUDE_MANAGED_DIR = "/etc/claude-code";

/**
 * The managed settings files, in the order Claude Code applies them: `managed-settings.json`,
 * then the `.json` files of `managed-settings.d/` by name (a later one's value wins).
 */
export function claudeManagedFiles(dir = CLAUDE_MANAGED_DIR): string[] {
  let dropIns: string[] = [];
  try {
    dropIns = readdirSync(path.join(dir, "managed-settings.d"))
      .filter((name) => name.endsWith(".json") && !name.startsWith("."))
      .sort()
      .map((name) => path.join(dir, "managed-settings.d", name));
  } catch {}
  return [path.join(dir, "managed-settings.json"), ...dropIns];
}

/** Claude Code's configuration folder with `env` (its CLAUDE_CONFIG_DIR, else ~/.claude). */
export const claudeConfigDir = (env: NodeJS.ProcessEnv) =>
  env.CLAUDE_CONFIG_DIR || path.join(env.HOME || os.homedir(), ".claude");

/** Where Claude Code keeps its copy of the organization's remote managed settings. */
export const CLAUDE_REMOTE_SETTINGS = "remote-settings.json";

/**
 * Whether Claude Code with `env` talks to Anthropic's own API, where it reads an organization's
 * remote managed settings (2.1.197: none of its Bedrock, Vertex, Foundry, AWS or Mantle modes,
 * and no ANTHROPIC_BASE_URL of another host, unless told to take it for Anthropic's).
 */
function talksToAnthropic(env: NodeJS.ProcessEnv): boolean {
  const others = ["BEDROCK", "VERTEX", "FOUNDRY", "ANTHROPIC_AWS", "MANTLE"];
  if (others.some((name) => isTrue(env[`CLAUDE_CODE_USE_${name}`]))) return false;
  if (env._CLAUDE_CODE_ASSUME_FIRST_PARTY_BASE_URL) return true;
  const base = env.ANTHROPIC_BASE_URL;
  if (!base) return true;
  try {
    return new URL(base).host === "api.anthropic.com";
  } catch {
    return false;
  }
}

/**
 * The files of the policy Claude Code with `env` applies: its copy of the organization's remote
 * managed settings (`remote-settings.json` in its configuration folder) where it reads one that
 * holds any setting, which comes instead of the administrator's files (Claude Code takes its
 * policy from the first source that has one); else `managedFiles`.
 */
export async function claudePolicyFiles(
  env: NodeJS.ProcessEnv,
  managedFiles: readonly string[],
): Promise<readonly string[]> {
  if (talksToAnthropic(env)) {
    const remote = path.join(claudeConfigDir(env), CLAUDE_REMOTE_SETTINGS);
    const settings = await readClaudeSettings(remote);
    if (settings && Object.keys(settings).length > 0) return [remote];
  }
  return managedFiles;
}

/** A Claude Code settings file's object; undefined when missing or not a JSON object (Claude Code reports those). */
export async function readClaudeSettings(
  file: string,
): Promise<Record<string, unknown> | undefined> {
  const settings = await fsp
    .readFile(file, "utf8")
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => undefined);
  return isRecord(settings) ? settings : undefined;
}

const ENVIRONMENT = "its environment";

/** Claude Code's reading of a variable as true. */
const isTrue = (value: string | undefined) =>
  value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());

function words(command: AgentCommand): string[] {
  const list = commandWords(command);
  const end = list.indexOf("--");
  return (end === -1 ? list : list.slice(0, end)).slice(1);
}

/** What turns Claude Code's hooks off for an agent of `command` and `env`, if anything does. */
export async function claudeHooksOff(
  command: AgentCommand | undefined,
  env: NodeJS.ProcessEnv,
  managedFiles: readonly string[] = claudeManagedFiles(),
): Promise<string | undefined> {
  return (
    claudeModeOff(command, env) ??
    (await claudeManagedHooksOff(await claudePolicyFiles(env, managedFiles)))
  );
}

/** Claude Code's minimal or safe mode, by the agent's command or its environment. */
export function claudeModeOff(
  command: AgentCommand | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const given = command === undefined ? [] : words(command);
  for (const flag of ["--bare", "--safe-mode"])
    if (given.includes(flag)) return `the agent's command gives ${flag}`;
  for (const name of ["CLAUDE_CODE_SIMPLE", "CLAUDE_CODE_SAFE_MODE"])
    if (isTrue(env[name])) return `${ENVIRONMENT} sets ${name}=${env[name]}`;
  return undefined;
}

/** The managed settings (claudePolicyFiles) that turn hooks off, the last file's value deciding. */
export async function claudeManagedHooksOff(
  managedFiles: readonly string[],
): Promise<string | undefined> {
  const policy: Record<string, { value: unknown; file: string }> = {};
  for (const file of managedFiles) {
    const settings = await readClaudeSettings(file);
    if (!settings) continue;
    for (const key of ["disableAllHooks", "allowManagedHooksOnly", "strictPluginOnlyCustomization"])
      if (key in settings) policy[key] = { value: settings[key], file };
  }
  for (const [key, { value, file }] of Object.entries(policy)) {
    const off =
      value === true ||
      (key === "strictPluginOnlyCustomization" && Array.isArray(value) && value.includes("hooks"));
    const whose =
      path.basename(file) === CLAUDE_REMOTE_SETTINGS
        ? "Claude Code's copy of your organization's remote managed settings"
        : "an administrator's managed settings";
    if (off) return `${file} (${whose}) sets ${key}: ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** Refuses agent `agent` when Claude Code would run none of Tower's hooks (`reason`). */
export function requireClaudeHooks(agent: string, reason: string | undefined): void {
  if (reason === undefined) return;
  // A variable is the server's, from the shell that started it: unset elsewhere, it stays.
  const variable = reason.startsWith(ENVIRONMENT) ? ` (${SERVER_ENVIRONMENT})` : "";
  throw new RefusedError(
    `${reason}: Claude Code would run none of Tower's hooks for agent ${agent}, so its writes would not be checked against the files other agents hold nor take locks, and it would not tell Tower what it is doing; no setting of Tower's can turn them back on. Tower does not start ${agent} while it does${variable}: remove that, then start ${agent} again`,
  );
}
