/**
 * Where everything goes on the screen: pure functions of the terminal size, so that tests can
 * check them without Ink. The whole frame always fits the terminal height (Ink clears the
 * screen on every frame otherwise).
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The panes' area: its shape (how many columns and rows of panes, how many on a page) is chosen
 * for `shapeHeight` rows, the height it has when the bottom panel takes its most, so that the
 * panel growing or shrinking with its content changes the panes' heights, never their
 * arrangement or which page holds which agent.
 */
export type GridArea = Rect & { shapeHeight?: number | undefined };

export interface ScreenLayout {
  header: Rect;
  sidebar: Rect | undefined;
  grid: GridArea;
  panel: Rect;
  footer: Rect;
}

/** Smallest pane that is still worth showing: a title bar and a few rows of screen. */
export const MIN_PANE = { width: 24, height: 6 } as const;

/**
 * The largest screen the agents' terminals are sized for: no terminal is larger (an 8K display
 * at a 6-pixel font is 1,280 columns), and each cell of an agent's screen costs the server 12
 * bytes twice over (its screen and its alternate screen), so a screen of 20,000 x 20,000 that a
 * broken client says it has would take gigabytes. A larger client sees its panes sized for this
 * one (tmux caps a window at 10,000 x 10,000 the same way).
 */
export const MAX_SCREEN = { cols: 2000, rows: 1000 } as const;

/** The column between two panes side by side (a pane's title bar is the border above it). */
export const BORDER = 1;

/** The fewest rows of the bottom panel: its tab bar and two rows. */
export const MIN_PANEL = 3;

/** The most rows the bottom panel may take: about a quarter of the screen, 5 to 12. */
export const maxPanelHeight = (rows: number): number =>
  Math.min(12, Math.max(5, Math.floor(Math.max(rows, 10) / 4)));

export interface LayoutOptions {
  zoomed?: boolean | undefined;
  /**
   * The rows the bottom panel's content needs, its tab bar included (see the control room's
   * `panelRows`): the panel takes that many, between MIN_PANEL and `maxPanelHeight`. Unknown:
   * the most it may take.
   */
  panel?: number | undefined;
}

/**
 * Header and footer take a row each; the sidebar appears from 100 columns; the bottom panel takes
 * the rows its content needs, up to about a quarter of the rows (at most 12).
 */
export function screenLayout(
  cols: number,
  rows: number,
  options: LayoutOptions = {},
): ScreenLayout {
  const width = Math.max(cols, 20);
  const height = Math.max(rows, 10);
  const header: Rect = { x: 0, y: 0, width, height: 1 };
  const footer: Rect = { x: 0, y: height - 1, width, height: 1 };
  if (options.zoomed) {
    return {
      header,
      sidebar: undefined,
      grid: { x: 0, y: 1, width, height: height - 2 },
      panel: { x: 0, y: height - 1, width, height: 0 },
      footer,
    };
  }
  const most = maxPanelHeight(height);
  const panelHeight =
    options.panel === undefined ? most : Math.min(most, Math.max(MIN_PANEL, options.panel));
  const middle = height - 2 - panelHeight;
  const shapeHeight = height - 2 - most;
  const sidebarWidth = width >= 100 ? Math.min(34, Math.floor(width * 0.22)) : 0;
  const sidebar = sidebarWidth ? { x: 0, y: 1, width: sidebarWidth, height: middle } : undefined;
  return {
    header,
    sidebar,
    grid: { x: sidebarWidth, y: 1, width: width - sidebarWidth, height: middle, shapeHeight },
    panel: { x: 0, y: 1 + middle, width, height: panelHeight },
    footer,
  };
}

export interface GridShape {
  columns: number;
  rows: number;
}

/**
 * The grid for `count` panes in `area`: 1, 2 side by side, 2x2, 3x2, 4x2 ... choosing the shape
 * whose panes are closest to terminal proportions (about 2.5 columns per row), and no more panes
 * than fit at MIN_PANE. Returns how many fit on one page.
 */
export function gridShape(
  count: number,
  grid: { width: number; height: number; shapeHeight?: number | undefined },
): GridShape & { perPage: number } {
  if (count <= 0) return { columns: 1, rows: 1, perPage: 1 };
  const area = { width: grid.width, height: grid.shapeHeight ?? grid.height };
  const maxColumns = Math.max(1, Math.floor((area.width + BORDER) / (MIN_PANE.width + BORDER)));
  const maxRows = Math.max(1, Math.floor(area.height / MIN_PANE.height));
  const capacity = maxColumns * maxRows;
  const shown = Math.min(count, capacity);
  let best: GridShape = { columns: 1, rows: 1 };
  let bestScore = Number.POSITIVE_INFINITY;
  for (let rows = 1; rows <= maxRows; rows++) {
    const columns = Math.ceil(shown / rows);
    if (columns > maxColumns) continue;
    const waste = columns * rows - shown;
    const aspect = (area.width - (columns - 1) * BORDER) / columns / (area.height / rows);
    const score = Math.abs(Math.log(aspect / 2.5)) + waste * 0.6;
    if (score < bestScore) {
      bestScore = score;
      best = { columns, rows };
    }
  }
  return { ...best, perPage: Math.max(1, best.columns * best.rows) };
}

/**
 * The rectangles of the panes on one page, filling `area` but for a BORDER column between panes
 * side by side (see `borders`).
 */
export function paneRects(count: number, area: GridArea): Rect[] {
  const shape = gridShape(count, area);
  const shown = Math.min(count, shape.perPage);
  const inner = Math.max(shape.columns, area.width - (shape.columns - 1) * BORDER);
  const rects: Rect[] = [];
  for (let i = 0; i < shown; i++) {
    const col = i % shape.columns;
    const row = Math.floor(i / shape.columns);
    const x0 = area.x + Math.floor((col * inner) / shape.columns) + col * BORDER;
    const x1 = area.x + Math.floor(((col + 1) * inner) / shape.columns) + col * BORDER;
    const y0 = area.y + Math.floor((row * area.height) / shape.rows);
    const y1 = area.y + Math.floor(((row + 1) * area.height) / shape.rows);
    rects.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
  }
  return rects;
}

/** The terminal size a pane's program gets: its rectangle less the title bar. */
export const paneContentSize = (rect: Rect) => ({
  cols: Math.max(1, rect.width),
  rows: Math.max(1, rect.height - 1),
});

/**
 * The panes shown: the zoomed one alone, else those on the page that holds the selected agent
 * (the first page when none is selected), with their rectangles in `grid`. The grid draws these,
 * and the sessions size their programs to them.
 */
export function visiblePanes(
  order: readonly string[],
  selected: string | undefined,
  grid: GridArea,
  zoomed: boolean,
): { id: string; rect: Rect }[] {
  const chosen = selected !== undefined && order.includes(selected) ? selected : undefined;
  if (zoomed && chosen) return [{ id: chosen, rect: grid }];
  if (order.length === 0) return [];
  const perPage = Math.max(1, gridShape(order.length, grid).perPage);
  const page = chosen ? Math.floor(order.indexOf(chosen) / perPage) : 0;
  const ids = order.slice(page * perPage, page * perPage + perPage);
  const rects = paneRects(ids.length, grid);
  return ids.map((id, i) => ({ id, rect: rects[i] ?? grid }));
}

/**
 * Which panes the page holding the selected agent shows, when there are more agents than fit:
 * the first and last (counted from 1) and how many in all; undefined when all fit (or zoomed).
 */
export function pageOf(
  order: readonly string[],
  selected: string | undefined,
  grid: GridArea,
  zoomed: boolean,
): { first: number; last: number; total: number } | undefined {
  if (zoomed || order.length === 0) return undefined;
  const perPage = Math.max(1, gridShape(order.length, grid).perPage);
  if (order.length <= perPage) return undefined;
  const at = selected !== undefined ? Math.max(0, order.indexOf(selected)) : 0;
  const first = Math.floor(at / perPage) * perPage;
  return { first: first + 1, last: Math.min(order.length, first + perPage), total: order.length };
}

/**
 * The borders between panes side by side: for each gap between two neighbours on a row, the
 * column and the ids on either side (the selected pane's borders are drawn in the accent colour).
 */
export function borders(
  panes: readonly { id: string; rect: Rect }[],
): { rect: Rect; left: string; right: string }[] {
  const out: { rect: Rect; left: string; right: string }[] = [];
  for (const a of panes) {
    const right = a.rect.x + a.rect.width;
    const b = panes.find(
      (p) => p.rect.y === a.rect.y && p.rect.x > right && p.rect.x - right <= BORDER,
    );
    if (b) {
      out.push({
        rect: { x: right, y: a.rect.y, width: b.rect.x - right, height: a.rect.height },
        left: a.id,
        right: b.id,
      });
    }
  }
  return out;
}
