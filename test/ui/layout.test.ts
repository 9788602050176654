import { describe, expect, it } from "vitest";
import type { LockInfo } from "../../src/engine/locks.js";
import {
  BORDER,
  borders,
  gridShape,
  MIN_PANE,
  MIN_PANEL,
  maxPanelHeight,
  paneRects,
  screenLayout,
} from "../../src/room/layout.js";
import { followPanel } from "../../src/ui/layout.js";
import { createAppStore } from "../../src/ui/store/index.js";

describe("screenLayout", () => {
  it("fits header, grid, panel and footer exactly into the terminal at 80x24 and 160x48", () => {
    for (const [cols, rows] of [
      [80, 24],
      [160, 48],
      [300, 90],
    ] as const) {
      const l = screenLayout(cols, rows);
      expect(l.header.height + l.grid.height + l.panel.height + l.footer.height).toBe(rows);
      expect(l.footer.y).toBe(rows - 1);
      expect((l.sidebar?.width ?? 0) + l.grid.width).toBe(cols);
    }
    expect(screenLayout(80, 24).sidebar).toBeUndefined();
    expect(screenLayout(160, 48).sidebar?.width).toBe(34);
  });
  it("gives the bottom panel the rows its content needs, between its least and its most", () => {
    expect(maxPanelHeight(48)).toBe(12);
    expect(screenLayout(160, 48).panel.height).toBe(12);
    expect(screenLayout(160, 48, { panel: 1 }).panel.height).toBe(MIN_PANEL);
    expect(screenLayout(160, 48, { panel: 7 }).panel.height).toBe(7);
    expect(screenLayout(160, 48, { panel: 40 }).panel.height).toBe(12);
    const l = screenLayout(160, 48, { panel: 4 });
    // What the panel does not take goes to the panes.
    expect(l.grid.height).toBe(48 - 2 - 4);
    expect(l.header.height + l.grid.height + l.panel.height + l.footer.height).toBe(48);
    expect(screenLayout(80, 24, { panel: 40 }).panel.height).toBe(maxPanelHeight(24));
  });
  it("keeps the panes' arrangement and pages whatever rows the panel takes", () => {
    for (const [cols, rows] of [
      [80, 24],
      [160, 48],
    ] as const) {
      const most = screenLayout(cols, rows).grid;
      for (const panel of [3, 5, 8]) {
        const grid = screenLayout(cols, rows, { panel }).grid;
        expect(grid.height).toBeGreaterThanOrEqual(most.height);
        for (let n = 1; n <= 14; n++) expect(gridShape(n, grid)).toEqual(gridShape(n, most));
      }
    }
  });
  it("gives a zoomed pane everything but the header and footer", () => {
    const l = screenLayout(120, 40, { zoomed: true });
    expect(l.grid).toEqual({ x: 0, y: 1, width: 120, height: 38 });
  });
});

describe("pane grid", () => {
  const area = { x: 0, y: 0, width: 160, height: 36 };
  it("tiles 1, 2, 4, 6 and 8 panes in the expected shapes", () => {
    expect(gridShape(1, area)).toMatchObject({ columns: 1, rows: 1 });
    expect(gridShape(2, area)).toMatchObject({ columns: 2, rows: 1 });
    expect(gridShape(4, area)).toMatchObject({ columns: 2, rows: 2 });
    expect(gridShape(6, area)).toMatchObject({ columns: 3, rows: 2 });
    expect(gridShape(8, area)).toMatchObject({ columns: 4, rows: 2 });
  });
  it("covers the area exactly, without overlap", () => {
    for (const n of [1, 2, 3, 5, 8]) {
      const rects = paneRects(n, area);
      expect(rects).toHaveLength(n);
      expect(rects.reduce((sum, r) => sum + r.width * r.height, 0)).toBeLessThanOrEqual(
        area.width * area.height,
      );
      for (const r of rects) {
        expect(r.x + r.width).toBeLessThanOrEqual(area.width);
        expect(r.y + r.height).toBeLessThanOrEqual(area.height);
      }
    }
  });
  it("leaves a border column between panes side by side, none at the edges", () => {
    for (const n of [2, 3, 4, 6, 8]) {
      const rects = paneRects(n, area);
      const shape = gridShape(n, area);
      const lines = borders(rects.map((rect, i) => ({ id: `a${i}`, rect })));
      // Every pane but the last of each full row has a border on its right.
      expect(lines).toHaveLength(n - Math.ceil(n / shape.columns));
      for (const b of lines) {
        expect(b.rect.width).toBe(BORDER);
        const left = rects[Number(b.left.slice(1))];
        const right = rects[Number(b.right.slice(1))];
        expect(left && left.x + left.width).toBe(b.rect.x);
        expect(right?.x).toBe(b.rect.x + BORDER);
        expect(b.rect.height).toBe(left?.height);
      }
      // The first row's panes and borders span the area exactly.
      const first = rects.filter((r) => r.y === 0);
      expect(first.reduce((sum, r) => sum + r.width, 0) + (first.length - 1) * BORDER).toBe(
        area.width,
      );
    }
    expect(borders(paneRects(1, area).map((rect) => ({ id: "a", rect })))).toEqual([]);
  });
  it("pages when more agents than fit at the minimum pane size", () => {
    const small = { x: 0, y: 0, width: 80, height: 16 };
    const shape = gridShape(12, small);
    expect(shape.perPage).toBeLessThan(12);
    expect(
      paneRects(12, small).every((r) => r.width >= MIN_PANE.width && r.height >= MIN_PANE.height),
    ).toBe(true);
  });
});

describe("the bottom panel's rows (followPanel)", () => {
  const lock = (i: number) =>
    ({
      path: `src/f${i}.ts`,
      agent: "B1",
      stream: "B",
      task: "t",
      locked_at: "2026-12-01T10:00:00Z",
      expires_at: "2026-12-01T11:00:00Z",
      expired: false,
    }) as unknown as LockInfo;

  it("grows at once, gives rows back after a while, and at once on a change of tab", async () => {
    const store = createAppStore();
    store.getState().setSize(160, 48);
    const stop = followPanel(store, { shrinkAfterMs: 150 });
    try {
      // An empty Locks tab: its tab bar and two rows.
      expect(store.getState().panelRows).toBe(MIN_PANEL);
      store.getState().setLocks([1, 2, 3, 4, 5].map(lock));
      expect(store.getState().panelRows).toBe(6);
      // Twenty locks: the panel's most, the rest scrolls.
      store.getState().setLocks(Array.from({ length: 20 }, (_, i) => lock(i)));
      expect(store.getState().panelRows).toBe(maxPanelHeight(48));
      // Released: the rows stay a while (a lock that comes and goes resizes no agent) ...
      store.getState().setLocks([lock(1)]);
      expect(store.getState().panelRows).toBe(maxPanelHeight(48));
      await new Promise((resolve) => setTimeout(resolve, 60));
      store.getState().setLocks([]);
      expect(store.getState().panelRows).toBe(maxPanelHeight(48));
      // ... then go back.
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(store.getState().panelRows).toBe(MIN_PANEL);
      // Another tab sizes the panel for itself at once.
      store.getState().setLocks(Array.from({ length: 20 }, (_, i) => lock(i)));
      expect(store.getState().panelRows).toBe(maxPanelHeight(48));
      store.getState().setTab("handoffs");
      expect(store.getState().panelRows).toBe(MIN_PANEL);
    } finally {
      stop();
    }
  });
});
