import { Box, Text } from "ink";
import { memo } from "react";
import { useShallow } from "zustand/react/shallow";
import type { Rect } from "../../room/layout.js";
import { useAppStore } from "../store/context.js";
import { adaptRow, type ColorMode } from "../view/color.js";
import { paneScreen, paneTitle } from "../view/pane.js";
import type { Line } from "../view/types.js";
import { LineView } from "./LineView.js";
import type { PaneRenderer } from "./pane-renderer.js";

/** The pane's title bar: agent id, stream, branch, status word, locks held, scroll position. */
function usePaneTitle(id: string, rect: Rect): Line | undefined {
  const { agent, offset, copy, selected, locks, mode } = useAppStore(
    useShallow((s) => ({
      agent: s.agents[id],
      offset: s.frames[id]?.offset ?? 0,
      copy: s.frames[id]?.copy,
      selected: s.selected === id,
      locks: s.locks.reduce((n, l) => (l.agent === id && !l.expired ? n + 1 : n), 0),
      mode: s.mode,
    })),
  );
  if (!agent) return undefined;
  return paneTitle(agent, {
    width: rect.width,
    selected,
    locks,
    insert: selected && mode === "insert",
    offset,
    copy,
  });
}

/** One agent: its title bar and its live screen, rows exactly as the emulator built them. */
export function Pane({ id, rect }: { id: string; rect: Rect }) {
  const title = usePaneTitle(id, rect);
  const { agent, frame, colorMode } = useAppStore(
    useShallow((s) => ({ agent: s.agents[id], frame: s.frames[id], colorMode: s.colorMode })),
  );
  const rows = paneScreen(agent, frame, rect.width)?.rows;
  if (!title) return null;
  const height = Math.max(0, rect.height - 1);
  const blank = " ".repeat(rect.width);
  return (
    <Box flexDirection="column" width={rect.width} height={rect.height}>
      <LineView line={title} />
      {Array.from({ length: height }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a screen row is identified by its position
        <Row key={i} row={rows?.[i] ?? blank} colorMode={colorMode} />
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

/** The title bar alone over a blank area, which the direct renderer fills (src/ui/direct-panes.ts). */
function PaneFrame({ id, rect }: { id: string; rect: Rect }) {
  const title = usePaneTitle(id, rect);
  if (!title) return null;
  return (
    <Box flexDirection="column" width={rect.width} height={rect.height}>
      <LineView line={title} />
    </Box>
  );
}

/** Rows as Ink text: every frame goes through Ink (component tests read panes from its output). */
export const inkPaneRenderer: PaneRenderer = {
  name: "ink",
  render: ({ id, rect }) => <Pane key={id} id={id} rect={rect} />,
};

/** Title bars through Ink, rows written straight to the terminal by `DirectPanes`. */
export const directPaneRenderer: PaneRenderer = {
  name: "direct",
  render: ({ id, rect }) => <PaneFrame key={id} id={id} rect={rect} />,
};
