/**
 * What Tower adds when it starts a real agent CLI: for Claude Code, its hooks (`tower hook`, or
 * the quicker Python forwarder to the room: hook-forward.ts),
 * Tower's MCP server with its tools allowed, the briefing, and the session to begin or resume.
 * Nothing is written to files the user commits: the settings and the MCP configuration are
 * files in the state directory, given on the command line, and Claude Code merges them with the
 * user's own settings (its hooks run beside the user's hooks, never instead of them).
 */
import path from "node:path";
import { RefusedError } from "../engine/errors.js";
import type { AgentCommand } from "../engine/plan/index.js";
import { shellQuote } from "../engine/plan/index.js";
import { STATE_FOLDERS, writeStateFile } from "../engine/state/index.js";
import type { StateStore } from "../engine/state/store.js";
import { withBriefing } from "./briefing.js";
import {
  COMMAND_SETTINGS,
  claudeCommandOptions,
  claudeCommandSettings,
  withTowerSettings,
} from "./claude-command.js";
import {
  claudeHooksOff,
  claudeManagedFiles,
  claudePolicyFiles,
  requireClaudeHooks,
} from "./claude-hooks-off.js";
import { claudeMcpPolicy, claudeSettingsFiles, requireClaudeMcpAllowed } from "./claude-mcp.js";
import {
  type CodexLayer,
  codexCommandHooks,
  codexInstructions,
  codexLayers,
  codexProfile,
  codexRequirements,
  codexShellArgs,
  requireCodexHooksFeature,
  requireCodexServerName,
  requireCodexShellVariables,
} from "./codex-config.js";
import { type CodexHook, codexHookSettings } from "./codex-hooks.js";
import { makeGeminiHome, userGeminiHome } from "./gemini-home.js";
import {
  geminiHookName,
  geminiTrust,
  geminiTrustPins,
  requireGeminiSettingsKept,
} from "./gemini-workspace.js";
import { FILE_TOOLS, GEMINI_HOOK_EVENTS, HOOK_EVENTS, type HookEvent } from "./hook.js";
import { GEMINI_FILE_TOOLS, GEMINI_SHELL_TOOL, PATCH_TOOL, SHELL_TOOL } from "./hook-events.js";
import { type Forwarder, findPython, hookWords, writeForwarder } from "./hook-forward.js";
import type { AgentIdentity } from "./identity.js";
import { MCP_SERVER_NAME, MCP_TOOLS } from "./mcp-names.js";

/** The tools of Codex's that Tower's hooks answer (a regular expression on the tool's name). */
export const CODEX_HOOK_MATCHER = `^(${PATCH_TOOL}|${SHELL_TOOL})$`;

export type AgentCli = "claude" | "codex" | "gemini";

const CLI_PROGRAMS: Readonly<Record<string, AgentCli>> = {
  claude: "claude",
  "claude-code": "claude",
  codex: "codex",
  gemini: "gemini",
};

/** The agent CLI a command runs directly (its program), if it is one Tower knows. */
export function agentCli(command: AgentCommand): AgentCli | undefined {
  const argv =
    typeof command === "string"
      ? command
          .trim()
          .split(/\s+/)
          .filter((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && w !== "exec" && w !== "env")
      : command;
  const program = argv[0]?.replace(/^['"]|['"]$/g, "");
  return program ? CLI_PROGRAMS[path.basename(program)] : undefined;
}

/** The command with arguments right after its program (before a subcommand or the prompt). */
export function insertArgs(command: AgentCommand, args: readonly string[]): AgentCommand {
  if (args.length === 0) return command;
  if (typeof command === "string") {
    const match = /^(\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+|exec\s+|env\s+)*\S+)/.exec(command);
    const head = match?.[1] ?? command;
    return `${head} ${args.map(shellQuote).join(" ")}${command.slice(head.length)}`;
  }
  const [program, ...rest] = command;
  return program === undefined ? [...args] : [program, ...args, ...rest];
}

/** The command with arguments added at its end (shell-quoted for a string command). */
export function appendArgs(command: AgentCommand, args: readonly string[]): AgentCommand {
  if (args.length === 0) return command;
  if (typeof command === "string") return `${command} ${args.map(shellQuote).join(" ")}`;
  return [...command, ...args];
}

/** The arguments by which each CLI is told which conversation to have. */
const SESSION_ARGS: Readonly<Record<AgentCli, RegExp>> = {
  claude: /^(?:--resume|-r|--continue|-c|--session-id|--fork-session)(?:=.*)?$/,
  // `-c` is Codex's config override; its sessions are picked by subcommand.
  codex: /^(?:resume|fork)$/,
  gemini: /^(?:--resume|-r|--session-id)(?:=.*)?$/,
};

/** Whether the command already picks its own conversation (then Tower leaves that alone). */
export function choosesSession(command: AgentCommand, cli = agentCli(command)): boolean {
  if (cli === undefined) return false;
  const words = typeof command === "string" ? command.split(/\s+/) : command;
  return words.some((w) => SESSION_ARGS[cli].test(w.replace(/^['"]|['"]$/g, "")));
}

export interface LaunchRequest {
  identity: AgentIdentity;
  store: StateStore;
  /** How to run `tower` itself: [node, the tower script]. */
  tower: readonly string[];
  briefing: string;
  /** The agent's own session: resumed when `resume`, else begun with this id. */
  session: { id: string; resume: boolean };
  /** The environment the agent runs in (where its hooks find Python). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Variables the agent's shell commands must get, whatever its CLI's settings (the guard's). */
  shellEnv?: Record<string, string>;
  /** The agent's command as the plan gives it (Codex: the profile it chooses, `-p <name>`). */
  command?: AgentCommand;
}

export interface AgentLaunch {
  args: string[];
  env: Record<string, string>;
  /** Variables the CLI must not see (see GEMINI_HEADLESS_VARS). */
  unset?: readonly string[];
  /** The briefing is not among the CLI's instructions, so it goes with the task. */
  briefInPrompt?: boolean;
  /** Arguments after the command's own words (Codex: to win over a `-c` of the plan's). */
  argsAfter?: string[];
}

/** The variables the agent's own tools (`tower mcp`) need to act as the agent. */
export const AGENT_VARIABLES = [
  "TOWER_AGENT_ID",
  "TOWER_STREAM",
  "TOWER_WORKTREE",
  "TOWER_REPO_ROOT",
  "TOWER_STATE_DIR",
  "TOWER_TASK",
  "TOWER_CONFIG_DIR",
];

/** A TOML basic string (for Codex's `-c key=value`). */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** The folder of an agent's launch files, in the state directory. */
export const launchFolder = (store: StateStore, agent: string) =>
  store.path(path.join(STATE_FOLDERS.launch, agent));

/**
 * The agent's launch folder, made if missing, one folder at a time and none of them a link (see
 * StateStore.folder): a link there is a StateFileError naming it, and nothing is written.
 */
const makeLaunchFolder = (store: StateStore, agent: string) =>
  store.folder(STATE_FOLDERS.launch, agent);

/**
 * Claude Code's events of one tool call, which Tower's hooks answer for its file tools and its
 * shell tool only (a command: the room's snapshots before and after it).
 */
const TOOL_EVENTS: ReadonlySet<string> = new Set([
  "PreToolUse",
  "PostToolUse",
  "PostToolUseFailure",
  "PermissionDenied",
]);

/**
 * Claude Code settings with Tower's hooks: file tools and the shell for the events of a tool
 * call, all for the rest; each runs the Python forwarder when there is one (see hook-forward.ts), else `tower hook`.
 * `disableAllHooks: false`: the user's `disableAllHooks: true` (in ~/.claude/settings.json, the
 * project's or its local settings) would otherwise drop these too, and with them the locks and
 * the scope; `--settings` outranks all three (a managed policy's setting still wins).
 */
export function claudeSettings(
  tower: readonly string[],
  forwarder?: Forwarder,
  options: { allowlisted?: boolean } = {},
): Record<string, unknown> {
  const tools = [...Object.keys(FILE_TOOLS), SHELL_TOOL].join("|");
  const hooks: Record<string, unknown[]> = {};
  for (const event of HOOK_EVENTS) {
    const matcher = TOOL_EVENTS.has(event) ? tools : undefined;
    hooks[event] = [hookEntry(tower, event, forwarder, matcher, { timeout: 15 })];
  }
  return {
    disableAllHooks: false,
    hooks,
    // Another settings file allows some MCP servers only: Tower's too (see claude-mcp.ts).
    ...(options.allowlisted && { allowedMcpServers: [{ serverName: MCP_SERVER_NAME }] }),
  };
}

/**
 * One entry of a CLI's settings `hooks.<event>` (Claude Code's shape, which Gemini CLI shares):
 * the tools it applies to, and the command that answers it.
 */
function hookEntry(
  tower: readonly string[],
  event: string,
  forwarder: Forwarder | undefined,
  matcher: string | undefined,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const command = hookWords(tower, event, forwarder).map(shellQuote).join(" ");
  return {
    ...(matcher !== undefined && { matcher }),
    hooks: [{ type: "command", command, ...extra }],
  };
}

/** The Python forwarder written into the agent's launch folder, when Python is found. */
async function forwarderFor(request: LaunchRequest): Promise<Forwarder | undefined> {
  const python = await findPython(request.env);
  if (!python) return undefined;
  return {
    python,
    script: await writeForwarder(await makeLaunchFolder(request.store, request.identity.agent)),
  };
}

export function mcpConfig(tower: readonly string[]): Record<string, unknown> {
  const [command, ...args] = tower;
  return {
    mcpServers: { [MCP_SERVER_NAME]: { type: "stdio", command, args: [...args, "mcp"] } },
  };
}

/** Written whole and renamed into place, never through a link (writeStateFile). */
async function writeJson(file: string, value: unknown): Promise<void> {
  await writeStateFile(file, `${JSON.stringify(value, null, 2)}\n`, 0o644);
}

/** Claude Code: `--settings`, `--mcp-config`, the tools allowed, the briefing, the session. */
export async function claudeLaunch(request: LaunchRequest): Promise<AgentLaunch> {
  // The plan's own --settings and --append-system-prompt, which Tower's (after them) would
  // replace: given with Tower's (claude-command.ts).
  const own = request.command === undefined ? {} : claudeCommandOptions(request.command);
  const theirs =
    own.settings === undefined
      ? undefined
      : await claudeCommandSettings(own.settings, request.identity.worktree);
  // Claude Code's own settings files decide whether it starts Tower's server (claude-mcp.ts).
  // The administrator's files (managed-settings.json, managed-settings.d/) listed once for both.
  const managed = await claudePolicyFiles(request.env ?? process.env, claudeManagedFiles());
  const policy = await claudeMcpPolicy(
    claudeSettingsFiles(request.identity.worktree, request.env, managed),
    [...request.tower, "mcp"],
    theirs === undefined ? [] : [{ file: COMMAND_SETTINGS, settings: theirs }],
  );
  requireClaudeMcpAllowed(request.identity.agent, policy);
  requireClaudeHooks(
    request.identity.agent,
    await claudeHooksOff(request.command, request.env ?? process.env, managed),
  );
  const folder = await makeLaunchFolder(request.store, request.identity.agent);
  const settings = path.join(folder, "claude-settings.json");
  const mcp = path.join(folder, "mcp.json");
  const forwarder = await forwarderFor(request);
  const allowlisted = policy.allowlists.length > 0;
  const towers = claudeSettings(request.tower, forwarder, { allowlisted });
  await writeJson(settings, theirs === undefined ? towers : withTowerSettings(theirs, towers));
  await writeJson(mcp, mcpConfig(request.tower));
  // --mcp-config and --allowedTools take several values: given as --flag=value, nothing after
  // them (a prompt, another flag's value) can be read as one more.
  return {
    args: [
      `--settings=${settings}`,
      `--mcp-config=${mcp}`,
      `--allowedTools=${MCP_TOOLS.map((tool) => `mcp__${MCP_SERVER_NAME}__${tool}`).join(",")}`,
      "--append-system-prompt",
      withBriefing(own.appendSystemPrompt, request.briefing),
      ...(request.session.resume
        ? ["--resume", request.session.id]
        : ["--session-id", request.session.id]),
    ],
    env: {},
  };
}

/**
 * Codex: no shared background server (its daemon leads its own session and outlives a stopped
 * agent; Tower's stop must leave nothing behind), Tower's MCP server with its tools approved,
 * Tower's hooks on its patches (the apply_patch tool, and shell commands running apply_patch), trusted (PreToolUse refuses a patch to a file another agent
 * holds, and takes the locks; PostToolUse, which Codex sends for a patch applied, logs the
 * edits and makes the locks full; see codex-hooks.ts), the briefing as
 * developer instructions (after the user's own: codexInstructions), its screen inline (not on the alternate screen: what scrolls off stays
 * in the pane's history, for copy mode and the agent's log; Codex does so by itself only inside
 * Zellij), and `codex resume <id>` for a known session. All on the command line (`-c`): nothing
 * is written to the user's ~/.codex.
 */
export async function codexLaunch(request: LaunchRequest): Promise<AgentLaunch> {
  // What the user's own configuration does to the keys given here (codex-config.ts).
  const { identity } = request;
  const profile = request.command === undefined ? undefined : codexProfile(request.command);
  const layers = await codexLayers(identity.worktree, identity.repoRoot, request.env, {
    profile,
    command: request.command,
  });
  const [node, ...script] = request.tower;
  const requirements = await codexRequirements();
  requireCodexServerName(identity.agent, layers, { requirements, command: node ?? "node" });
  requireCodexShellVariables(identity.agent, layers, shellVariables(request));
  requireCodexHooksFeature(identity.agent, layers, requirements);
  const forwarder = await forwarderFor(request);
  const hookCommand = (event: HookEvent) =>
    hookWords(request.tower, event, forwarder).map(shellQuote).join(" ");
  const hooks: CodexHook[] = [
    ...(["PreToolUse", "PostToolUse"] as const).map((event) => ({
      event,
      // Its shell tool too: a command running `apply_patch` is a patch Codex applies itself.
      matcher: CODEX_HOOK_MATCHER,
      command: hookCommand(event),
      timeout: 15,
    })),
    // The session it begins, told by Codex itself (for `codex resume <id>`).
    { event: "SessionStart", command: hookCommand("CodexSessionStart"), timeout: 15 },
    // Before each request to the model: the room takes a snapshot of the worktree first (what
    // Codex typed into a shell it keeps open, write_stdin, which fires no tool event, wrote).
    { event: "PreModelRequest", command: hookCommand("CodexModelRequest"), timeout: 15 },
  ];
  const config: [string, string][] = [
    ["features.daemon_auto_start", "false"],
    // Codex's hooks are a feature a user's config.toml can turn off (then none of Tower's run).
    ["features.hooks", "true"],
    ["tui.alternate_screen", tomlString("never")],
    [`mcp_servers.${MCP_SERVER_NAME}.command`, tomlString(node ?? "node")],
    [`mcp_servers.${MCP_SERVER_NAME}.args`, JSON.stringify([...script, "mcp"])],
    [`mcp_servers.${MCP_SERVER_NAME}.env_vars`, JSON.stringify(AGENT_VARIABLES)],
    [`mcp_servers.${MCP_SERVER_NAME}.default_tools_approval_mode`, tomlString("approve")],
    // Merged into a server of that name in the user's (or the project's) config.toml: on, with
    // every tool, whatever that one says.
    [`mcp_servers.${MCP_SERVER_NAME}.enabled`, "true"],
    [`mcp_servers.${MCP_SERVER_NAME}.enabled_tools`, JSON.stringify(MCP_TOOLS)],
    [`mcp_servers.${MCP_SERVER_NAME}.disabled_tools`, "[]"],
    ...codexShellVariables(request, layers),
  ];
  // The settings the agent's command gives too, which it would replace, go after its words:
  // its own hooks on an event of Tower's with Tower's after them, and the user's instructions
  // with the briefing (codexCommandHooks, codexInstructions).
  const theirHooks = codexCommandHooks(layers);
  const after: [string, string][] = [];
  for (const setting of codexHookSettings(hooks, theirHooks)) {
    const event = setting[0].slice("hooks.".length);
    (event in theirHooks ? after : config).push(setting);
  }
  const instructions = codexInstructions(layers, request.briefing);
  (instructions.afterCommand ? after : config).push([
    "developer_instructions",
    tomlString(instructions.value),
  ]);
  const words = (settings: [string, string][]) =>
    settings.flatMap(([key, value]) => ["-c", `${key}=${value}`]);
  return {
    args: words(config),
    env: {},
    ...(after.length > 0 && { argsAfter: words(after) }),
    ...(instructions.inPrompt && { briefInPrompt: true }),
  };
}

/** Who the agent is, as Tower's tools and guard read it from their environment (identity.ts). */
function identityVariables(identity: AgentIdentity): Record<string, string> {
  return {
    TOWER_AGENT_ID: identity.agent,
    TOWER_STREAM: identity.stream,
    TOWER_WORKTREE: identity.worktree,
    TOWER_REPO_ROOT: identity.repoRoot,
    TOWER_STATE_DIR: identity.stateDir,
    TOWER_TASK: identity.task,
  };
}

/**
 * The variables Codex must give the commands it runs, set in its `shell_environment_policy`:
 * a policy of yours that passes them only a core set (`inherit = "core"`), or leaves some out,
 * would take the guard's away from the agent's git (and who the agent is, which the guard and
 * `tower` commands read). Set variables come after inherit and exclude; an `include_only` of
 * yours (or `filters` with "include" entries), which comes after them, gets their names added;
 * a managed configuration that would still keep them out is refused above (codex-config.ts).
 */
function codexShellVariables(
  request: LaunchRequest,
  layers: readonly CodexLayer[],
): [string, string][] {
  const variables = shellVariables(request);
  const set = Object.entries(variables).map(([name, value]): [string, string] => [
    `shell_environment_policy.set.${name}`,
    tomlString(value),
  ]);
  return [...set, ...codexShellArgs(layers, Object.keys(variables))];
}

/** Who the agent is, and the variables its commands must get besides (the guard's). */
function shellVariables(request: LaunchRequest): Record<string, string> {
  return { ...identityVariables(request.identity), ...request.shellEnv };
}

/**
 * Variables by which Gemini CLI decides it runs without a terminal (`CI=true`,
 * `GITHUB_ACTIONS=true`: headless mode, unless given a prompt with `-i`): a resumed agent, which
 * gets no prompt, would exit at once asking for one on stdin. A pane is a terminal: Gemini does
 * not see them (nor do the commands it runs).
 */
export const GEMINI_HEADLESS_VARS = ["CI", "GITHUB_ACTIONS"] as const;

/**
 * Gemini CLI: Tower's MCP server, trusted, and its hooks on the file tools (BeforeTool refuses
 * a write to a file another agent holds, and takes the lock; AfterTool logs the edit and makes
 * the lock full, or releases it when the write failed), in a
 * Gemini home of Tower's (`GEMINI_CLI_HOME`: the user's settings with these added, their other
 * files linked; see gemini-home.ts), the session named (`--session-id`) or resumed
 * (`--resume <id>`). Refused (a RefusedError naming the file and the setting) in a worktree
 * whose own Gemini settings would switch the hooks off; the hooks get names of this launch's,
 * and the trust variables a `.env` of the worktree's could set are given (gemini-workspace.ts).
 */
export async function geminiLaunch(request: LaunchRequest): Promise<AgentLaunch> {
  const [command, ...args] = request.tower;
  const { identity } = request;
  // Gemini starts in the worktree, and reads its `.gemini/settings.json` over Tower's, and an
  // administrator's system settings over everything: each read once.
  const settings = await requireGeminiSettingsKept(
    identity.agent,
    identity.worktree,
    request.env ?? process.env,
  );
  const forwarder = await forwarderFor(request);
  // Its file tools, and its shell tool (the room's snapshots before and after a command).
  const tools = [...Object.keys(GEMINI_FILE_TOOLS), GEMINI_SHELL_TOOL].join("|");
  const hooks: Record<string, unknown[]> = {};
  for (const event of GEMINI_HOOK_EVENTS)
    hooks[event] = [
      hookEntry(request.tower, event, forwarder, tools, { name: geminiHookName(event) }),
    ];
  // Its home is made in the launch folder, which is made (and checked) first.
  await makeLaunchFolder(request.store, identity.agent);
  // Among its context files, unless the worktree's or the administrator's settings name their
  // own (then with the task).
  const briefInPrompt = settings.namesContext;
  const home = await makeGeminiHome(
    geminiHomeFolder(request.store, identity.agent),
    request.env,
    {
      [MCP_SERVER_NAME]: {
        command,
        args: [...args, "mcp"],
        trust: true,
        env: identityVariables(identity),
      },
    },
    hooks,
    briefInPrompt ? undefined : request.briefing,
  );
  // In a folder Gemini does not trust, no hook of any settings runs.
  const env = request.env ?? process.env;
  const trust = await geminiTrust(identity.worktree, identity.repoRoot, home, env);
  if (trust.problem) {
    throw new RefusedError(
      `${trust.problem}. Tower does not start Gemini agent ${identity.agent} in ${identity.worktree} while it does; then start ${identity.agent} again`,
    );
  }
  return {
    args: request.session.resume
      ? ["--resume", request.session.id]
      : ["--session-id", request.session.id],
    env: {
      ...geminiTrustPins(env),
      // Trusted, as decided now, for the agent's whole run: the variable outranks the trusted
      // folders, so neither a worktree without a rule of its own (its repository's trust) nor
      // a /permissions change in the agent (Gemini restarts on it, and ran no hook after) takes
      // Tower's hooks away.
      GEMINI_CLI_TRUST_WORKSPACE: "true",
      // The user's own trusted folders, read and written there: a change made in the agent is
      // the user's (Gemini replaces the file whole, which in Tower's home was only a link).
      ...(!env.GEMINI_CLI_TRUSTED_FOLDERS_PATH && {
        GEMINI_CLI_TRUSTED_FOLDERS_PATH: path.join(
          userGeminiHome(env),
          ".gemini",
          "trustedFolders.json",
        ),
      }),
      GEMINI_CLI_HOME: home,
    },
    unset: GEMINI_HEADLESS_VARS,
    ...(briefInPrompt && { briefInPrompt }),
  };
}

/** The Gemini home Tower makes for `agent` (gemini-home.ts). */
export const geminiHomeFolder = (store: StateStore, agent: string) =>
  path.join(launchFolder(store, agent), "gemini-home");
