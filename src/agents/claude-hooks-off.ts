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
 *   `strictPluginOnlyCustomization` true or naming "hooks".
 * A user's or a project's `disableAllHooks` Tower's own settings outrank (launch.ts); none of
 * these it can: it does not start the agent, and says which and what to do.
 */
import { promises as fsp, readdirSync } from "node:fs";
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
  return claudeModeOff(command, env) ?? (await claudeManagedHooksOff(managedFiles));
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

/** The administrator's managed settings that turn hooks off, the last file's value deciding. */
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
    if (off)
      return `${file} (an administrator's managed settings) sets ${key}: ${JSON.stringify(value)}`;
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
