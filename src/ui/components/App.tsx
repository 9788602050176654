/**
 * The control room: header, streams sidebar, pane grid, bottom panel with tabs, footer; the help
 * screen and dialogs over them. Components select narrowly and render; they do no I/O.
 */
import { Box, Text } from "ink";
import { useMemo } from "react";
import { useShallow } from "zustand/react/shallow";
import { borders, type GridArea, pageOf, type Rect, visiblePanes } from "../../room/layout.js";
import { keyContext, selectKeyState } from "../input/context.js";
import type { KeyCommand } from "../keys/table.js";
import { clientLayout } from "../layout.js";
import { useAppStore } from "../store/context.js";
import { footerLine, searchLine } from "../view/footer.js";
import { headerLine } from "../view/header.js";
import { type AgentView, projectViewOf } from "../view/model.js";
import { problemLines, tabBar, tabLines, visibleRows } from "../view/panel.js";
import { sidebarLines } from "../view/sidebar.js";
import { DiffScreen } from "./DiffView.js";
import { HelpScreen } from "./HelpScreen.js";
import { LineView } from "./LineView.js";
import { ModalView } from "./ModalView.js";
import { inkPaneRenderer } from "./Pane.js";
import type { PaneRenderer } from "./pane-renderer.js";

const NONE: never[] = [];

/** The agents in pane order (a new array only when the agents or their order change). */
function useOrderedAgents(): AgentView[] {
  const { agents, order } = useAppStore(
    useShallow((s) => ({ agents: s.agents, order: s.agentOrder })),
  );
  return useMemo(() => order.flatMap((id) => (agents[id] ? [agents[id]] : [])), [agents, order]);
}

function Header({ width }: { width: number }) {
  const agents = useOrderedAgents();
  const s = useAppStore(
    useShallow((s) => ({
      status: s.status,
      locks: s.locks,
      conflicts: s.conflicts,
      checkpoints: s.checkpoints,
    })),
  );
  const page = useAppStore(
    useShallow((s) => {
      const { grid } = clientLayout(s);
      return pageOf(s.agentOrder, s.selected, grid, s.zoomed);
    }),
  );
  return (
    <LineView
      line={headerLine(
        { ...s, agents, tasks: NONE, activity: NONE, handoffs: NONE, snapshots: NONE },
        width,
        page,
      )}
    />
  );
}

function Sidebar({ rect }: { rect: Rect }) {
  const agents = useOrderedAgents();
  const s = useAppStore(
    useShallow((s) => ({ status: s.status, checkpoints: s.checkpoints, selected: s.selected })),
  );
  const view = {
    status: s.status,
    agents,
    checkpoints: s.checkpoints,
    locks: NONE,
    conflicts: NONE,
    tasks: NONE,
    activity: NONE,
    handoffs: NONE,
    snapshots: NONE,
  };
  const lines = sidebarLines(view, rect.width - 1, s.selected).slice(0, rect.height);
  return (
    <Box
      flexDirection="column"
      width={rect.width}
      height={rect.height}
      borderStyle="single"
      borderTop={false}
      borderBottom={false}
      borderLeft={false}
    >
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows by position
        <LineView key={i} line={line} />
      ))}
    </Box>
  );
}

function Grid({ rect, renderer }: { rect: GridArea; renderer: PaneRenderer }) {
  const { order, selected, zoomed, problem } = useAppStore(
    useShallow((s) => ({
      order: s.agentOrder,
      selected: s.selected,
      zoomed: s.zoomed,
      problem: s.problem,
    })),
  );
  if (order.length === 0) {
    return (
      <Box
        width={rect.width}
        height={rect.height}
        flexDirection="column"
        paddingLeft={2}
        paddingTop={1}
      >
        <Text>No agent is running.</Text>
        <Text dimColor>
          Press s to start a stream whose dependencies are done; its agents appear here side by
          side.
        </Text>
        {problem ? <Text color="red">{problem}</Text> : null}
      </Box>
    );
  }
  const panes = visiblePanes(order, selected, rect, zoomed);
  const between = borders(panes);
  // Rows of panes: group by y so that Ink's flex layout puts them where paneRects says, with
  // the border column after each pane that has a neighbour on its right.
  const rows = [...new Set(panes.map((p) => p.rect.y))].map((y) =>
    panes.filter((p) => p.rect.y === y),
  );
  return (
    <Box flexDirection="column" width={rect.width} height={rect.height}>
      {rows.map((row) => (
        <Box key={row[0]?.rect.y} flexDirection="row" height={row[0]?.rect.height}>
          {row.flatMap((p) => {
            const border = between.find((b) => b.left === p.id);
            const pane = renderer.render({ id: p.id, rect: p.rect });
            if (!border) return [pane];
            const lit = border.left === selected || border.right === selected;
            return [pane, <BorderColumn key={`${p.id}|`} rect={border.rect} lit={lit} />];
          })}
        </Box>
      ))}
    </Box>
  );
}

/** The line between two panes side by side: the accent colour beside the selected pane. */
function BorderColumn({ rect, lit }: { rect: Rect; lit: boolean }) {
  const noColor = useAppStore((s) => s.colorMode === "none");
  const style = lit ? (noColor ? { bold: true } : { color: "cyan" }) : { dimColor: true };
  return (
    <Box width={rect.width} height={rect.height}>
      <Text {...style}>{Array.from({ length: rect.height }, () => "│").join("\n")}</Text>
    </Box>
  );
}

function Panel({ rect }: { rect: Rect }) {
  const selected = useAppStore(
    useShallow((s) => ({
      ...projectViewOf(s, NONE),
      tab: s.tab,
      tabRow: s.tabRow,
      problem: s.problem,
      // The Locks tab says which holders have exited (agents change status seldom; frames
      // are elsewhere in the store).
      holders: s.tab === "locks" ? s.agents : undefined,
    })),
  );
  const view = { ...selected, agents: selected.holders ? Object.values(selected.holders) : NONE };
  // A problem with the plan or a state file comes first: the data below it may be out of date.
  const problem = view.problem ? problemLines(view.problem, rect.width) : [];
  const room = Math.max(0, rect.height - 1 - problem.length);
  const body = [
    ...problem,
    ...visibleRows(tabLines(view, view.tab, rect.width, view.tabRow), view.tabRow, room),
  ].slice(0, Math.max(0, rect.height - 1));
  return (
    <Box flexDirection="column" width={rect.width} height={rect.height}>
      <LineView line={tabBar(view, view.tab, rect.width)} />
      {body.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows by position
        <LineView key={i} line={line} />
      ))}
    </Box>
  );
}

function Footer({ width, table }: { width: number; table: readonly KeyCommand[] }) {
  const context = keyContext(useAppStore(useShallow(selectKeyState)));
  const flash = useAppStore((s) => s.flash);
  const search = useAppStore((s) => (s.mode === "copy" ? s.copySearch : undefined));
  if (search) return <LineView line={searchLine(search, width)} />;
  const text = flash && flash.until > Date.now() ? flash.text : undefined;
  return <LineView line={footerLine(table, context, width, text)} />;
}

export function App({
  table,
  paneRenderer = inkPaneRenderer,
}: {
  table: readonly KeyCommand[];
  paneRenderer?: PaneRenderer;
}) {
  const { size, zoomed, panelRows, helpOpen, helpPage, modal, review } = useAppStore(
    useShallow((s) => ({
      size: s.size,
      zoomed: s.zoomed,
      panelRows: s.panelRows,
      helpOpen: s.helpOpen,
      helpPage: s.helpPage,
      modal: s.modal,
      review: s.review !== undefined,
    })),
  );
  const layout = clientLayout({ size, zoomed, panelRows });
  const middle = {
    x: layout.grid.x,
    y: layout.grid.y,
    width: size.cols,
    height: layout.grid.height,
  };
  return (
    <Box flexDirection="column" width={size.cols} height={size.rows}>
      <Header width={size.cols} />
      {helpOpen ? (
        <HelpScreen table={table} width={size.cols} height={size.rows - 2} page={helpPage} />
      ) : modal ? (
        <ModalView modal={modal} width={size.cols} height={size.rows - 2} table={table} />
      ) : review ? (
        <DiffScreen width={size.cols} height={size.rows - 2} />
      ) : (
        <>
          <Box flexDirection="row" width={middle.width} height={middle.height}>
            {layout.sidebar ? <Sidebar rect={layout.sidebar} /> : null}
            <Grid rect={{ ...layout.grid, x: 0, y: 0 }} renderer={paneRenderer} />
          </Box>
          {layout.panel.height > 0 ? <Panel rect={layout.panel} /> : null}
        </>
      )}
      <Footer width={size.cols} table={table} />
    </Box>
  );
}
