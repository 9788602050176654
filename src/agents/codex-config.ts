/**
 * What the user's Codex configuration does to what Tower gives a Codex agent on its command line
 * (`-c key=value`, which outranks the files but is merged into them key by key).
 *
 * The layers read, lowest first, as Codex merges them (a value in a higher one replaces a lower
 * one's): `/etc/codex/config.toml`, the user's `$CODEX_HOME/config.toml` (else
 * `~/.codex/config.toml`), and the worktree's `.codex/config.toml` when the user's configuration
 * trusts the worktree or its repository (Codex reads a project's file only then). A file that is
 * not TOML is left to Codex, which reports it. Not read: a profile's settings, and an
 * administrator's managed configuration (which outranks `-c`).
 *
 * - `shell_environment_policy.include_only`: Codex applies it after the variables it sets
 *   (`shell_environment_policy.set`), so a list that does not name Tower's variables takes them
 *   from every command the agent runs: the guard's (an agent's `git commit` on the base, in the
 *   main worktree, went through: Codex 0.171.0) and who the agent is. Tower gives Codex the same
 *   list with its own names added; without such a list Tower gives none (a list of its own would
 *   keep every other variable from the commands).
 * - `mcp_servers.<Tower's server>`: Tower's keys are merged into a server of that name, so one
 *   that is reached by URL (`url`, its headers and token) makes Codex refuse to start ("url is
 *   not supported for stdio"). Tower says so before it starts the agent, naming the file.
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "smol-toml";
import { RefusedError } from "../engine/errors.js";
import { isRecord, valueAt } from "../engine/plan/report.js";
import { MCP_SERVER_NAME } from "./mcp-names.js";

/** Codex's system-wide configuration (Unix). */
export const CODEX_SYSTEM_CONFIG = "/etc/codex/config.toml";

type Table = Record<string, unknown>;

async function readToml(file: string): Promise<Table | undefined> {
  try {
    const parsed = parse(await fsp.readFile(file, "utf8"));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The user's Codex folder, as Codex finds it. */
export function codexHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CODEX_HOME || path.join(env.HOME || os.homedir(), ".codex");
}

/** Whether the user's configuration trusts one of `folders` (`[projects."<folder>"]`). */
function trusts(config: Table | undefined, folders: readonly string[]): boolean {
  const projects = config?.projects;
  if (!isRecord(projects)) return false;
  return folders.some((folder) => {
    const project = projects[folder];
    return isRecord(project) && project.trust_level === "trusted";
  });
}

/** A configuration file Codex reads, and what it holds. */
export interface CodexLayer {
  file: string;
  config: Table;
}

/**
 * The configuration files Codex started in `worktree` (of the repository at `repoRoot`) would
 * read, lowest first, those that exist and read as TOML.
 */
export async function codexLayers(
  worktree: string,
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CodexLayer[]> {
  const userFile = path.join(codexHome(env), "config.toml");
  const user = await readToml(userFile);
  const files: [string, Table | undefined][] = [
    [CODEX_SYSTEM_CONFIG, await readToml(CODEX_SYSTEM_CONFIG)],
    [userFile, user],
  ];
  if (trusts(user, [worktree, repoRoot])) {
    const project = path.join(worktree, ".codex", "config.toml");
    files.push([project, await readToml(project)]);
  }
  return files.flatMap(([file, config]) => (config ? [{ file, config }] : []));
}

/** The `include_only` the layers give (the highest that has one), or undefined when none or empty. */
export function codexIncludeOnly(layers: readonly CodexLayer[]): string[] | undefined {
  let list: unknown[] | undefined;
  for (const { config } of layers) {
    const found = valueAt(config, ["shell_environment_policy", "include_only"]);
    if (Array.isArray(found)) list = found;
  }
  const names = (list ?? []).filter((item): item is string => typeof item === "string");
  return names.length > 0 ? names : undefined;
}

/** `list` with each of `names` it lacks added after it. */
export function withNames<T>(list: readonly T[], names: readonly T[]): T[] {
  return [...list, ...names.filter((name) => !list.includes(name))];
}

/** The keys of a server reached by URL, which Codex will not take with Tower's command. */
const URL_KEYS = ["url", "bearer_token_env_var", "http_headers", "env_http_headers"] as const;

/**
 * Refuses agent `agent` when a layer defines an MCP server under Tower's server's name that is
 * reached by URL: Codex would not start at all.
 */
export function requireCodexServerName(agent: string, layers: readonly CodexLayer[]): void {
  for (const { file, config } of layers) {
    const server = valueAt(config, ["mcp_servers", MCP_SERVER_NAME]);
    if (!isRecord(server)) continue;
    const keys = URL_KEYS.filter((key) => key in server);
    if (keys.length === 0) continue;
    throw new RefusedError(
      `${file} defines an MCP server named "${MCP_SERVER_NAME}" reached by URL (${keys.join(", ")}): Codex merges Tower's own server of that name into it and then refuses to start ("url is not supported for stdio"). Give that server another name in that file, then start ${agent} again`,
    );
  }
}
