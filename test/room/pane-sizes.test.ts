/** Which panes the sessions size, and to what: the selected agent's page, or the zoomed pane. */
import { describe, expect, it } from "vitest";
import { gridShape, paneContentSize, paneRects, screenLayout } from "../../src/room/layout.js";
import { visiblePaneSizes } from "../../src/room/sessions.js";

const order = Array.from({ length: 12 }, (_, i) => `a${i + 1}`);

describe("visiblePaneSizes", () => {
  it("sizes the panes of the page that holds the selected agent", () => {
    const { grid } = screenLayout(100, 30);
    const { perPage } = gridShape(order.length, grid);
    expect(perPage).toBeLessThan(order.length); // more agents than fit: several pages
    const last = order.at(-1) as string;
    const sizes = visiblePaneSizes(order, { cols: 100, rows: 30, zoomed: false, selected: last });
    const page = Math.floor((order.length - 1) / perPage);
    const shown = order.slice(page * perPage, (page + 1) * perPage);
    expect([...sizes.keys()]).toEqual(shown);
    const rects = paneRects(shown.length, grid);
    shown.forEach((id, i) => {
      expect(sizes.get(id)).toEqual(paneContentSize(rects[i] ?? grid));
    });
    // No selection: the first page.
    const first = visiblePaneSizes(order, { cols: 100, rows: 30, zoomed: false });
    expect([...first.keys()]).toEqual(order.slice(0, perPage));
  });

  it("gives the zoomed pane the whole grid and sizes no other", () => {
    const sizes = visiblePaneSizes(order, { cols: 100, rows: 30, zoomed: true, selected: "a5" });
    const { grid } = screenLayout(100, 30, { zoomed: true });
    expect([...sizes.entries()]).toEqual([["a5", paneContentSize(grid)]]);
  });

  it("sizes nothing without agents", () => {
    expect(visiblePaneSizes([], { cols: 100, rows: 30, zoomed: false }).size).toBe(0);
  });
});
