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

/** Shells whose `-c` takes a script (as the first word of a list command, or after `env`). */
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish"]);

const basename = (file: string) => file.slice(file.lastIndexOf("/") + 1);

/**
 * Where the script is in a list command that runs a shell with `-c` (`[sh, -c, "echo {task}"]`,
 * `[bash, -ec, ...]`, `[/usr/bin/env, sh, -c, ...]`), or undefined for any other list. That
 * element is shell code, not an argument: a value put in it as it is would run as code, so it
 * gets the string form's treatment (values shell-quoted, no placeholder inside quotes).
 */
export function shellScriptIndex(argv: readonly string[]): number | undefined {
  let i = 0;
  if (basename(argv[0] ?? "") === "env") {
    i = 1;
    while (i < argv.length && /^(-|[A-Za-z_][A-Za-z0-9_]*=)/.test(argv[i] as string)) i++;
  }
  if (!SHELLS.has(basename(argv[i] ?? ""))) return undefined;
  for (let j = i + 1; j < argv.length; j++) {
    const arg = argv[j] as string;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(arg)) return j + 1 < argv.length ? j + 1 : undefined;
    // The first operand that is not an option is a script file: no -c script follows.
    if (!arg.startsWith("-") && !arg.startsWith("+")) return undefined;
    if (arg === "-o" || arg === "+o") j++;
  }
  return undefined;
}

/** The error for a placeholder inside quotes in shell code (see quotedPlaceholders). */
export function quotedPlaceholderMessage(name: string): string {
  return `placeholder {${name}} is inside quotes in agent command: it is replaced by an already shell-quoted value, and inside quotes that quoting is undone (a task holding $(...) or a quote would run as code), so write {${name}} without quotes`;
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

/** Shell code with each placeholder replaced by its quoted value; refused with one inside quotes. */
function substituteScript(script: string, values: PlaceholderValues): string {
  const quoted = quotedPlaceholders(script);
  if (quoted.length > 0) throw new Error(quotedPlaceholderMessage(quoted[0] as string));
  return substitute(script, values, true);
}

/**
 * Turns an agent command into something to spawn. A list is argv (no shell, values inserted
 * as they are), except a shell's `-c` script in it (shellScriptIndex), which is shell code; a
 * string runs with `sh -c`. In shell code each placeholder is replaced by its quoted value, and
 * one inside quotes is refused (it would let the value run as code).
 */
export function substituteCommand(
  cmd: AgentCommand,
  values: PlaceholderValues,
): { file: string; args: string[] } {
  if (typeof cmd === "string") return { file: "sh", args: ["-c", substituteScript(cmd, values)] };
  const script = shellScriptIndex(cmd);
  const [file, ...args] = cmd.map((part, i) =>
    i === script ? substituteScript(part, values) : substitute(part, values, false),
  );
  if (file === undefined || file === "") throw new Error("agent command is empty");
  return { file, args };
}
