/**
 * What Tower knows about each kind of agent: the command, how its screen looks while it works
 * and while it waits for the human, which keys approve or deny what it asks, and how to resume
 * its previous conversation.
 *
 * The patterns describe the CLIs' terminal UIs as documented by their projects and as they look
 * in use (versions current in 2025-2026); they are heuristics, matched against the last lines of
 * the screen only, and easy to extend here when a CLI changes its wording:
 *
 * - Claude Code (`claude`, docs.anthropic.com/en/docs/claude-code): while working it shows a
 *   spinner line ending in "(… esc to interrupt)"; a tool permission request is a numbered menu,
 *   "Do you want to proceed?" (or "Do you want to make this edit to …?", "… create …?") with
 *   "❯ 1. Yes", "2. Yes, and don't ask again …", "3. No, and tell Claude what to do differently
 *   (esc)". A digit picks its option, Esc denies. `claude --continue` resumes the most recent
 *   conversation in the directory.
 * - Codex CLI (`codex`, github.com/openai/codex): "Working (… esc to interrupt)" while busy; an
 *   approval asks "Would you like to run the following command?" / "… make the following edits?"
 *   / "Allow command?" with "Yes, proceed (y)" and "No, and tell Codex what to do differently
 *   (esc)". `y` approves, Esc denies. `codex resume --last` resumes the last session.
 * - Aider (`aider`, aider.chat/docs): asks on its prompt line, e.g. "Add file to the chat?
 *   (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]:" or "Run shell command? (Y)es/(N)o
 *   [Yes]:"; `y` or `n` then Enter answers. `--restore-chat-history` reloads the previous chat.
 *   While the model answers it shows a "Waiting for <model>" spinner.
 * - Gemini CLI (`gemini`, github.com/google-gemini/gemini-cli): busy lines end with
 *   "(esc to cancel, 12s)"; confirmations read "Allow execution of …?", "Apply this change?" or
 *   "Do you want to proceed?" with a radio list whose first entry ("1. Yes, allow once" /
 *   "Allow once") is selected, so Enter approves and Esc cancels. `--resume` (`-r`) resumes the
 *   latest session of the project (assumption: current releases; older ones had only `/chat
 *   resume` inside the UI).
 * - `shell`: any other command. Only generic yes/no prompts ("[y/N]", "(yes/no)") count as
 *   waiting; `y`/`n` plus Enter answer them; there is nothing to resume.
 *
 * Tower's fake agent (`tower-fake-agent`) imitates Claude Code's screens and so uses its preset.
 */
import path from "node:path";
import type { AgentCommand, Preset } from "../engine/plan/index.js";
import { shellQuote } from "../engine/plan/index.js";

export type { Preset } from "../engine/plan/index.js";

export interface PresetSpec {
  name: Preset;
  /**
   * The command line to start this kind of agent on a task, with the plan's `{task}` placeholder
   * (substituted by the session like any plan command).
   */
  command: string[];
  /**
   * The program asks the human something when any entry matches the last lines of the screen:
   * a pattern, or a list of patterns that must all match (each on some line).
   */
  waiting: readonly (RegExp | readonly RegExp[])[];
  /** Any of these on the last lines: the program is working even when its output pauses. */
  busy: readonly RegExp[];
  /** Named keys (see keys.ts `encodeKey`) that answer yes to a waiting prompt. */
  approveKeys: readonly string[];
  /** Named keys that answer no. */
  denyKeys: readonly string[];
  /** Arguments appended to the command to resume the previous conversation; [] when none. */
  resumeArgs: readonly string[];
  /** The status the CLI's window title (OSC 0/2) announces, when it announces one. */
  title?: (title: string) => AnnouncedStatus | undefined;
}

/** A status an agent can announce (by its hooks, its window title, OSC 7501). */
export type AnnouncedStatus = "running" | "idle" | "waiting";

/** A braille spinner frame at the start of a title: the CLI is at work. */
const SPINNER = /^[\u2801-\u28ff]/;

/** Lines at the bottom of the screen (blank ones skipped) that the patterns are matched on. */
export const STATUS_LINES = 15;

/** The start of a menu line: blanks and the left border of a box the menu may be drawn in. */
const MENU_LINE = String.raw`^[\s│┃║|]*`;

/** A yes/no question waiting at the end of its line (once answered, the answer follows it). */
const YES_NO_PROMPT = /(?:\[(?:y\/n|Y\/n|y\/N)\]|\((?:yes\/no|y\/n)\))\s*[?:]?\s*$/;

export const PRESET_SPECS: Readonly<Record<Preset, PresetSpec>> = {
  claude: {
    name: "claude",
    // `claude "<prompt>"` starts an interactive session with that first prompt.
    command: ["claude", "{task}"],
    waiting: [
      [
        /Do you want to (?:proceed|make this edit|create|allow|run|overwrite)\b.*\?/,
        new RegExp(String.raw`${MENU_LINE}(?:[❯>›]\s*)?1\.\s+Yes\b`),
      ],
    ],
    busy: [/esc to interrupt/i],
    approveKeys: ["1"],
    denyKeys: ["esc"],
    resumeArgs: ["--continue"],
    // A braille spinner while it works; ✳ when idle or asking (the screen tells which).
    title: (title) =>
      SPINNER.test(title) ? "running" : title.startsWith("✳") ? "idle" : undefined,
  },
  codex: {
    name: "codex",
    // `codex "<prompt>"` starts the interactive UI with that first prompt.
    command: ["codex", "{task}"],
    waiting: [
      /Would you like to (?:run the following command|make the following edits|grant)\b/i,
      /Allow command\?/,
      /Yes, proceed \(y\)/,
    ],
    busy: [/esc to interrupt/i],
    approveKeys: ["y"],
    denyKeys: ["esc"],
    resumeArgs: ["resume", "--last"],
    // "[ ! ] Action Required | …" (blinking with "[ . ]") while it asks, a spinner while it works.
    title: (title) =>
      /^\[ [!.] \] Action Required/.test(title)
        ? "waiting"
        : SPINNER.test(title)
          ? "running"
          : undefined,
  },
  aider: {
    name: "aider",
    // aider has no "first prompt, then stay interactive" flag (`--message` answers and exits):
    // it starts at its prompt and the task is typed or pasted there.
    command: ["aider"],
    waiting: [/\(Y\)es\/\(N\)o/],
    busy: [/Waiting for \S+/],
    approveKeys: ["y", "enter"],
    denyKeys: ["n", "enter"],
    resumeArgs: ["--restore-chat-history"],
  },
  gemini: {
    name: "gemini",
    // `-i`/`--prompt-interactive` runs the prompt and stays interactive.
    command: ["gemini", "--prompt-interactive", "{task}"],
    waiting: [
      /Allow execution\b.*\?/,
      /Apply this change\?/,
      /Do you want to proceed\?/,
      new RegExp(String.raw`${MENU_LINE}(?:[●❯>›]\s*)?1\.\s+(?:Yes, allow once|Allow once)\b`),
    ],
    busy: [/esc to cancel/i],
    // "● 1. Allow once" is selected: 1 (or Enter) allows once (seen with Gemini CLI 0.61).
    approveKeys: ["1"],
    denyKeys: ["esc"],
    resumeArgs: ["--resume"],
    title: (title) =>
      title.startsWith("✋")
        ? "waiting"
        : title.startsWith("✦")
          ? "running"
          : title.startsWith("◇")
            ? "idle"
            : undefined,
  },
  shell: {
    name: "shell",
    command: [process.env.SHELL || "sh"],
    waiting: [YES_NO_PROMPT],
    busy: [],
    approveKeys: ["y", "enter"],
    denyKeys: ["n", "enter"],
    resumeArgs: [],
  },
};

/** Program names (basename of argv[0]) that select a preset other than `shell`. */
const BY_PROGRAM: Readonly<Record<string, Preset>> = {
  claude: "claude",
  "claude-code": "claude",
  codex: "codex",
  aider: "aider",
  gemini: "gemini",
  "tower-fake-agent": "claude",
};

/** The words of a shell command string, without leading `VAR=value` assignments, `exec`, `env`. */
function words(command: string): string[] {
  const all = command
    .trim()
    .split(/\s+/)
    .map((word) => word.replace(/^['"]|['"]$/g, ""));
  const first = all.findIndex(
    (word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) && word !== "exec" && word !== "env",
  );
  return first < 0 ? [] : all.slice(first);
}

/** `node .../fake-agent/main.js`: the fake agent run by Node directly. */
function isFakeAgentScript(file: string | undefined): boolean {
  return file !== undefined && /fake-agent[/\\]main\.[jt]s$/.test(file);
}

/**
 * The preset for an agent: the plan's explicit `preset`, else the one named by the command's
 * program (basename of argv[0], or the first word of a string command), else `shell`.
 */
export function inferPreset(command: AgentCommand, explicit?: Preset): Preset {
  if (explicit !== undefined) return explicit;
  const argv = typeof command === "string" ? words(command) : command;
  const program = argv[0];
  if (program === undefined || program === "") return "shell";
  const name = path.basename(program);
  if ((name === "node" || name === "tsx") && isFakeAgentScript(argv[1])) return "claude";
  return BY_PROGRAM[name] ?? "shell";
}

export function presetSpec(preset: Preset): PresetSpec {
  return PRESET_SPECS[preset];
}

/**
 * The command with the preset's resume arguments appended (unchanged for `shell`). A string
 * command gets them shell-quoted at its end; a list gets them as extra argv entries.
 */
export function withResume(command: AgentCommand, preset: Preset): AgentCommand {
  const args = PRESET_SPECS[preset].resumeArgs;
  if (args.length === 0) return command;
  if (typeof command === "string") return `${command} ${args.map(shellQuote).join(" ")}`;
  return [...command, ...args];
}
