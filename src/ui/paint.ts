/**
 * The control room's first frame without Ink: what the App (components/App.tsx) and the direct
 * pane renderer draw, built from the same view functions and written as one string.
 *
 * Why: `tower attach` shows a running room, and the first complete frame is what a user waits
 * for. Loading Ink and React takes a few hundred milliseconds; this module and the view code it
 * needs are a small part of that. `tower attach` paints the room's snapshot with it as soon as
 * the snapshot arrives, while Ink loads; Ink's first frame then draws over the same picture,
 * and everything after is Ink's and the direct renderer's as usual.
 *
 * Only the normal view: help, dialogs, the review and the messages are Ink's (none of them is
 * open when a client attaches).
 */
import { borders, type GridArea, pageOf, type Rect, visiblePanes } from "../room/layout.js";
import { fitRow } from "./direct-panes.js";
import { keyContext, selectKeyState } from "./input/context.js";
import type { KeyCommand } from "./keys/table.js";
import { clientLayout } from "./layout.js";
import type { AppState } from "./store/slices.js";
import { adaptRow, type ColorMode } from "./view/color.js";
import { footerLine } from "./view/footer.js";
import { headerLine } from "./view/header.js";
import { type AgentView, projectViewOf } from "./view/model.js";
import { paneScreen, paneTitle } from "./view/pane.js";
import { problemLines, tabBar, tabLines, visibleRows } from "./view/panel.js";
import { sidebarLines } from "./view/sidebar.js";
import { fitLine, type Line, type Tone } from "./view/types.js";

/** The SGR parameters of each tone, as LineView's Ink props give them: colour, then attributes. */
const TONE_SGR: Record<Tone, { color?: string; attrs?: string }> = {
  plain: {},
  muted: { attrs: "2" },
  accent: { color: "36" },
  ok: { color: "32" },
  warn: { color: "33" },
  error: { color: "31" },
  title: { attrs: "1" },
  selected: { attrs: "7" },
  accentStrong: { color: "36", attrs: "1" },
  okStrong: { color: "32", attrs: "7" },
  errorStrong: { color: "31", attrs: "7" },
};

const RESET = "\x1b[0m";

/** A line of segments as terminal text, exactly `width` columns wide. */
export function lineAnsi(line: Line, width: number, colorMode: ColorMode): string {
  let out = "";
  let used = 0;
  for (const segment of fitLine(line, width)) {
    const { color, attrs } = TONE_SGR[segment.tone ?? "plain"];
    const params = [colorMode === "none" ? undefined : color, attrs].filter(Boolean).join(";");
    out += params ? `\x1b[${params}m${segment.text}${RESET}` : segment.text;
    used += segment.text.length;
  }
  return used < width ? out + " ".repeat(width - used) : out;
}

const plainLine = (text: string, width: number): string => lineAnsi([{ text }], width, "none");

/** The agents in pane order. */
function orderedAgents(s: AppState): AgentView[] {
  return s.agentOrder.flatMap((id) => (s.agents[id] ? [s.agents[id]] : []));
}

/**
 * The whole screen for `s` (its size, its agents' frames), one string of rows placed with
 * absolute cursor moves, the cursor left at the top-left corner (where Ink starts its frame).
 */
export function paintScreen(s: AppState, table: readonly KeyCommand[]): string {
  const { cols, rows } = s.size;
  const layout = clientLayout(s);
  const agents = orderedAgents(s);
  const screen: string[] = Array.from({ length: rows }, () => " ".repeat(cols));
  const none: never[] = [];
  const view = projectViewOf(s, agents);
  const page = pageOf(s.agentOrder, s.selected, layout.grid, s.zoomed);
  screen[0] = lineAnsi(
    headerLine({ ...view, tasks: none, activity: none, handoffs: none }, cols, page),
    cols,
    s.colorMode,
  );

  // The middle: the sidebar (its right edge a line), then the grid.
  const middle: string[][] = Array.from({ length: layout.grid.height }, () => []);
  if (layout.sidebar) {
    const width = layout.sidebar.width;
    const lines = sidebarLines(view, width - 1, s.selected).slice(0, layout.sidebar.height);
    for (let y = 0; y < layout.sidebar.height; y++) {
      const line = lines[y];
      middle[y]?.push(`${line ? lineAnsi(line, width - 1, s.colorMode) : " ".repeat(width - 1)}│`);
    }
  }
  const gridRows = paintGrid(s, { ...layout.grid, x: 0, y: 0 }, agents);
  for (let y = 0; y < layout.grid.height; y++) middle[y]?.push(gridRows[y] ?? "");
  for (let y = 0; y < layout.grid.height; y++)
    screen[layout.grid.y + y] = (middle[y] ?? []).join("");

  if (layout.panel.height > 0) {
    const width = layout.panel.width;
    const problem = s.problem ? problemLines(s.problem, width) : [];
    const room = Math.max(0, layout.panel.height - 1 - problem.length);
    const body = [
      ...problem,
      ...visibleRows(tabLines(view, s.tab, width, s.tabRow), s.tabRow, room),
    ].slice(0, Math.max(0, layout.panel.height - 1));
    screen[layout.panel.y] = lineAnsi(tabBar(view, s.tab, width), width, s.colorMode);
    body.forEach((line, i) => {
      screen[layout.panel.y + 1 + i] = lineAnsi(line, width, s.colorMode);
    });
  }
  const flash = s.flash && s.flash.until > Date.now() ? s.flash.text : undefined;
  screen[rows - 1] = lineAnsi(
    footerLine(table, keyContext(selectKeyState(s)), cols, flash),
    cols,
    s.colorMode,
  );
  let out = "";
  screen.forEach((row, y) => {
    out += `\x1b[${y + 1};1H${row}${RESET}`;
  });
  return `${out}\x1b[H`;
}

/** The grid's rows: each pane's title bar and screen, the borders between panes. */
function paintGrid(s: AppState, grid: GridArea, agents: AgentView[]): string[] {
  const width = grid.width;
  const rows: string[] = [];
  if (agents.length === 0) {
    rows.push(" ".repeat(width), plainLine("  No agent is running.", width));
    while (rows.length < grid.height) rows.push(" ".repeat(width));
    return rows;
  }
  const panes = visiblePanes(s.agentOrder, s.selected, grid, s.zoomed);
  const lines = borders(panes);
  for (let y = 0; y < grid.height; y++) {
    let row = "";
    let x = 0;
    for (const pane of panes
      .filter((p) => p.rect.y <= y && y < p.rect.y + p.rect.height)
      .sort((a, b) => a.rect.x - b.rect.x)) {
      if (pane.rect.x > x) row += " ".repeat(pane.rect.x - x);
      row += paneRow(s, pane.id, pane.rect, y - pane.rect.y);
      x = pane.rect.x + pane.rect.width;
      const border = lines.find((b) => b.left === pane.id);
      if (border) {
        const lit = border.left === s.selected || border.right === s.selected;
        const style = lit ? (s.colorMode === "none" ? "1" : "36") : "2";
        row += `\x1b[${style}m${"│".repeat(border.rect.width)}${RESET}`;
        x += border.rect.width;
      }
    }
    rows.push(x < width ? row + " ".repeat(width - x) : row);
  }
  return rows;
}

/** Row `y` of a pane: its title bar first, then its program's screen. */
function paneRow(s: AppState, id: string, rect: Rect, y: number): string {
  const agent = s.agents[id];
  const frame = s.frames[id];
  if (y === 0) {
    if (!agent) return " ".repeat(rect.width);
    const locks = s.locks.reduce((n, l) => (l.agent === id && !l.expired ? n + 1 : n), 0);
    const title = paneTitle(agent, {
      width: rect.width,
      selected: s.selected === id,
      locks,
      insert: s.selected === id && s.mode === "insert",
      offset: frame?.offset ?? 0,
      copy: frame?.copy,
    });
    return lineAnsi(title, rect.width, s.colorMode);
  }
  const screen = paneScreen(agent, frame, rect.width);
  const raw = screen?.rows[y - 1] ?? "";
  return `${fitRow(adaptRow(raw, s.colorMode), screen?.cols ?? 0, rect.width)}${RESET}`;
}
