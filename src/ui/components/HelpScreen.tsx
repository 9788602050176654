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
  // As many columns as the lines need (each at least 38 wide); each column clipped to the height,
  // since content taller than its box would push the first rows off the frame.
  const maxColumns = Math.max(1, Math.floor(width / 38));
  for (const [category, commands] of byCategory(table)) {
    lines.push({ text: "" }, { text: category, bold: true });
    for (const c of commands) {
      if (c.mode === "copy") continue;
      const keys = c.keys.map(displayKey).join(" ");
      lines.push({
        text: `  ${keys.padEnd(14)} ${c.description}${c.mode === "insert" ? " (insert mode)" : c.mode === "diff" ? " (in the diff)" : ""}`,
      });
    }
    // Copy mode's own keys, a word each: they are many and speak for themselves.
    const copyKeys = commands
      .filter((c) => c.mode === "copy")
      .map((c) => `${c.keys.map(displayKey).join("/")} ${c.short ?? c.description}`);
    if (copyKeys.length > 0) {
      const columnWidth = Math.floor(width / maxColumns) - 4;
      const [first = "", ...rest] = copyKeys;
      for (const text of wrapItems([`in copy mode: ${first}`, ...rest], columnWidth)) {
        lines.push({ text: `  ${text}` });
      }
    }
  }
  const columns = Math.max(1, Math.min(Math.ceil(lines.length / Math.max(1, height)), maxColumns));
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

/** Items joined with " · " into lines of at most `width` characters (an item is never split). */
function wrapItems(items: readonly string[], width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const item of items) {
    const next = line === "" ? item : `${line} · ${item}`;
    if (line !== "" && next.length > width) {
      out.push(line);
      line = item;
    } else line = next;
  }
  if (line !== "") out.push(line);
  return out;
}
