import { describe, expect, it } from "vitest";
import { gridShape, MIN_PANE, paneRects, screenLayout } from "../../src/room/layout.js";

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
  it("pages when more agents than fit at the minimum pane size", () => {
    const small = { x: 0, y: 0, width: 80, height: 16 };
    const shape = gridShape(12, small);
    expect(shape.perPage).toBeLessThan(12);
    expect(
      paneRects(12, small).every((r) => r.width >= MIN_PANE.width && r.height >= MIN_PANE.height),
    ).toBe(true);
  });
});
