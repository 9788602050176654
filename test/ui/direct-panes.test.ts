/**
 * The direct pane renderer, its output parsed by a real headless terminal: rows land inside the
 * panes' rectangles (below their title bars), the cursor is given back where it was, a frame
 * rewrites only the rows that changed, Ink's drawing brings every row back, nothing is drawn over
 * a dialog, and rows wider or narrower than the pane (just after a resize) are cut or padded.
 */
import xterm from "@xterm/headless";
import { describe, expect, it } from "vitest";
import { DirectPanes, fitRow, placedPanes } from "../../src/ui/direct-panes.js";
import { createAppStore } from "../../src/ui/store/index.js";

const { Terminal } = xterm;

function rig(cols: number, rows: number) {
  const store = createAppStore();
  store.getState().setSize(cols, rows);
  for (const [id, stream] of [
    ["A1", "A"],
    ["A2", "A"],
    ["B1", "B"],
  ] as const) {
    store
      .getState()
      .upsertAgent({ id, stream, task: "t", branch: `b-${stream}`, status: "running" });
  }
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  const writes: string[] = [];
  const pending: Promise<void>[] = [];
  const out = {
    write(data: string) {
      writes.push(data);
      pending.push(new Promise<void>((resolve) => term.write(data, resolve)));
    },
  };
  const panes = new DirectPanes(out, store);
  const settled = () => Promise.all(pending.splice(0));
  const line = (y: number) => term.buffer.active.getLine(y)?.translateToString(true) ?? "";
  const frame = (id: string, rows: string[], cols: number) =>
    store.getState().setFrames({ [id]: { rows, cols, offset: 0 } });
  return { store, term, writes, panes, settled, line, frame };
}

describe("direct pane renderer", () => {
  // A larger client sees a pane sized for a smaller one (the panes follow the client that typed
  // last): the rows below the frame, which showed the larger frame before, kept its text from the
  // frame's width on (the blank below the frame covered only the cells beyond it).
  it("blanks the whole width of the rows below a frame with fewer rows than the pane", async () => {
    const { store, panes, settled, line, frame } = rig(120, 40);
    const a1 = placedPanes(store.getState()).find((p) => p.id === "A1");
    if (!a1) throw new Error("A1 is not placed");
    const { x, y, width: w, height: h } = a1.rect;
    panes.afterInk();
    frame(
      "A1",
      Array.from({ length: h }, (_, i) => `wide row ${i}`.padEnd(w, ".")),
      w,
    );
    await settled();
    expect(line(y + h - 1).slice(x, x + w)).toBe(`wide row ${h - 1}`.padEnd(w, "."));
    // The pane now sized for a smaller client: half as wide, 10 rows.
    const half = Math.floor(w / 2);
    frame(
      "A1",
      Array.from({ length: 10 }, (_, i) => `small ${i}`.padEnd(half)),
      half,
    );
    await settled();
    expect(
      line(y + 9)
        .slice(x, x + w)
        .trimEnd(),
    ).toBe("small 9");
    for (let row = 10; row < h; row++)
      expect(
        line(y + row)
          .slice(x, x + w)
          .trim(),
      ).toBe("");
    panes.close();
  });

  it("writes each pane's rows inside its rectangle and gives the cursor back", async () => {
    const { store, term, panes, settled, line, frame } = rig(160, 48);
    const placed = placedPanes(store.getState());
    expect(placed.map((p) => p.id)).toEqual(["A1", "A2", "B1"]);
    // Ink's cursor, somewhere: it must be there again after the panes are written.
    term.write("\x1b[10;5H");
    panes.afterInk(); // the layout is known from Ink's first frame on
    for (const { id, rect } of placed) {
      frame(
        id,
        [
          `\x1b[32mfirst row of ${id}\x1b[0m`.padEnd(rect.width + 9),
          `second row of ${id}`.padEnd(rect.width),
        ],
        rect.width,
      );
    }
    await settled();
    for (const { id, rect } of placed) {
      expect(
        line(rect.y)
          .slice(rect.x, rect.x + rect.width)
          .trimEnd(),
      ).toBe(`first row of ${id}`);
      expect(
        line(rect.y + 1)
          .slice(rect.x, rect.x + rect.width)
          .trimEnd(),
      ).toBe(`second row of ${id}`);
      // The title bar's line (Ink's) is left alone.
      expect(
        line(rect.y - 1)
          .slice(rect.x, rect.x + rect.width)
          .trim(),
      ).toBe("");
    }
    expect([term.buffer.active.cursorY, term.buffer.active.cursorX]).toEqual([9, 4]);
    panes.close();
  });

  it("rewrites only the rows that changed, all of them after Ink drew, and nothing under a dialog", async () => {
    const { store, writes, panes, settled, line, frame } = rig(120, 40);
    const a1 = placedPanes(store.getState()).find((p) => p.id === "A1");
    if (!a1) throw new Error("A1 is not placed");
    const w = a1.rect.width;
    panes.afterInk();
    frame("A1", ["one".padEnd(w), "two".padEnd(w), "three".padEnd(w)], w);
    await settled();
    writes.length = 0;
    frame("A1", ["one".padEnd(w), "TWO".padEnd(w), "three".padEnd(w)], w);
    await settled();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain("TWO");
    expect(writes[0]).not.toContain("one");
    expect(writes[0]).not.toContain("three");

    // Ink redrew (say, a line of the sidebar): every row is written again.
    writes.length = 0;
    panes.afterInk();
    await settled();
    expect(writes.join("")).toContain("one");
    expect(writes.join("")).toContain("three");

    // A dialog covers the grid: frames change underneath, nothing is written.
    store.getState().openModal({ kind: "text", title: "t", lines: [], offset: 0 });
    writes.length = 0;
    frame("A1", ["under the dialog".padEnd(w)], w);
    panes.afterInk();
    await settled();
    expect(writes).toEqual([]);
    // Closed: Ink draws the grid again, and the panes come back with their latest rows.
    store.getState().closeModal();
    panes.afterInk();
    await settled();
    expect(
      line(a1.rect.y)
        .slice(a1.rect.x, a1.rect.x + w)
        .trimEnd(),
    ).toBe("under the dialog");

    // The review view covers the screen too (it is drawn by Ink, not a dialog).
    store.getState().setReview({
      stream: "A",
      worktree: "/nowhere",
      agent: "A1",
      base: "main",
      mergeBase: "abc",
      files: [],
      rows: [],
      cursor: 0,
      top: 0,
      comments: [],
    });
    writes.length = 0;
    frame("A1", ["under the review".padEnd(w)], w);
    panes.afterInk();
    await settled();
    expect(writes).toEqual([]);
    panes.close();
  });

  it("pads a narrower row and cuts a wider one (wide characters included) to the pane's width", () => {
    expect(fitRow("abc", 3, 6)).toBe("abc\x1b[0m   ");
    expect(fitRow("\x1b[31mabcdef\x1b[0m", 6, 4)).toBe("\x1b[31mabcd");
    expect(fitRow("a中文b", 6, 4)).toBe("a中 ");
    expect(fitRow("same", 4, 4)).toBe("same");
  });
});
