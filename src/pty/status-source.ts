/**
 * What told an agent's status: the agent itself (its hooks, Codex's OSC 7501, its window title),
 * or Tower's guess from the screen (a prompt or a busy line), its output's timing, a bell or
 * notification, its exit. No imports: the control room's view reads it too.
 */
export type StatusSource =
  | "hook"
  | "osc"
  | "title"
  | "screen"
  | "output"
  | "bell"
  | "exit"
  | "start";

const AGENTS_WORD: ReadonlySet<string> = new Set<StatusSource>(["hook", "osc", "title"]);

/** Whether the status came from the agent's own word; the other sources are Tower's guesses. */
export function isAgentsWord(source: string | undefined): boolean {
  return source !== undefined && AGENTS_WORD.has(source);
}
