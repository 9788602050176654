import type { AgentCommand } from "./types.js";

export const PLACEHOLDERS = ["task", "agent", "stream", "worktree"] as const;
export type PlaceholderValues = Record<(typeof PLACEHOLDERS)[number], string>;

export const PLACEHOLDER_HELP = `valid: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`;

/** `{word}`, but not `${word}`, which is left to the shell. */
const PLACEHOLDER = /(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function isKnown(name: string): name is (typeof PLACEHOLDERS)[number] {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** Names of the placeholders in `text` that are not one of PLACEHOLDERS, each once. */
export function unknownPlaceholders(text: string): string[] {
  const names = [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
  return [...new Set(names.filter((name) => !isKnown(name)))];
}

/**
 * Known placeholders written inside single or double quotes in a shell command string.
 * They are replaced by already-quoted values, so `"{task}"` would quote twice.
 */
export function quotedPlaceholders(command: string): string[] {
  const found = new Set<string>();
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote !== null) {
      const placeholder = placeholderAt(command, i);
      if (placeholder !== undefined) found.add(placeholder);
    }
    if (ch === "\\" && quote !== "'") i++;
    else if (quote === null && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === quote) quote = null;
  }
  return [...found];
}

function placeholderAt(text: string, index: number): string | undefined {
  const sticky = new RegExp(PLACEHOLDER.source, "y");
  sticky.lastIndex = index;
  const name = sticky.exec(text)?.[1];
  return name !== undefined && isKnown(name) ? name : undefined;
}

/** POSIX single-quoting: the shell reads the result back as exactly `value`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function substitute(text: string, values: PlaceholderValues, quote: boolean): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!isKnown(name)) {
      throw new Error(
        `unknown placeholder ${whole} in agent command "${text}" (${PLACEHOLDER_HELP})`,
      );
    }
    return quote ? shellQuote(values[name]) : values[name];
  });
}

/** Options of the agent CLIs that take the first prompt as their value. */
const PROMPT_FLAGS = ["-i", "--prompt-interactive", "-p", "--prompt", "--message", "--msg"];

/** A `{task}` that is a word of its own in a shell command string, with a prompt flag before it. */
const TASK_WORD = new RegExp(
  String.raw`(^|\s)(?:(?:${PROMPT_FLAGS.join("|")})\s+)?\{task\}(?=\s|$)`,
  "g",
);

/**
 * The command without the task as its own argument (and the option that carries it, like
 * `gemini -i {task}`): resuming a conversation must not send the task again as a new prompt. A
 * `{task}` inside a longer argument stays (it is not the prompt).
 */
export function withoutTask(cmd: AgentCommand): AgentCommand {
  if (typeof cmd === "string") return cmd.replace(TASK_WORD, "$1").replace(/\s+$/, "");
  return cmd.filter(
    (part, i) => part !== "{task}" && !(PROMPT_FLAGS.includes(part) && cmd[i + 1] === "{task}"),
  );
}

/**
 * Turns an agent command into something to spawn. A list is argv (no shell, values inserted
 * as they are); a string runs with `sh -c`, each placeholder replaced by its quoted value.
 */
export function substituteCommand(
  cmd: AgentCommand,
  values: PlaceholderValues,
): { file: string; args: string[] } {
  if (typeof cmd === "string") return { file: "sh", args: ["-c", substitute(cmd, values, true)] };
  const [file, ...args] = cmd.map((part) => substitute(part, values, false));
  if (file === undefined || file === "") throw new Error("agent command is empty");
  return { file, args };
}
