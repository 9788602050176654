/**
 * What the user's Codex configuration does to what Tower gives a Codex agent on its command line
 * (`-c key=value`, which outranks the user's files but is merged into them key by key), as Codex
 * 0.171.0 reads it (codex-rs/config/src/loader/mod.rs, load_config_layers_state).
 *
 * The layers read, lowest first, as Codex merges them (a value in a higher one replaces a lower
 * one's): `/etc/codex/config.toml`, the user's `$CODEX_HOME/config.toml` (else
 * `~/.codex/config.toml`), the profile the agent's command chooses (`codex --profile <name>`:
 * `$CODEX_HOME/<name>.config.toml`; 0.171 no longer reads `[profiles.<name>]` tables, and refuses
 * to start with a `profile = "<name>"` in config.toml), and the worktree's `.codex/config.toml`
 * when those trust the worktree or its repository (Codex reads a project's file only then); then
 * Tower's `-c`; then, above it, an administrator's managed configuration
 * (`/etc/codex/managed_config.toml`), which Tower cannot outrank. An administrator's requirements
 * (`/etc/codex/requirements.toml`) are no layer but constraints. Both managed files have fixed
 * paths on Linux (no variable moves them); the functions here take others for tests. A file that
 * is not TOML is left to Codex, which reports it. Not read: Codex's cloud-managed configuration
 * and requirements (an enterprise's, fetched by Codex) and macOS's managed preferences.
 *
 * - `shell_environment_policy`: Codex applies its `include_only` (or, in 0.171, the "include"
 *   entries of its `filters`, the same list; a layer with one form drops the other form of the
 *   layers below) after the variables it sets (`set`), so a list that does not match Tower's
 *   variables takes them from every command the agent runs: the guard's (an agent's `git commit`
 *   on the base, in the main worktree, went through: Codex 0.171.0) and who the agent is. Tower
 *   gives the same list with its own names added (or a filter of its own for each), without such
 *   a list none (a list of its own would keep every other variable from the commands). A managed
 *   configuration whose list leaves one out, or that sets one of them itself, Tower cannot
 *   outrank: it does not start the agent, and names the file.
 * - `mcp_servers.<Tower's server>`: Tower's keys are merged into a server of that name, so one
 *   that is reached by URL (`url`, its headers and token) makes Codex refuse to start ("url is
 *   not supported for stdio"). Tower says so before it starts the agent, naming the file; so it
 *   does for a managed configuration that sets one of the keys Tower gives (its own would win),
 *   and for requirements whose `mcp_servers` allow-list does not name Tower's server by Tower's
 *   command (Codex switches every other server off).
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "smol-toml";
import { RefusedError } from "../engine/errors.js";
import type { AgentCommand } from "../engine/plan/index.js";
import { isRecord, valueAt } from "../engine/plan/report.js";
import { withBriefing } from "./briefing.js";
import { type CodexHookEvent, EVENT_LABELS, type Json } from "./codex-hooks.js";
import { commandWords } from "./command-words.js";
import { MCP_SERVER_NAME } from "./mcp-names.js";

/** Codex's system-wide configuration (Unix). */
export const CODEX_SYSTEM_CONFIG = "/etc/codex/config.toml";
/** An administrator's managed configuration (Unix), which outranks `-c`. */
export const CODEX_MANAGED_CONFIG = "/etc/codex/managed_config.toml";
/** An administrator's requirements (Unix): constraints on what the configuration may say. */
export const CODEX_REQUIREMENTS = "/etc/codex/requirements.toml";

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

/** A profile's name as Codex 0.171 takes it (others it refuses itself). */
const PROFILE_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The profile an agent's command chooses (`--profile <name>`, `--profile=<name>`, `-p <name>`,
 * `-p<name>`), if any.
 */
export function codexProfile(command: AgentCommand): string | undefined {
  const words = commandWords(command);
  let name: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word === "--") break;
    if (word === "--profile" || word === "-p") name = words[++i];
    else if (word.startsWith("--profile=")) name = word.slice("--profile=".length);
    else if (/^-p./.test(word)) name = word.slice(2).replace(/^=/, "");
  }
  return name !== undefined && PROFILE_NAME.test(name) ? name : undefined;
}

/**
 * Where a layer stands: under Tower's `-c` (which outranks it), or above it: the `-c` of the
 * agent's own command in the plan (`command`: they come after Tower's, and the last `-c` of a key
 * wins), and an administrator's managed configuration (`managed`).
 */
export type CodexLayerKind = "system" | "user" | "profile" | "project" | "command" | "managed";

/** Whether a layer of `kind` outranks what Tower gives on Codex's command line. */
const aboveTower = (kind: CodexLayerKind) => kind === "command" || kind === "managed";

/** A configuration file Codex reads, and what it holds. */
export interface CodexLayer {
  kind: CodexLayerKind;
  file: string;
  config: Table;
  /** A command's: the keys it sets, as given (a table set whole replaces Tower's under it). */
  keys?: string[];
}

export interface CodexLayerOptions {
  /** The profile the agent's command chooses (codexProfile). */
  profile?: string | undefined;
  /** The agent's command in the plan, whose own `-c` settings are a layer above Tower's. */
  command?: AgentCommand | undefined;
  /** The system's configuration (default: CODEX_SYSTEM_CONFIG). */
  systemConfig?: string;
  /** The managed configuration (default: CODEX_MANAGED_CONFIG). */
  managedConfig?: string;
}

/**
 * Whether the layers trust `worktree` (or else its repository, `repoRoot`): their `projects`
 * merged, the worktree's own entry deciding first, as Codex decides.
 */
function trusts(layers: readonly CodexLayer[], worktree: string, repoRoot: string): boolean {
  const levels = new Map<string, unknown>();
  for (const { config } of layers) {
    if (!isRecord(config.projects)) continue;
    for (const [folder, project] of Object.entries(config.projects))
      if (isRecord(project) && project.trust_level !== undefined)
        levels.set(folder, project.trust_level);
  }
  for (const folder of [worktree, repoRoot])
    if (levels.has(folder)) return levels.get(folder) === "trusted";
  return false;
}

/**
 * The configuration files Codex started in `worktree` (of the repository at `repoRoot`) would
 * read, lowest first, those that exist and read as TOML: the managed one, which outranks `-c`,
 * last.
 */
export async function codexLayers(
  worktree: string,
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
  options: CodexLayerOptions = {},
): Promise<CodexLayer[]> {
  const home = codexHome(env);
  const read = async (kind: CodexLayerKind, file: string): Promise<CodexLayer[]> => {
    const config = await readToml(file);
    return config ? [{ kind, file, config }] : [];
  };
  const layers = [
    ...(await read("system", options.systemConfig ?? CODEX_SYSTEM_CONFIG)),
    ...(await read("user", path.join(home, "config.toml"))),
    ...(options.profile === undefined
      ? []
      : await read("profile", path.join(home, `${options.profile}.config.toml`))),
  ];
  if (trusts(layers, worktree, repoRoot))
    layers.push(...(await read("project", path.join(worktree, ".codex", "config.toml"))));
  if (options.command !== undefined) layers.push(...codexCommandLayer(options.command));
  layers.push(...(await read("managed", options.managedConfig ?? CODEX_MANAGED_CONFIG)));
  return layers;
}

/** The settings of the agent's command in the plan, as a layer (none when it gives none). */
export function codexCommandLayer(command: AgentCommand): CodexLayer[] {
  const own = codexCommandSettings(command);
  return own ? [{ kind: "command", file: "the agent's command in streams.yaml", ...own }] : [];
}

/**
 * The settings an agent's command gives Codex itself (`-c key=value`, `--config key=value`,
 * `-ckey=value`, `--config=key=value`), as one table; undefined when it gives none. Codex reads
 * the value as TOML, and as a string when it is not (its `-c` help); a dotted key is a path.
 */
export function codexCommandSettings(
  command: AgentCommand,
): { config: Table; keys: string[] } | undefined {
  const words = commandWords(command);
  const table: Table = {};
  const given: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word === "--") break;
    let setting: string | undefined;
    if (word === "-c" || word === "--config") setting = words[++i];
    else if (word.startsWith("--config=")) setting = word.slice("--config=".length);
    else if (/^-c./.test(word)) setting = word.slice(2);
    const at = setting?.indexOf("=") ?? -1;
    if (setting === undefined || at <= 0) continue;
    const keys = setting
      .slice(0, at)
      .trim()
      .split(".")
      .map((key) => key.replace(/^"|"$/g, ""));
    const raw = setting.slice(at + 1).trim();
    let value: unknown = raw;
    try {
      value = (parse(`v = ${raw}`) as Table).v;
    } catch {}
    let place = table;
    for (const key of keys.slice(0, -1)) {
      if (!isRecord(place[key])) place[key] = {};
      place = place[key] as Table;
    }
    place[keys[keys.length - 1] as string] = value;
    given.push(keys.join("."));
  }
  return given.length > 0 ? { config: table, keys: given } : undefined;
}

/** An administrator's requirements file, if it exists and reads as TOML. */
export async function codexRequirements(
  file = CODEX_REQUIREMENTS,
): Promise<{ file: string; config: Table } | undefined> {
  const config = await readToml(file);
  return config ? { file, config } : undefined;
}

const LEGACY_LISTS = ["include_only", "exclude"] as const;

/**
 * `overlay`'s `shell_environment_policy` merged over `base`'s, as Codex 0.171 merges them: a
 * layer with `filters` drops the lists (`include_only`, `exclude`) below it, a layer with either
 * list drops the filters below; filters merge pattern by pattern (in any case), `set` variable by
 * variable; anything else is replaced.
 */
function mergePolicy(base: Table, overlay: Table): Table {
  const merged: Table = { ...base };
  if ("filters" in overlay) for (const key of LEGACY_LISTS) delete merged[key];
  if (LEGACY_LISTS.some((key) => key in overlay)) delete merged.filters;
  for (const [key, value] of Object.entries(overlay)) {
    const below = merged[key];
    if (key === "filters" && isRecord(value) && isRecord(below)) {
      const filters: Table = { ...below };
      for (const [pattern, action] of Object.entries(value)) {
        for (const old of Object.keys(filters))
          if (old.toLowerCase() === pattern.toLowerCase()) delete filters[old];
        filters[pattern] = action;
      }
      merged[key] = filters;
    } else if (key === "set" && isRecord(value) && isRecord(below)) {
      merged[key] = { ...below, ...value };
    } else merged[key] = value;
  }
  return merged;
}

function policyOf(config: Table): Table {
  const policy = config.shell_environment_policy;
  return isRecord(policy) ? policy : {};
}

/** How a policy limits the variables commands get: the patterns it lets through, if any. */
export interface CodexShellLimit {
  by: "include_only" | "filters";
  patterns: string[];
}

function limitOf(policy: Table): CodexShellLimit | undefined {
  if (isRecord(policy.filters)) {
    const patterns = Object.entries(policy.filters)
      .filter(([, action]) => action === "include")
      .map(([pattern]) => pattern);
    return patterns.length > 0 ? { by: "filters", patterns } : undefined;
  }
  const list = Array.isArray(policy.include_only) ? policy.include_only : [];
  const patterns = list.filter((item): item is string => typeof item === "string");
  return patterns.length > 0 ? { by: "include_only", patterns } : undefined;
}

const belowTower = (layers: readonly CodexLayer[]) => layers.filter((l) => !aboveTower(l.kind));

const mergedPolicy = (layers: readonly CodexLayer[]) =>
  layers.reduce((policy, { config }) => mergePolicy(policy, policyOf(config)), {} as Table);

/** The limit the layers under Tower's `-c` put on the variables commands get, if any. */
export function codexShellLimit(layers: readonly CodexLayer[]): CodexShellLimit | undefined {
  return limitOf(mergedPolicy(belowTower(layers)));
}

/** The `include_only` list the layers under Tower's `-c` give, if that is their limit. */
export function codexIncludeOnly(layers: readonly CodexLayer[]): string[] | undefined {
  const limit = codexShellLimit(layers);
  return limit?.by === "include_only" ? limit.patterns : undefined;
}

/** `list` with each of `names` it lacks added after it. */
export function withNames<T>(list: readonly T[], names: readonly T[]): T[] {
  return [...list, ...names.filter((name) => !list.includes(name))];
}

/**
 * The `-c` settings that let variables `names` through the limit of the layers under Tower's
 * `-c`: their `include_only` with the names added, or a filter for each name; none without a
 * limit.
 */
export function codexShellArgs(
  layers: readonly CodexLayer[],
  names: readonly string[],
): [string, string][] {
  const limit = codexShellLimit(layers);
  if (limit === undefined) return [];
  if (limit.by === "include_only")
    return [
      ["shell_environment_policy.include_only", JSON.stringify(withNames(limit.patterns, names))],
    ];
  return names.map((name) => [`shell_environment_policy.filters.${name}`, '"include"']);
}

/** Whether Codex's pattern (`*`, `?`; any case) matches variable `name`. */
function matches(pattern: string, name: string): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "i").test(name);
}

/** How a message names a layer above Tower's `-c`, and what to do about a setting of it. */
function standing(kind: CodexLayerKind): {
  outranks: string;
  remove: string;
  add: string;
  rename: string;
} {
  if (kind === "command")
    return {
      outranks: "its -c comes after Tower's on Codex's command line, and wins",
      remove: "Take it out of the agent's command",
      add: "there",
      rename: "Take it out of the agent's command",
    };
  return {
    outranks:
      "an administrator's managed configuration, which outranks what Tower gives on Codex's command line",
    remove: "Remove it from that file (or ask your administrator to)",
    add: "there (or ask your administrator to)",
    rename: "Give that server another name in that file (or ask your administrator to)",
  };
}

/**
 * Refuses agent `agent` when a managed configuration (above Tower's `-c`) would keep one of
 * `variables` from the commands Codex runs: a limit that lets it through no more (its own
 * `include_only`, or `filters` without it or turning it to "exclude"), or a value of its own.
 */
export function requireCodexShellVariables(
  agent: string,
  layers: readonly CodexLayer[],
  variables: Readonly<Record<string, string>>,
): void {
  const names = Object.keys(variables);
  const below = belowTower(layers);
  // Tower's -c, as codexLaunch gives it.
  const tower: Table = { set: { ...variables } };
  for (const [key, value] of codexShellArgs(below, names)) {
    const [, field, name] = key.split(".");
    if (field === "include_only") tower.include_only = JSON.parse(value);
    else if (field === "filters" && name !== undefined)
      tower.filters = { ...(isRecord(tower.filters) ? tower.filters : {}), [name]: "include" };
  }
  // The keys Tower gives, each of which a -c after Tower's of a table holding it replaces.
  const towerKeys = [
    ...names.map((name) => `shell_environment_policy.set.${name}`),
    ...codexShellArgs(below, names).map(([key]) => key),
  ];
  let policy = mergePolicy(mergedPolicy(below), tower);
  for (const { kind, file, config, keys = [] } of layers) {
    if (!aboveTower(kind)) continue;
    const { outranks, remove, add } = standing(kind);
    const whole = keys.filter((key) => towerKeys.some((t) => t.startsWith(`${key}.`)));
    if (whole.length > 0)
      throw new RefusedError(
        `${file} (${outranks}) sets ${whole.join(", ")} whole: Codex would take it in place of what Tower gives there, ${names.join(", ")} for every command agent ${agent} runs (the guard's, and who the agent is). Set single keys instead (shell_environment_policy.inherit=...), or ${remove.charAt(0).toLowerCase()}${remove.slice(1)}, then start ${agent} again`,
      );
    const own = policyOf(config);
    policy = mergePolicy(policy, own);
    const set = isRecord(own.set) ? Object.keys(own.set).filter((n) => names.includes(n)) : [];
    if (set.length > 0)
      throw new RefusedError(
        `${file} (${outranks}) sets ${set.map((n) => `shell_environment_policy.set.${n}`).join(", ")}, which Tower gives every command agent ${agent} runs (the guard's, and who the agent is): Codex would give that value instead. ${remove}, then start ${agent} again`,
      );
    const limit = limitOf(policy);
    const missing = limit
      ? names.filter((name) => !limit.patterns.some((pattern) => matches(pattern, name)))
      : [];
    if (missing.length > 0)
      throw new RefusedError(
        `${file} (${outranks}) sets shell_environment_policy.${limit?.by} without ${missing.join(", ")}: the commands agent ${agent} runs would not get ${missing.length === 1 ? "it" : "them"} (the guard's, and who the agent is). Add ${missing.length === 1 ? "it" : "them"} to that setting ${add}, then start ${agent} again`,
      );
  }
}

/** How Tower gives its briefing to a Codex agent (codexInstructions). */
export interface CodexInstructions {
  /** Tower's `developer_instructions`: the user's own (the highest layer's), then the briefing. */
  value: string;
  /**
   * The agent's command gives its own (after Tower's `-c`, so winning): Tower's go after the
   * command's words, to win in turn.
   */
  afterCommand: boolean;
  /**
   * A managed configuration gives its own, which outranks every `-c`: the briefing goes with the
   * task instead.
   */
  inPrompt: boolean;
}

/**
 * Codex takes one `developer_instructions`, the highest layer's: Tower's `-c` would replace the
 * user's (config.toml, a profile, the project's), and the command's own `-c` (after Tower's)
 * Tower's briefing. So Tower gives the user's with its briefing after them, after the command's
 * words where the command gives them; where a managed configuration gives them (over every
 * `-c`), Tower's briefing comes with the task.
 */
export function codexInstructions(
  layers: readonly CodexLayer[],
  briefing: string,
): CodexInstructions {
  let own: string | undefined;
  let afterCommand = false;
  let inPrompt = false;
  for (const { kind, config } of layers) {
    if (!("developer_instructions" in config)) continue;
    if (kind === "managed") inPrompt = true;
    else if (typeof config.developer_instructions === "string") {
      own = config.developer_instructions;
      afterCommand = kind === "command";
    }
  }
  return { value: withBriefing(own, briefing), afterCommand, inPrompt };
}

/** The keys of a server reached by URL, which Codex will not take with Tower's command. */
const URL_KEYS = ["url", "bearer_token_env_var", "http_headers", "env_http_headers"] as const;

/** The keys of its server Tower gives on the command line (codexLaunch). */
const TOWER_SERVER_KEYS = [
  "args",
  "command",
  "default_tools_approval_mode",
  "disabled_tools",
  "enabled",
  "enabled_tools",
  "env_vars",
] as const;

export interface CodexServerChecks {
  /** The administrator's requirements (codexRequirements), if any. */
  requirements?: { file: string; config: Table } | undefined;
  /** The command Tower gives its server (its `mcp_servers.<name>.command`). */
  command?: string;
}

/**
 * Refuses agent `agent` when Codex would not start, or not with Tower's MCP server as Tower gives
 * it: a layer defines a server under its name reached by URL (Codex refuses to start), a managed
 * configuration sets keys of it that Tower gives (its own would win), or the requirements'
 * `mcp_servers` allow-list does not name it by Tower's command (Codex switches it off).
 */
export function requireCodexServerName(
  agent: string,
  layers: readonly CodexLayer[],
  checks: CodexServerChecks = {},
): void {
  for (const { kind, file, config, keys: set = [] } of layers) {
    // A command that sets the servers, or Tower's, whole: Tower's settings of it are replaced.
    const whole = set.filter(
      (key) => key === "mcp_servers" || key === `mcp_servers.${MCP_SERVER_NAME}`,
    );
    if (whole.length > 0)
      throw new RefusedError(
        `${file} (${standing(kind).outranks}) sets ${whole.join(", ")} whole: Codex would take it in place of Tower's MCP server ("${MCP_SERVER_NAME}"), the agent's tools. ${standing(kind).remove}, then start ${agent} again`,
      );
    const server = valueAt(config, ["mcp_servers", MCP_SERVER_NAME]);
    if (!isRecord(server)) continue;
    const byUrl = URL_KEYS.filter((key) => key in server);
    if (byUrl.length > 0)
      throw new RefusedError(
        `${file} defines an MCP server named "${MCP_SERVER_NAME}" reached by URL (${byUrl.join(", ")}): Codex merges Tower's own server of that name into it and then refuses to start ("url is not supported for stdio"). Give that server another name in that file, then start ${agent} again`,
      );
    const given = TOWER_SERVER_KEYS.filter((key) => key in server);
    if (aboveTower(kind) && given.length > 0)
      throw new RefusedError(
        `${file} (${standing(kind).outranks}) defines an MCP server named "${MCP_SERVER_NAME}" (${given.join(", ")}): Codex would take these over what Tower gives its own server of that name, the agent's tools. ${standing(kind).rename}, then start ${agent} again`,
      );
  }
  const { requirements, command = "node" } = checks;
  const allowed = requirements?.config.mcp_servers;
  // No allow-list: every server allowed (an empty one allows none).
  if (requirements === undefined || !isRecord(allowed)) return;
  const identity = valueAt(allowed, [MCP_SERVER_NAME, "identity"]);
  if (isRecord(identity) && identity.command === command) return;
  throw new RefusedError(
    `${requirements.file} (an administrator's requirements) allows only the MCP servers its mcp_servers names, and not Tower's ("${MCP_SERVER_NAME}", command ${JSON.stringify(command)}): Codex would switch Tower's server off. Add [mcp_servers.${MCP_SERVER_NAME}.identity] with command = ${JSON.stringify(command)} to it (or ask your administrator to), then start ${agent} again`,
  );
}

/** A setting of an event Tower gives hooks on (`hooks.PreToolUse`, ...). */
const TOWER_EVENT_KEY = new RegExp(`^hooks\\.(${Object.keys(EVENT_LABELS).join("|")})(\\.|$)`);

/**
 * Why none of Tower's hooks would run in Codex, if so: a managed configuration or the agent's
 * command (above Tower's `-c features.hooks = true`) turns Codex's hooks feature off, or the
 * administrator's
 * requirements allow only managed hooks (`allow_managed_hooks_only`: Codex 0.171 then drops the
 * hooks of its command line, Tower's; seen with the real CLI). The reason names the file and
 * the setting, `remedy` what to do about it.
 */
export function codexHooksOff(
  layers: readonly CodexLayer[],
  requirements?: { file: string; config: Table },
): { reason: string; remedy: string } | undefined {
  for (const { kind, file, config, keys = [] } of layers) {
    if (!aboveTower(kind)) continue;
    const { outranks, remove } = standing(kind);
    // `features.hooks`: Codex 0.171's name of the feature, which wins over its old name
    // (`codex_hooks`, deprecated) whichever layer gives either: Tower's `hooks = true` outweighs
    // an old name's false anywhere, and a new name's false above it turns the hooks off.
    if (valueAt(config, ["features", "hooks"]) === false)
      return { reason: `${file} (${outranks}) sets features.hooks to false`, remedy: remove };
    // Tower's hooks are settings under `hooks` on the command line: the command's own replace
    // them (`hooks` whole, the trust Tower gives, or an event of Tower's but as a list of
    // groups, which Tower gives again after the command with its own: codexCommandHooks), as
    // `features` whole replaces Tower's turning the feature on.
    const replaced = keys.filter(
      (key) =>
        /^(hooks(\.state(\.|$)|$)|features$)/.test(key) ||
        (TOWER_EVENT_KEY.test(key) &&
          !(key.split(".").length === 2 && Array.isArray(valueAt(config, key.split("."))))),
    );
    if (kind === "command" && replaced.length > 0)
      return { reason: `${file} (${outranks}) sets ${replaced.join(", ")}`, remedy: remove };
  }
  if (requirements?.config.allow_managed_hooks_only === true) {
    return {
      reason: `${requirements.file} (an administrator's requirements) sets allow_managed_hooks_only to true (only the administrator's hooks run)`,
      remedy: "Ask your administrator to remove it",
    };
  }
  return undefined;
}

/**
 * The agent's command's own hook groups on the events Tower gives hooks on (`-c
 * hooks.PreToolUse=[...]`): after Tower's `-c` on Codex's command line, they would replace
 * Tower's, so Tower gives them again with its own after them (codexHookSettings).
 */
export function codexCommandHooks(
  layers: readonly CodexLayer[],
): Partial<Record<CodexHookEvent, Json[]>> {
  const found: Partial<Record<CodexHookEvent, Json[]>> = {};
  for (const { kind, config, keys = [] } of layers) {
    if (kind !== "command") continue;
    for (const event of Object.keys(EVENT_LABELS) as CodexHookEvent[]) {
      const list = valueAt(config, ["hooks", event]);
      if (keys.includes(`hooks.${event}`) && Array.isArray(list)) found[event] = list as Json[];
    }
  }
  return found;
}

/**
 * Refuses agent `agent` when none of Tower's hooks would run (codexHooksOff), so that its
 * patches would not be checked against the files other agents hold.
 */
export function requireCodexHooksFeature(
  agent: string,
  layers: readonly CodexLayer[],
  requirements?: { file: string; config: Table },
): void {
  const off = codexHooksOff(layers, requirements);
  if (!off) return;
  throw new RefusedError(
    `${off.reason}: Codex would run none of Tower's hooks for agent ${agent}, so its patches would not be checked against the files other agents hold nor take locks. ${off.remedy}, then start ${agent} again`,
  );
}
