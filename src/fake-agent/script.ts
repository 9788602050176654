/**
 * The fake agent's script: one command per line (or a JSON array of such lines).
 *
 *   # a comment; blank lines are ignored
 *   banner                 the coloured welcome banner
 *   say <text>             print a line
 *   work <ms> [label]      a spinner "✻ <label>… (Ns · esc to interrupt)" for <ms>; Esc stops it
 *   sleep <ms>             say nothing for <ms>
 *   edit <file> <text>     append the line <text> to <file> in the working directory
 *   commit <message>       git add -A and git commit in the working directory
 *   lock <path>...         tower lock <path>... (the built CLI next to the fake agent)
 *   unlock <path>...       tower unlock <path>...
 *   tower <args>...        any other tower command, e.g. `tower complete {stream}` or
 *                          `tower handoff --from {agent} --to E1` (arguments split on spaces)
 *   ask <question>         "<question>" with "❯ 1. Yes" / "2. No", waiting for the answer
 *                          (1, y or Enter: yes; 2, n or Esc: no; arrows move). A "no" skips
 *                          the next command.
 *   echo [count]           read lines at a "> " prompt and echo each ("You said: ..."), count
 *                          lines (default: until end of input, Ctrl-D)
 *   bell                   ring the bell (BEL)
 *   notify <text>          a desktop notification (OSC 9)
 *   title <text>           set the terminal title
 *   exit <code>            exit with <code>
 *
 * In <text>, `{agent}`, `{stream}`, `{task}`, `{worktree}` and `{state_dir}` are replaced by the
 * values of TOWER_AGENT_ID, TOWER_STREAM, TOWER_TASK, TOWER_WORKTREE and TOWER_STATE_DIR.
 * A script that ends without `exit` exits with 0.
 */

export type Step =
  | { kind: "banner" }
  | { kind: "say"; text: string }
  | { kind: "work"; ms: number; label: string }
  | { kind: "sleep"; ms: number }
  | { kind: "edit"; file: string; text: string }
  | { kind: "commit"; message: string }
  | { kind: "lock" | "unlock"; paths: string[] }
  | { kind: "tower"; args: string[] }
  | { kind: "ask"; question: string }
  | { kind: "echo"; count: number | undefined }
  | { kind: "bell" }
  | { kind: "notify"; text: string }
  | { kind: "title"; text: string }
  | { kind: "exit"; code: number };

export class ScriptError extends Error {
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = "ScriptError";
  }
}

function splitFirst(text: string): [string, string] {
  const trimmed = text.trim();
  const at = trimmed.search(/\s/);
  return at < 0 ? [trimmed, ""] : [trimmed.slice(0, at), trimmed.slice(at).trim()];
}

function nonNegativeInt(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`${what} must be a whole number, got "${value}"`);
  return Number(value);
}

/** Parses one command line (without comments); undefined for a blank line. */
export function parseStep(line: string): Step | undefined {
  const [command, rest] = splitFirst(line);
  if (command === "" || command.startsWith("#")) return undefined;
  const need = (what: string) => {
    if (rest === "") throw new Error(`${command} needs ${what}`);
    return rest;
  };
  switch (command) {
    case "banner":
    case "bell":
      return { kind: command };
    case "say":
      return { kind: "say", text: rest };
    case "work": {
      const [ms, label] = splitFirst(need("a duration in ms"));
      return { kind: "work", ms: nonNegativeInt(ms, "work duration"), label: label || "Working" };
    }
    case "sleep":
      return { kind: "sleep", ms: nonNegativeInt(need("a duration in ms"), "sleep duration") };
    case "edit": {
      const [file, text] = splitFirst(need("a file and a line of text"));
      return { kind: "edit", file, text };
    }
    case "commit":
      return { kind: "commit", message: need("a message") };
    case "lock":
    case "unlock":
      return { kind: command, paths: need("a path").split(/\s+/) };
    case "tower":
      return { kind: "tower", args: need("a tower command").split(/\s+/) };
    case "ask":
      return { kind: "ask", question: need("a question") };
    case "echo":
      return { kind: "echo", count: rest === "" ? undefined : nonNegativeInt(rest, "echo count") };
    case "notify":
      return { kind: "notify", text: need("a text") };
    case "title":
      return { kind: "title", text: rest };
    case "exit": {
      const code = nonNegativeInt(need("an exit code"), "exit code");
      if (code > 255) throw new Error("exit code must be 0..255");
      return { kind: "exit", code };
    }
    default:
      throw new Error(`unknown command "${command}"`);
  }
}

/** Parses a script: lines of commands, or a JSON array of such lines. */
export function parseScript(text: string): Step[] {
  const trimmed = text.trim();
  let lines: string[];
  if (trimmed.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new ScriptError(`not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
      throw new ScriptError("a JSON script is an array of command strings");
    }
    lines = parsed;
  } else {
    lines = text.split(/\r?\n/);
  }
  const steps: Step[] = [];
  for (const [index, line] of lines.entries()) {
    try {
      const step = parseStep(line);
      if (step !== undefined) steps.push(step);
    } catch (error) {
      throw new ScriptError((error as Error).message, index + 1);
    }
  }
  return steps;
}

/** What the fake agent does when given no script: a short session in the style of an AI CLI. */
export const DEFAULT_SCRIPT = `banner
say I'll work on: {task}
work 1500 Reading the codebase
lock notes/
edit notes/{agent}.md Notes by {agent}: {task}
say ⏺ Plan: add notes, then commit.
ask Do you want to proceed?
commit {agent}: notes for {task}
unlock notes/
work 1000 Wrapping up
say ⏺ Done. Anything else?
echo
`;

/** `{agent}` etc. replaced by the TOWER_* environment. */
export function expand(text: string, env: NodeJS.ProcessEnv): string {
  const values: Record<string, string | undefined> = {
    agent: env.TOWER_AGENT_ID,
    stream: env.TOWER_STREAM,
    task: env.TOWER_TASK,
    worktree: env.TOWER_WORKTREE,
    state_dir: env.TOWER_STATE_DIR,
  };
  return text.replace(/\{(agent|stream|task|worktree|state_dir)\}/g, (_m, key: string) => {
    return values[key] ?? "";
  });
}
