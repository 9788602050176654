import { Box, Text } from "ink";
import { byCategory } from "../keys/docs.js";
import { displayKey, type KeyCommand } from "../keys/table.js";

/** Every command of the key table, by category (generated from it, like docs/keybindings.md). */
export function HelpScreen({
  table,
  width,
  height,
}: {
  table: readonly KeyCommand[];
  width: number;
  height: number;
}) {
  const lines: { text: string; bold?: boolean }[] = [
    { text: "Keys (Esc or ? closes)", bold: true },
  ];
  for (const [category, commands] of byCategory(table)) {
    lines.push({ text: "" }, { text: category, bold: true });
    for (const c of commands) {
      const keys = c.keys.map(displayKey).join(" ");
      lines.push({
        text: `  ${keys.padEnd(14)} ${c.description}${c.mode === "insert" ? " (insert mode)" : c.mode === "diff" ? " (in the diff)" : ""}`,
      });
    }
  }
  // As many columns as the lines need (each at least 38 wide); each column clipped to the height,
  // since content taller than its box would push the first rows off the frame.
  const columns = Math.max(
    1,
    Math.min(Math.ceil(lines.length / Math.max(1, height)), Math.floor(width / 38)),
  );
  const perColumn = Math.max(1, Math.min(height, Math.ceil(lines.length / columns)));
  return (
    <Box flexDirection="row" width={width} height={height}>
      {Array.from({ length: columns }, (_, c) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: columns by position
        <Box key={c} flexDirection="column" width={Math.floor(width / columns)}>
          {lines.slice(c * perColumn, (c + 1) * perColumn).map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows by position
            <Text key={i} bold={l.bold} wrap="truncate">
              {l.text || " "}
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}
