/**
 * The hook events Tower answers and the file-writing tools it binds, as plain lists: the part of
 * `tower hook` that every call loads (the rest loads only when no room answers; see
 * cli/hook-main.ts).
 */
export const HOOK_EVENTS = [
  "SessionStart",
  "UserPromptSubmit",
  "PreToolUse",
  "PermissionRequest",
  "PostToolUse",
  "PostToolUseFailure",
  "PermissionDenied",
  "PostToolBatch",
  "Notification",
  "Stop",
  "SessionEnd",
] as const;
/**
 * Gemini CLI's events that Tower answers (its settings' `hooks`, given in the Gemini home Tower
 * makes for the agent): before and after a tool, as Claude Code's PreToolUse and PostToolUse.
 */
export const GEMINI_HOOK_EVENTS = ["BeforeTool", "AfterTool"] as const;
/**
 * Codex's events that Tower answers under names of its own (its tool events are Claude Code's,
 * told apart by the tool's name): its SessionStart, which tells the session it begins (at its
 * first prompt) and whose payload is not Claude Code's; its PreModelRequest, before each request
 * to the model (after each tool's result: what a command typed into a shell session Codex keeps
 * open wrote, which no tool event tells of).
 */
export const CODEX_HOOK_EVENTS = ["CodexSessionStart", "CodexModelRequest"] as const;
export type HookEvent =
  | (typeof HOOK_EVENTS)[number]
  | (typeof GEMINI_HOOK_EVENTS)[number]
  | (typeof CODEX_HOOK_EVENTS)[number];

/** Every event `tower hook` answers. */
export const KNOWN_HOOK_EVENTS: readonly HookEvent[] = [
  ...HOOK_EVENTS,
  ...GEMINI_HOOK_EVENTS,
  ...CODEX_HOOK_EVENTS,
];

/** Gemini CLI's tools that write one file (`tool_input.file_path`), as Claude Code's tool. */
export const GEMINI_FILE_TOOLS: Readonly<Record<string, string>> = {
  write_file: "Write",
  replace: "Edit",
};

/** Gemini CLI's shell tool (Tower's hooks see its commands, for the snapshots before them). */
export const GEMINI_SHELL_TOOL = "run_shell_command";

/** Claude Code's tools that write one file, and the input field that names it. */
export const FILE_TOOLS: Readonly<Record<string, string>> = {
  Write: "file_path",
  Edit: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
};

/**
 * Codex's tool that writes files: a patch in its own format (`tool_input.command`), which names
 * each file it adds, updates, deletes or moves to.
 */
export const PATCH_TOOL = "apply_patch";

/**
 * Claude Code's shell tool, and Codex's as its hooks name it. A command of Codex's that runs
 * `apply_patch` (`apply_patch <<'EOF' … EOF`, possibly after `cd dir &&`) is not run: Codex
 * applies the patch itself, and the only hook event is this one's.
 */
export const SHELL_TOOL = "Bash";

export const isHookEvent = (name: string): name is HookEvent =>
  (KNOWN_HOOK_EVENTS as readonly string[]).includes(name);

/** What a hook answers: a JSON object for the CLI's stdout, and a warning to record. */
export interface HookAnswer {
  output?: Record<string, unknown>;
  /** Something went wrong but the agent was not held up (recorded in the activity log). */
  warning?: string;
  /** The room recorded the warning already (the hook only prints it). */
  recorded?: boolean;
}

/** A hook event sent to the room's endpoint: one JSON line each way. */
export interface HookRequest {
  event: HookEvent;
  payload: Record<string, unknown>;
  /** The agent's TOWER_* variables, as its hook process has them. */
  agent: { id: string; stream: string; worktree: string };
}
