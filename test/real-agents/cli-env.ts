/**
 * Throwaway environments for the real agent CLIs: for each one a fresh HOME (and Codex's
 * CODEX_HOME) with the settings that start it straight into its prompt against the scripted
 * model endpoint, with every update check, telemetry and nonessential traffic off. Nothing
 * outside these folders, the test's repository and the npm cache the CLIs were installed from
 * is changed by a run (the smoke tests check the npm global prefix and the CLI cache).
 *
 * The environment is built from scratch (PATH, a UTF-8 locale, the CLI's variables), not
 * inherited: a developer's API keys, TMUX, or npm settings must not reach the CLI under test.
 * npm's prefix and cache point inside the throwaway HOME too, so that even an updater that
 * ignored its off switch could not write to the real global prefix.
 *
 * FINDINGS.md says why each setting is there (what the CLI does without it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AgentCli, cliBinary, cliCache } from "./clis.js";

export interface AgentEnv {
  cli: AgentCli;
  /** The CLI's executable followed by `args`. */
  command: string[];
  /** The complete environment to start it with. */
  env: Record<string, string>;
  /** The throwaway HOME. */
  home: string;
  /** Codex's CODEX_HOME (under the CLI cache folder, not the temp folder). */
  codexHome?: string;
  /** Removes the folders made for this environment. */
  cleanup(): void;
}

export interface AgentEnvOptions {
  /** The model endpoint's base URL (`ModelServer.url`). */
  modelUrl: string;
  /** Folders the CLI is told to trust (the repository and its worktrees). */
  trust: string[];
  /** Arguments after the executable (e.g. the first prompt). */
  args?: string[];
  /** Extra environment variables, on top of the ones made here. */
  env?: Record<string, string>;
}

/** Where the throwaway homes go (default: the OS temp folder). */
function makeHome(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The part of the environment every CLI gets. */
function baseEnv(home: string): Record<string, string> {
  // The CLIs' own temporary folders (Claude Code's claude-<uid>, the mount targets of Codex's
  // sandbox) go inside the throwaway HOME, not the machine's /tmp, where they outlived the
  // tests. Codex's daemon folder stays in /tmp whatever TMPDIR says (CODEX_DAEMON_FOLDER).
  const tmp = path.join(home, "tmp");
  mkdirSync(tmp, { recursive: true });
  const env: Record<string, string> = {
    HOME: home,
    USER: os.userInfo().username,
    LOGNAME: os.userInfo().username,
    SHELL: "/bin/bash",
    // The node running the tests first, for the CLIs that are node scripts (Gemini, Codex's
    // launcher) and for hook commands.
    PATH: [path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    XDG_DATA_HOME: path.join(home, ".local", "share"),
    XDG_STATE_HOME: path.join(home, ".local", "state"),
    // Anything that runs npm (an updater) writes inside the throwaway HOME.
    NPM_CONFIG_PREFIX: path.join(home, ".npm-global"),
    NPM_CONFIG_CACHE: path.join(home, ".npm"),
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    NO_UPDATE_NOTIFIER: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  };
  return env;
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export interface ClaudeEnvOptions extends AgentEnvOptions {
  /** `~/.claude/settings.json` (user settings), merged over the defaults here. */
  settings?: Record<string, unknown>;
}

/** The API key Claude Code is given; its last 20 characters are pre-approved in `.claude.json`. */
export const CLAUDE_API_KEY = "sk-ant-api03-scripted-model-server-key-0000";

/**
 * Claude Code: onboarding done, the folders trusted, the key approved, so it opens straight at
 * its prompt; `ANTHROPIC_BASE_URL` points at the endpoint.
 */
export function claudeEnv(options: ClaudeEnvOptions): AgentEnv {
  const binary = cliBinary("claude");
  const home = makeHome("tower-claude-home-");
  const projects: Record<string, unknown> = {};
  for (const dir of options.trust) {
    projects[dir] = { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true };
  }
  writeJson(path.join(home, ".claude.json"), {
    hasCompletedOnboarding: true,
    lastOnboardingVersion: "2.1.197",
    autoUpdates: false,
    bypassPermissionsModeAccepted: false,
    customApiKeyResponses: { approved: [CLAUDE_API_KEY.slice(-20)], rejected: [] },
    projects,
  });
  writeJson(path.join(home, ".claude", "settings.json"), {
    autoUpdates: false,
    ...options.settings,
  });
  const env = {
    ...baseEnv(home),
    ANTHROPIC_BASE_URL: options.modelUrl,
    ANTHROPIC_API_KEY: CLAUDE_API_KEY,
    DISABLE_AUTOUPDATER: "1",
    DISABLE_UPDATES: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_INSTALLATION_CHECKS: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: "1",
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
    ...options.env,
  };
  return {
    cli: "claude",
    command: [binary, ...(options.args ?? [])],
    env,
    home,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

export interface CodexEnvOptions extends AgentEnvOptions {
  /**
   * Config overrides given on the command line as `-c key=value` (TOML values:
   * `{ sandbox_mode: '"read-only"' }`), before `args`: the way Tower can change Codex's
   * settings without editing its config file.
   */
  overrides?: Record<string, string>;
  /** More tables for `config.toml` (e.g. `[mcp_servers.x]`). */
  config?: string;
  /** More top-level keys for `config.toml` (before its tables). */
  top?: string;
  /** The model Codex asks for (default `gpt-5.5`; see CODEX_MODEL). */
  model?: string;
  /**
   * Leave Codex's shared background app-server on (its default): the TUI then starts a
   * detached `codex app-server --managed-daemon` that outlives it. Default false.
   */
  daemon?: boolean;
}

/** TOML basic string. */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * The default model: one of Codex 0.171's bundled catalog, since the tools Codex offers depend
 * on the model's catalog entry. `gpt-5.5` gets the classic tools (`exec_command`, freeform
 * `apply_patch`); the newer `gpt-6*` models get them inside a JavaScript "code mode" `exec`
 * tool. Its catalog entry suggests an upgrade to gpt-6-sol at start: `notice.model_migrations`
 * says that was seen.
 */
export const CODEX_MODEL = "gpt-5.5";

/**
 * Where Codex keeps its shared app-server daemon's socket: in /tmp itself, whatever TMPDIR says
 * (a socket's path must be short). A Codex TUI makes the folder even with the daemon off.
 */
export const CODEX_DAEMON_FOLDER = path.join("/tmp", `codex-daemon-${os.userInfo().uid}`);

/**
 * Codex: a custom model provider at the endpoint (Responses API), the folders trusted, updates,
 * analytics, feedback and the shared background app-server (`features.daemon_auto_start`) off.
 * CODEX_HOME is kept under the CLI cache folder (Codex copies its binary into
 * `$CODEX_HOME/packages` for the app-server daemon and refuses to do it under the temp folder),
 * one per environment, removed by `cleanup`.
 */
export function codexEnv(options: CodexEnvOptions): AgentEnv {
  const binary = cliBinary("codex");
  const daemonFolderWas = existsSync(CODEX_DAEMON_FOLDER);
  const home = makeHome("tower-codex-home-");
  const runs = path.join(cliCache(), "runs");
  mkdirSync(runs, { recursive: true });
  const codexHome = mkdtempSync(path.join(runs, "codex-home-"));
  const model = options.model ?? CODEX_MODEL;
  const projects = options.trust
    .map((dir) => `[projects.${tomlString(dir)}]\ntrust_level = "trusted"\n`)
    .join("\n");
  writeFileSync(
    path.join(codexHome, "config.toml"),
    [
      `model = ${tomlString(model)}`,
      `model_provider = "scripted"`,
      `approval_policy = "on-request"`,
      `sandbox_mode = "workspace-write"`,
      "check_for_update_on_startup = false",
      options.top ?? "",
      "",
      "[model_providers.scripted]",
      `name = "Scripted model server"`,
      `base_url = ${tomlString(`${options.modelUrl}/v1`)}`,
      `wire_api = "responses"`,
      `env_key = "SCRIPTED_API_KEY"`,
      "request_max_retries = 0",
      "stream_max_retries = 0",
      "",
      ...(options.daemon ? [] : ["[features]", "daemon_auto_start = false", ""]),
      "[analytics]",
      "enabled = false",
      "",
      "[feedback]",
      "enabled = false",
      "",
      "[notice.model_migrations]",
      `${tomlString(model)} = "gpt-6-sol"`,
      "",
      projects,
      options.config ?? "",
      "",
    ].join("\n"),
  );
  const env = {
    ...baseEnv(home),
    CODEX_HOME: codexHome,
    SCRIPTED_API_KEY: "scripted-key",
    ...options.env,
  };
  const overrides = Object.entries(options.overrides ?? {}).flatMap(([key, value]) => [
    "-c",
    `${key}=${value}`,
  ]);
  return {
    cli: "codex",
    command: [binary, ...overrides, ...(options.args ?? [])],
    env,
    home,
    codexHome,
    cleanup: () => {
      rmSync(home, { recursive: true, force: true });
      rmSync(codexHome, { recursive: true, force: true });
      // The daemon's folder, when Codex made it here: only if empty (another Codex may use it).
      if (!daemonFolderWas) {
        try {
          rmdirSync(CODEX_DAEMON_FOLDER);
        } catch {}
      }
    },
  };
}

export interface GeminiEnvOptions extends AgentEnvOptions {
  /** `~/.gemini/settings.json`, merged (one level deep) over the defaults here. */
  settings?: Record<string, Record<string, unknown>>;
}

/**
 * Gemini CLI: API-key auth selected, the endpoint as `GOOGLE_GEMINI_BASE_URL`, the folders
 * trusted, updates, telemetry and usage statistics off.
 */
export function geminiEnv(options: GeminiEnvOptions): AgentEnv {
  const binary = cliBinary("gemini");
  const home = makeHome("tower-gemini-home-");
  const defaults: Record<string, Record<string, unknown>> = {
    security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: true } },
    general: {
      enableAutoUpdate: false,
      enableAutoUpdateNotification: false,
      disableAutoUpdate: true,
      disableUpdateNag: true,
    },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
  };
  const settings: Record<string, Record<string, unknown>> = { ...defaults };
  for (const [key, value] of Object.entries(options.settings ?? {})) {
    settings[key] = { ...defaults[key], ...value };
  }
  writeJson(path.join(home, ".gemini", "settings.json"), settings);
  const trusted: Record<string, string> = {};
  for (const dir of options.trust) trusted[dir] = "TRUST_FOLDER";
  writeJson(path.join(home, ".gemini", "trustedFolders.json"), trusted);
  const env = {
    ...baseEnv(home),
    GEMINI_API_KEY: "scripted-key",
    GOOGLE_GEMINI_BASE_URL: options.modelUrl,
    GEMINI_CLI_TRUST_WORKSPACE: "true",
    GEMINI_TELEMETRY_ENABLED: "false",
    ...options.env,
  };
  return {
    cli: "gemini",
    command: [binary, ...(options.args ?? [])],
    env,
    home,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}
