/**
 * What a repository's own Gemini CLI files can do to Tower's hooks, and what Tower does about it.
 *
 * Gemini CLI (0.61) reads `<folder it starts in>/.gemini/settings.json` as workspace settings,
 * in a trusted folder, and merges them over the user's settings (where Tower's hooks are, in the
 * Gemini home of gemini-home.ts); only system settings come later, and Gemini reads those only
 * from a file and folders that belong to root. A repository that commits that file has it in
 * every agent's worktree, and with it:
 * - `hooksConfig.enabled: false` (a single value: the workspace's wins) starts no hook at all;
 * - `hooks` that is not an object (`null`, `[]`: the workspace's value replaces the whole
 *   object) leaves no hook of the user's nor Tower's;
 * - `hooksConfig.disabled` (merged as a union) turns off each hook it names, by the hook's
 *   `name`, else its command.
 * Nothing of the user's settings outranks the first two, so Tower does not start a Gemini agent
 * in a worktree whose workspace settings say so (the refusal names the file, the setting and
 * what to do) and `tower check` reports it. The third cannot name Tower's hooks: each launch
 * names them afresh (geminiHookName). Hook events given as something else than a list, and hook
 * events of the workspace's own, are added after Tower's (their lists are concatenated): they
 * do not take Tower's away.
 *
 * The same worktree's `.env` files (`.gemini/.env`, else `.env`, in it or a folder above it),
 * which Gemini loads into its own environment in a trusted folder, can make it distrust the
 * folder after all (`GEMINI_CLI_TRUST_WORKSPACE=false`, `GEMINI_RESTRICTED_MODE=true`), and in
 * a folder it does not trust Gemini runs no hook from any settings. It takes a variable from
 * such a file only when its environment has none, so Tower gives both (empty, which Gemini
 * reads as not set) to an agent whose environment does not have them: geminiTrustPins. Once
 * Tower has found the worktree trusted (geminiTrust), the launch gives
 * GEMINI_CLI_TRUST_WORKSPACE=true over that: trusted for the agent's whole run, whatever its
 * /permissions command changes meanwhile (Gemini restarts on such a change, and the restarted
 * CLI, untrusted, ran none of Tower's hooks).
 *
 * The same file can take Tower's MCP server away (a server of its own under Tower's name, the
 * name in `mcp.excluded`, an `mcp.allowed` without it: see mcpProblems): the agent would have
 * none of Tower's tools, or another program's under their names. Tower refuses those too.
 *
 * Tower writes nothing of the repository's nor of the user's: it only reads the file.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { RefusedError } from "../engine/errors.js";
import { stripJsonComments } from "./gemini-home.js";
import { MCP_SERVER_NAME } from "./mcp-names.js";
import { SERVER_ENVIRONMENT } from "./server-environment.js";

/** The workspace settings file, from the folder Gemini starts in. */
export const GEMINI_WORKSPACE_SETTINGS = path.join(".gemini", "settings.json");

/** Variables by which Gemini's environment makes it distrust the folder it runs in. */
export const GEMINI_TRUST_VARS = ["GEMINI_CLI_TRUST_WORKSPACE", "GEMINI_RESTRICTED_MODE"] as const;

/** One thing in a workspace settings file that would leave Tower's hooks unrun, or its MCP server. */
export interface GeminiWorkspaceProblem {
  file: string;
  /** The setting, as a dotted path (`hooksConfig.enabled`), or "" for the file itself. */
  setting: string;
  /** What it does, and what to do about it, in words. */
  text: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const shown = (value: unknown) => JSON.stringify(value) ?? String(value);

/**
 * What in the workspace settings Gemini would read when started in `folder` would leave Tower's
 * hooks unrun, or take its MCP server away. None when there is no such file. A file Gemini could not read either (not JSON,
 * not an object, not a file) is one too: Gemini would stop on it, and Tower cannot tell what it
 * says.
 */
export async function geminiWorkspaceProblems(folder: string): Promise<GeminiWorkspaceProblem[]> {
  return settingsProblems(path.join(folder, GEMINI_WORKSPACE_SETTINGS), "workspace");
}

/** Whether settings name context files (`context.fileName`): their list replaces the user's. */
const namesContext = (settings: Record<string, unknown> | undefined): boolean =>
  isObject(settings?.context) && "fileName" in settings.context;

/**
 * The settings files of a Gemini settings scope, as Gemini reads them over the user's (where
 * Tower's hooks and server are): the workspace's, and the administrator's system settings,
 * which come over all others. The system defaults come under the user's: only their MCP lists,
 * which every scope adds to, can take Tower's server away.
 */
type Scope = "workspace" | "system" | "system defaults";

const OVER: Record<Scope, string> = {
  workspace: "Gemini CLI applies these workspace settings over the user's",
  system: "Gemini CLI applies these system settings over all others",
  "system defaults": "Gemini CLI reads these system defaults",
};

async function settingsProblems(file: string, scope: Scope): Promise<GeminiWorkspaceProblem[]> {
  return (await scopeOf(file, scope)).problems;
}

/** A scope's settings file read once: what it says (when it reads as an object), its problems. */
async function scopeOf(
  file: string,
  scope: Scope,
): Promise<{ settings?: Record<string, unknown>; problems: GeminiWorkspaceProblem[] }> {
  let settings: Record<string, unknown> | undefined;
  const problems = await scopeProblems(file, scope, (read) => {
    settings = read;
  });
  return settings === undefined ? { problems } : { settings, problems };
}

async function scopeProblems(
  file: string,
  scope: Scope,
  read: (settings: Record<string, unknown>) => void,
): Promise<GeminiWorkspaceProblem[]> {
  const problem = (setting: string, text: string): GeminiWorkspaceProblem => ({
    file,
    setting,
    text,
  });
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    return [
      problem(
        "",
        `${file} cannot be read (${code ?? String(error)}), and Gemini CLI reads it as ${scope} settings: make it a readable file or remove it`,
      ),
    ];
  }
  let settings: unknown;
  try {
    settings = text.trim() === "" ? {} : JSON.parse(stripJsonComments(text));
  } catch (error) {
    return [
      problem(
        "",
        `${file}, which Gemini CLI reads as ${scope} settings, is not JSON (${(error as Error).message}): Tower cannot tell whether it turns Tower's hooks off. Correct it or remove it`,
      ),
    ];
  }
  if (!isObject(settings)) {
    return [
      problem(
        "",
        `${file}, which Gemini CLI reads as ${scope} settings, is not a JSON object: correct it or remove it`,
      ),
    ];
  }
  read(settings);
  const problems: GeminiWorkspaceProblem[] = [];
  if (scope === "system defaults") return mcpProblems(settings, file, problem, scope);
  const config = settings.hooksConfig;
  // Gemini takes any value but `true` as it is (`false`, "", 0 turn the hooks off; a string
  // may name an environment variable Gemini expands): only `true` is surely on.
  if (isObject(config) && "enabled" in config && config.enabled !== true) {
    problems.push(
      problem(
        "hooksConfig.enabled",
        `${file} sets hooksConfig.enabled to ${shown(config.enabled)}: ${OVER[scope]} and would run no hook at all, none of Tower's hooks either, so the agent's writes would not be checked against other agents' locks. Remove hooksConfig.enabled from that file (or set it to true)`,
      ),
    );
  }
  if ("hooks" in settings && !isObject(settings.hooks)) {
    problems.push(
      problem(
        "hooks",
        `${file} sets hooks to ${shown(settings.hooks)}, not an object of hook events: Gemini CLI takes it instead of every hook of the user's settings, Tower's hooks among them, so the agent's writes would not be checked against other agents' locks. Remove hooks from that file (or make it an object of hook events: those run beside Tower's)`,
      ),
    );
  }
  problems.push(...mcpProblems(settings, file, problem, scope));
  return problems;
}

/**
 * What in workspace settings would take Tower's MCP server (its tools: locks, handoffs, tasks)
 * from the agent, as Gemini 0.61 reads them: `mcpServers` merged key by key over the user's (a
 * server of the workspace's named as Tower's replaces it; a value that is not an object and not
 * truthy replaces them all), and each scope's `mcp.excluded` (a server any of them names is not
 * started) and `mcp.allowed` (only a server every non-empty one names is started), names
 * compared as they are.
 */
function mcpProblems(
  settings: Record<string, unknown>,
  file: string,
  problem: (setting: string, text: string) => GeminiWorkspaceProblem,
  scope: Scope,
): GeminiWorkspaceProblem[] {
  const problems: GeminiWorkspaceProblem[] = [];
  const name = MCP_SERVER_NAME;
  const tools = "so the agent would have none of Tower's tools (locks, handoffs, tasks)";
  // The user's servers (Tower's among them) come over the system defaults' key by key.
  const servers = scope === "system defaults" ? undefined : settings.mcpServers;
  if (scope !== "system defaults" && "mcpServers" in settings && !servers) {
    problems.push(
      problem(
        "mcpServers",
        `${file} sets mcpServers to ${shown(servers)}: Gemini CLI takes it instead of every MCP server of the user's settings, Tower's among them, ${tools}. Remove mcpServers from that file (or make it an object of MCP servers: those run beside Tower's)`,
      ),
    );
  }
  if (isObject(servers) && Object.hasOwn(servers, name)) {
    problems.push(
      problem(
        `mcpServers.${name}`,
        `${file} defines an MCP server named "${name}": Gemini CLI takes the ${scope === "workspace" ? "workspace's" : "system's"} instead of Tower's own, so the agent's Tower tools (locks, handoffs, tasks) would be another program's. Give that server another name in that file`,
      ),
    );
  }
  const mcp = isObject(settings.mcp) ? settings.mcp : {};
  if (Array.isArray(mcp.excluded) && mcp.excluded.includes(name)) {
    problems.push(
      problem(
        "mcp.excluded",
        `${file} lists "${name}" in mcp.excluded: Gemini CLI would not start Tower's MCP server, ${tools}. Remove "${name}" from that list`,
      ),
    );
  }
  if (Array.isArray(mcp.allowed) && mcp.allowed.length > 0 && !mcp.allowed.includes(name)) {
    problems.push(
      problem(
        "mcp.allowed",
        `${file} sets mcp.allowed to ${shown(mcp.allowed)}, without "${name}": Gemini CLI starts only the MCP servers every allowed list names, not Tower's, ${tools}. Add "${name}" to that list`,
      ),
    );
  }
  return problems;
}

/** An administrator's system settings (Linux), and the system defaults beside them. */
export const GEMINI_SYSTEM_SETTINGS = "/etc/gemini-cli/settings.json";

/** Where Gemini reads its system settings and defaults, with this environment. */
export function geminiSystemFiles(env: NodeJS.ProcessEnv): { settings: string; defaults: string } {
  const settings = env.GEMINI_CLI_SYSTEM_SETTINGS_PATH || GEMINI_SYSTEM_SETTINGS;
  const defaults =
    env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH ||
    path.join(path.dirname(settings), "system-defaults.json");
  return { settings, defaults };
}

/**
 * Whether Gemini reads the system file `file`: it skips one that it, or a folder above it (as
 * given, and once links are resolved), does not hold safe, that is owned by root and writable
 * by no group and no other user.
 */
export function geminiReadsSystemFile(file: string): boolean {
  const chain = (start: string) => {
    const paths = [start];
    for (let dir = path.dirname(start); ; dir = path.dirname(dir)) {
      paths.push(dir);
      if (path.dirname(dir) === dir) break;
    }
    return paths;
  };
  try {
    const paths = [...chain(path.resolve(file)), ...chain(realpathSync(file))];
    return paths.every((item) => {
      const stat = statSync(item);
      return stat.uid === 0 && (stat.mode & 0o022) === 0;
    });
  } catch {
    return false;
  }
}

/**
 * What in the administrator's system settings (over all others) or system defaults (their MCP
 * lists) would leave Tower's hooks unrun, or take its MCP server away: only in the files Gemini
 * reads (geminiReadsSystemFile).
 */
export async function geminiSystemProblems(
  env: NodeJS.ProcessEnv,
  reads: (file: string) => boolean = geminiReadsSystemFile,
): Promise<GeminiWorkspaceProblem[]> {
  const { settings, defaults } = geminiSystemFiles(env);
  const problems: GeminiWorkspaceProblem[] = [];
  if (reads(settings)) problems.push(...(await settingsProblems(settings, "system")));
  if (reads(defaults)) problems.push(...(await settingsProblems(defaults, "system defaults")));
  return problems;
}

/**
 * What the settings Gemini started in `folder` reads over the user's say for a launch, each file
 * read once: the workspace's problems, the system settings' and defaults' (in the files Gemini
 * reads), and whether the workspace's or the system's name context files (their list replaces
 * the user's, and Tower's briefing file with it).
 */
export async function geminiLaunchSettings(
  folder: string,
  env: NodeJS.ProcessEnv,
  reads: (file: string) => boolean = geminiReadsSystemFile,
): Promise<{
  workspace: GeminiWorkspaceProblem[];
  system: GeminiWorkspaceProblem[];
  namesContext: boolean;
}> {
  const none = { problems: [] as GeminiWorkspaceProblem[], settings: undefined };
  const workspace = await scopeOf(path.join(folder, GEMINI_WORKSPACE_SETTINGS), "workspace");
  const files = geminiSystemFiles(env);
  const system = reads(files.settings) ? await scopeOf(files.settings, "system") : none;
  const defaults = reads(files.defaults) ? await scopeOf(files.defaults, "system defaults") : none;
  return {
    workspace: workspace.problems,
    system: [...system.problems, ...defaults.problems],
    namesContext: namesContext(workspace.settings) || namesContext(system.settings),
  };
}

/**
 * Refuses agent `agent` when the settings Gemini started in `folder` reads over the user's would
 * not let Tower's hooks or server be (the workspace's: geminiWorkspaceRefusal; the system's);
 * else says whether they name context files (geminiLaunchSettings).
 */
export async function requireGeminiSettingsKept(
  agent: string,
  folder: string,
  env: NodeJS.ProcessEnv,
): Promise<{ namesContext: boolean }> {
  const found = await geminiLaunchSettings(folder, env);
  if (found.workspace.length > 0) throw geminiWorkspaceRefusal(agent, folder, found.workspace);
  if (found.system.length > 0)
    throw new RefusedError(
      `${found.system.map((p) => p.text).join("; ")}. Tower does not start Gemini agent ${agent} while it does: change that file (or ask your administrator to; Tower changes none of it), then start ${agent} again`,
    );
  return { namesContext: found.namesContext };
}

/** The refusal to start `agent` (a Gemini CLI agent) in `folder`, for these problems. */
export function geminiWorkspaceRefusal(
  agent: string,
  folder: string,
  problems: readonly GeminiWorkspaceProblem[],
): RefusedError {
  return new RefusedError(
    `${problems.map((p) => p.text).join("; ")}. Tower does not start Gemini agent ${agent} in ${folder} while it does: change the file (commit the change if the repository commits it; Tower changes none of its files), then start ${agent} again`,
  );
}

/**
 * The trust variables the agent's environment lacks, given empty: a `.env` of the worktree's
 * cannot set them then (Gemini sets a variable from it only when it has none), and Gemini reads
 * an empty one as not set. The user's own values stay.
 */
export function geminiTrustPins(env: NodeJS.ProcessEnv): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const name of GEMINI_TRUST_VARS) if (env[name] === undefined) pins[name] = "";
  return pins;
}

/**
 * A name for Tower's hook on `event` for one launch. Gemini's `hooksConfig.disabled` turns off
 * the hooks it names, by name (else by command), and a workspace's list is added to the
 * user's: a name no file can know beforehand keeps Tower's hook out of reach.
 */
export function geminiHookName(event: string): string {
  return `tower-${event}-${randomBytes(6).toString("hex")}`;
}

/** Gemini's trust levels (its trustedFolders.json). */
const TRUST_LEVELS = ["TRUST_FOLDER", "TRUST_PARENT", "DO_NOT_TRUST"] as const;

const realOr = async (file: string) => fsp.realpath(file).catch(() => path.resolve(file));

const within = (parent: string, child: string) => {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
};

/** The longest rule of `rules` covering `folder`, as Gemini finds it (`TRUST_PARENT` covers the rule's parent). */
async function ruleFor(
  rules: Record<string, unknown>,
  folder: string,
): Promise<{ rule: string; level: string } | undefined> {
  const location = await realOr(folder);
  let longest: { rule: string; level: string } | undefined;
  for (const [rule, level] of Object.entries(rules)) {
    if (!(TRUST_LEVELS as readonly unknown[]).includes(level)) continue;
    const covers = await realOr(level === "TRUST_PARENT" ? path.dirname(rule) : rule);
    if (within(covers, location) && rule.length > (longest?.rule.length ?? -1)) {
      longest = { rule, level: String(level) };
    }
  }
  return longest;
}

/** Whether Gemini may start in a worktree, and how (see geminiTrust). */
export interface GeminiTrust {
  /** Why not: Gemini would not trust the worktree, so it would run no hook. */
  problem?: string;
}

/**
 * Whether Gemini started in the worktree `folder` of the repository `repoRoot`, with Tower's
 * Gemini home `home` and environment `env`, would trust it: in a folder it does not trust,
 * Gemini runs no hook of any settings (Tower's included: "Project hooks disabled because the
 * folder is not trusted"), so the agent's writes would go unchecked. As Gemini 0.61 decides it
 * (its utils/trust.ts): `GEMINI_RESTRICTED_MODE=true` or `GEMINI_CLI_TRUST_WORKSPACE=false`
 * distrust, `...=true` trusts; with folder trust on (`security.folderTrust.enabled`, on unless
 * false) the longest rule of its trustedFolders.json (`GEMINI_CLI_TRUSTED_FOLDERS_PATH`, else in
 * the home's `.gemini`) covering the folder decides. With no rule Gemini asks in the pane, and
 * meanwhile runs the task it was given, untrusted, with no hook (seen with 0.61: its write was
 * made behind the question). So a worktree with no rule gets the repository's trust: the same
 * repository's files, which Gemini trusts there (by the variable); a repository with none, or
 * distrusted, is a problem, as is a worktree distrusted by a rule of its own.
 */
export async function geminiTrust(
  folder: string,
  repoRoot: string,
  home: string,
  env: NodeJS.ProcessEnv,
): Promise<GeminiTrust> {
  const outcome =
    "Gemini CLI would run none of Tower's hooks there, so the agent's writes would not be checked against other agents' locks";
  for (const [name, value] of [
    ["GEMINI_RESTRICTED_MODE", "true"],
    ["GEMINI_CLI_TRUST_WORKSPACE", "false"],
  ] as const) {
    if (env[name] === value) {
      return {
        problem: `the environment sets ${name}=${value}, which makes Gemini CLI distrust every folder: ${outcome}. Unset it for Tower (${SERVER_ENVIRONMENT})`,
      };
    }
  }
  if (env.GEMINI_CLI_TRUST_WORKSPACE === "true") return {};
  const dotGemini = path.join(home, ".gemini");
  const json = (file: string) =>
    fsp
      .readFile(file, "utf8")
      .then((text) => JSON.parse(stripJsonComments(text)) as unknown)
      .catch(() => undefined);
  const settings = await json(path.join(dotGemini, "settings.json"));
  const security = isObject(settings) ? settings.security : undefined;
  const folderTrust = isObject(security) ? security.folderTrust : undefined;
  if (isObject(folderTrust) && folderTrust.enabled === false) return {};
  const file = env.GEMINI_CLI_TRUSTED_FOLDERS_PATH || path.join(dotGemini, "trustedFolders.json");
  // A file Gemini cannot read stops Gemini itself.
  const found = await json(file);
  const rules = isObject(found) ? found : {};
  // Named as the user knows it: Tower's Gemini home links to the user's file.
  const shownFile = await realOr(file);
  const own = await ruleFor(rules, folder);
  if (own?.level === "DO_NOT_TRUST") {
    return {
      problem: `${shownFile} says DO_NOT_TRUST for ${own.rule}, so Gemini CLI does not trust ${folder}: ${outcome}. Trust the folder in Gemini (its /permissions command, or that file)`,
    };
  }
  if (own) return {};
  const repository = await ruleFor(rules, repoRoot);
  if (repository && repository.level !== "DO_NOT_TRUST") return {};
  return {
    problem: `Gemini CLI trusts neither ${folder} nor its repository ${repoRoot} (${repository ? `${shownFile} says DO_NOT_TRUST for ${repository.rule}` : `no rule of ${shownFile} covers them`}): it would ask in the agent's pane, and run the task meanwhile, untrusted, with none of Tower's hooks, so the agent's writes would not be checked against other agents' locks. Trust the repository in Gemini (run \`gemini\` in ${repoRoot} and trust it, or add a rule to that file): Tower then trusts its worktrees too`,
  };
}
