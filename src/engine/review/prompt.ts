import type { ReviewComment } from "./comments.js";

/**
 * The prompt that gives a stream's agent the review's comments: for each, where it is (the file
 * and the line's number in the new file, or in the old one for a removed line), the code line
 * quoted, and the comment.
 */
export function reviewPrompt(
  stream: string,
  base: string,
  comments: readonly ReviewComment[],
): string {
  const items = comments.map((c, i) => {
    const where =
      c.side === "new"
        ? `${c.file}, line ${c.line}`
        : `${c.file}, removed line (line ${c.line} of the old file)`;
    return [
      `${i + 1}. ${where}:`,
      `   > ${c.code}`,
      ...c.text.split("\n").map((t) => `   ${t}`),
    ].join("\n");
  });
  const count = `${comments.length} comment${comments.length === 1 ? "" : "s"}`;
  return [
    `Review of your work on stream ${stream} (the diff against ${base}): ${count}. Please address each one.`,
    "",
    items.join("\n\n"),
  ].join("\n");
}
