import type { AgentCommand } from "../engine/plan/index.js";

/**
 * The words of a command as its shell reads them (a list is its words already): quotes, single
 * or double, and backslashes. What Tower reads of an agent's command (its CLI's options) it
 * reads from these.
 */
export function commandWords(command: AgentCommand): string[] {
  if (typeof command !== "string") return [...command];
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    const next = command[i + 1] ?? "";
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && /["\\$`]/.test(next)) {
        word += next;
        i++;
      } else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === '"') quote = c;
      else if (c === "\\" && next !== "") {
        word += next;
        i++;
      } else word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
