/** Counts in sentences for people: `1 checkpoint`, `2 checkpoints`, `0 checkpoints`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** The first five of a list for a sentence, `, ...` after them when there are more. */
export function firstFive(items: readonly string[]): string {
  return items.slice(0, 5).join(", ") + (items.length > 5 ? ", ..." : "");
}
