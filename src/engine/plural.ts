/** Counts in sentences for people: `1 checkpoint`, `2 checkpoints`, `0 checkpoints`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
