import { Box, Text } from "ink";
import type { KeyCommand } from "../keys/table.js";
import { helpPages } from "../view/help.js";

/** The help screen: a title line with the page, then the page's columns. */
export function HelpScreen({
  table,
  width,
  height,
  page,
}: {
  table: readonly KeyCommand[];
  width: number;
  height: number;
  page: number;
}) {
  const pages = helpPages(table, width, height - 1);
  const shown = Math.min(Math.max(0, page), pages.length - 1);
  const columns = pages[shown] ?? [];
  const title =
    pages.length > 1
      ? `Keys: page ${shown + 1} of ${pages.length} (j or space: next, k: back; Esc or ? closes)`
      : "Keys (Esc or ? closes)";
  const columnWidth = Math.floor(width / Math.max(1, Math.floor(width / 38)));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {title}
      </Text>
      <Box flexDirection="row" width={width} height={height - 1}>
        {columns.map((lines, c) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: columns by position
          <Box key={c} flexDirection="column" width={columnWidth}>
            {lines.map((l, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows by position
              <Text key={i} bold={l.bold} wrap="truncate">
                {l.text || " "}
              </Text>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
