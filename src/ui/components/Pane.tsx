import { Box, Text } from "ink";
import { memo } from "react";
import { useShallow } from "zustand/react/shallow";
import type { Rect } from "../layout.js";
import { useAppStore } from "../store/context.js";
import { adaptRow, type ColorMode } from "../view/color.js";
import { paneTitle } from "../view/pane.js";
import { LineView } from "./LineView.js";
import type { PaneRenderer } from "./pane-renderer.js";

/** One agent: its title bar and its live screen, rows exactly as the emulator built them. */
export function Pane({ id, rect }: { id: string; rect: Rect }) {
  const { agent, frame, selected, locks, mode, colorMode } = useAppStore(
    useShallow((s) => ({
      agent: s.agents[id],
      frame: s.frames[id],
      selected: s.selected === id,
      locks: s.locks.reduce((n, l) => (l.agent === id && !l.expired ? n + 1 : n), 0),
      mode: s.mode,
      colorMode: s.colorMode,
    })),
  );
  if (!agent) return null;
  const rows = frame?.rows ?? [];
  const height = Math.max(0, rect.height - 1);
  const blank = " ".repeat(rect.width);
  return (
    <Box flexDirection="column" width={rect.width} height={rect.height}>
      <LineView
        line={paneTitle(agent, {
          width: rect.width,
          selected,
          locks,
          insert: selected && mode === "insert",
          offset: frame?.offset ?? 0,
        })}
      />
      {Array.from({ length: height }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a screen row is identified by its position
        <Row key={i} row={rows[i] ?? blank} colorMode={colorMode} />
      ))}
    </Box>
  );
}

/**
 * One screen row. The session's row cache hands back the same string for a row that did not
 * change, so memo skips it: a frame re-renders only the rows that changed.
 */
const Row = memo(function Row({ row, colorMode }: { row: string; colorMode: ColorMode }) {
  return <Text wrap="truncate">{adaptRow(row, colorMode)}</Text>;
});

/** The default pane renderer: rows as Ink text. */
export const inkPaneRenderer: PaneRenderer = {
  name: "ink",
  render: ({ id, rect }) => <Pane key={id} id={id} rect={rect} />,
};
