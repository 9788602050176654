/**
 * Codex's `shell_environment_policy.include_only`, as the user's configuration gives it: Codex
 * applies it after the variables it sets (`shell_environment_policy.set`), so a list of the
 * user's that does not name Tower's variables takes them from every command the agent runs:
 * the guard's (an agent's `git commit` on the base, in the main worktree, went through: Codex
 * 0.171.0) and who the agent is. Tower then gives Codex the same list with its own names added
 * (`-c`, which outranks the files); without such a list Tower gives none (a list of its own
 * would keep every other variable from the commands).
 *
 * The layers read, lowest first, as Codex merges them (a list in a higher one replaces a lower
 * one's): `/etc/codex/config.toml`, the user's `$CODEX_HOME/config.toml` (else
 * `~/.codex/config.toml`), and the worktree's `.codex/config.toml` when the user's configuration
 * trusts the worktree or its repository (Codex reads a project's file only then). A file that is
 * not TOML is left to Codex, which reports it. Not read: a profile's settings, and an
 * administrator's managed configuration (which outranks `-c`).
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "smol-toml";

/** Codex's system-wide configuration (Unix). */
export const CODEX_SYSTEM_CONFIG = "/etc/codex/config.toml";

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
  typeof value === "object" && value !== null && !Array.isArray(value);

async function readToml(file: string): Promise<Table | undefined> {
  try {
    const parsed = parse(await fsp.readFile(file, "utf8"));
    return isTable(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The user's Codex folder, as Codex finds it. */
export function codexHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CODEX_HOME || path.join(env.HOME || os.homedir(), ".codex");
}

const includeOnlyOf = (config: Table | undefined): unknown[] | undefined => {
  const policy = config?.shell_environment_policy;
  const list = isTable(policy) ? policy.include_only : undefined;
  return Array.isArray(list) ? list : undefined;
};

/** Whether the user's configuration trusts one of `folders` (`[projects."<folder>"]`). */
function trusts(config: Table | undefined, folders: readonly string[]): boolean {
  const projects = config?.projects;
  if (!isTable(projects)) return false;
  return folders.some((folder) => {
    const project = projects[folder];
    return isTable(project) && project.trust_level === "trusted";
  });
}

/**
 * The `include_only` Codex started in `worktree` (of the repository at `repoRoot`) would apply,
 * or undefined when none would (no layer has one, or the one that counts is empty).
 */
export async function codexIncludeOnly(
  worktree: string,
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[] | undefined> {
  const user = await readToml(path.join(codexHome(env), "config.toml"));
  const layers = [await readToml(CODEX_SYSTEM_CONFIG), user];
  if (trusts(user, [worktree, repoRoot])) {
    layers.push(await readToml(path.join(worktree, ".codex", "config.toml")));
  }
  let list: unknown[] | undefined;
  for (const layer of layers) list = includeOnlyOf(layer) ?? list;
  const names = (list ?? []).filter((item): item is string => typeof item === "string");
  return names.length > 0 ? names : undefined;
}

/** `list` with each of `names` it lacks added after it. */
export function withNames(list: readonly string[], names: readonly string[]): string[] {
  return [...list, ...names.filter((name) => !list.includes(name))];
}
