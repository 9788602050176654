/**
 * Copy mode's logic over a pane's lines: the cursor and the view it keeps in sight, searching
 * down and up with wrap-round and "not found", the matches marked, a block's and lines' text.
 */
import { describe, expect, it } from "vitest";
import { CopyMode, type History } from "../../src/room/copy-mode.js";

/** 100 lines ("row 0".."row 99", "alpha" on 10 and 90), the last 10 of them the screen. */
function history(): History {
  const lines = Array.from({ length: 100 }, (_, i) =>
    i === 10 || i === 90 ? `alpha at ${i}` : `row ${i}`,
  );
  return {
    length: 100,
    baseY: 90,
    rows: 10,
    cols: 40,
    dropped: 0,
    text: (i) => lines[i] ?? "",
    cells: (i) => [...(lines[i] ?? "")],
  };
}

describe("copy mode", () => {
  it("starts live on the last line with text and keeps the cursor in view as it moves", () => {
    const copy = new CopyMode(history());
    expect(copy.status()).toEqual({ line: 100, lines: 100 });
    expect(copy.offset).toBe(0);
    copy.apply({ do: "page", pages: -1 });
    expect(copy.cursor.line).toBe(89);
    expect(copy.offset).toBe(10);
    copy.apply({ do: "top" });
    expect(copy.cursor).toEqual({ line: 0, col: 0 });
    expect(copy.offset).toBe(90);
    copy.apply({ do: "move", lines: -5, cols: -3 });
    expect(copy.cursor).toEqual({ line: 0, col: 0 });
    copy.apply({ do: "bottom" });
    expect(copy.offset).toBe(0);
  });

  it("searches up and down, wrapping round, says when nothing matches, and marks the matches", () => {
    const copy = new CopyMode(history());
    copy.apply({ do: "search", query: "ALPHA", backward: true });
    expect(copy.cursor).toEqual({ line: 90, col: 0 });
    copy.apply({ do: "next" });
    expect(copy.cursor.line).toBe(10);
    copy.apply({ do: "next" });
    expect(copy.cursor.line).toBe(90); // round the top, from the bottom
    copy.apply({ do: "next", reverse: true });
    expect(copy.cursor.line).toBe(10);
    const mark = copy.marks(10);
    expect([0, 1, 4, 5].map((x) => mark?.(x))).toEqual(["select", "current", "current", undefined]);
    expect(copy.marks(50)).toBeUndefined();

    // As typed: each key searches again from where the search began.
    copy.apply({ do: "search", query: "row 5", backward: false });
    expect(copy.cursor.line).toBe(50);
    copy.apply({ do: "search", query: "row 55", backward: false, incremental: true });
    expect(copy.cursor.line).toBe(55);
    copy.apply({ do: "search", query: "row 55x", backward: false, incremental: true });
    expect(copy.status()).toMatchObject({ line: 56, search: "row 55x", notFound: true });
    copy.apply({ do: "searchCancel" });
    expect(copy.cursor.line).toBe(10);
  });

  it("yanks a block of columns, whole lines, or the cursor's line when nothing is selected", () => {
    const copy = new CopyMode(history());
    copy.apply({ do: "top" });
    copy.apply({ do: "move", lines: 1, cols: 1 });
    copy.apply({ do: "select", kind: "block" });
    copy.apply({ do: "move", lines: 2, cols: 1 });
    expect(copy.apply({ do: "yank" })).toBe("ow\now\now");
    copy.apply({ do: "select", kind: "line" });
    copy.apply({ do: "move", lines: -1 });
    expect(copy.apply({ do: "yank" })).toBe("row 2\nrow 3");
    copy.apply({ do: "select", kind: "line" }); // again: no selection
    expect(copy.apply({ do: "yank" })).toBe("row 2");
  });
});
