/**
 * The review view draws only the rows on screen: a 10,000-line diff (from real git) gives a
 * frame exactly as high as the screen, at any place in it; the cursor moves through it by keys.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { reviewDiff } from "../../src/engine/review/index.js";
import { App } from "../../src/ui/components/App.js";
import type { Controller } from "../../src/ui/input/controller.js";
import { handleInput } from "../../src/ui/input/dispatch.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { StoreContext } from "../../src/ui/store/context.js";
import { createAppStore } from "../../src/ui/store/index.js";
import {
  changedSpan,
  diffBodyHeight,
  diffViewLines,
  openDiffView,
} from "../../src/ui/view/diff.js";
import { lineText } from "../../src/ui/view/types.js";
import { git } from "../helpers/repo.js";

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function bigDiff(lines: number) {
  const root = mkdtempSync(path.join(os.tmpdir(), "tower-review-"));
  temps.push(root);
  git(root, "init", "-q", "-b", "main");
  git(root, "config", "user.email", "test@example.com");
  git(root, "config", "user.name", "Test");
  writeFileSync(path.join(root, "big.txt"), "first\n");
  git(root, "add", ".");
  git(root, "commit", "-q", "-m", "initial");
  const text = Array.from({ length: lines }, (_, i) => `line ${i + 1}`).join("\n");
  writeFileSync(path.join(root, "big.txt"), `${text}\n`);
  return reviewDiff(root, "main");
}

describe("the review view", () => {
  it("draws only the rows on screen of a 10,000-line diff, wherever the cursor is", async () => {
    const diff = await bigDiff(10_000);
    expect(diff.files).toHaveLength(1);
    expect(diff.files[0]).toMatchObject({
      path: "big.txt",
      status: "M",
      added: 10_000,
      removed: 1,
    });
    const store = createAppStore();
    store.getState().setSize(100, 30);
    store
      .getState()
      .setReview(openDiffView({ stream: "A", worktree: "/nowhere", ...diff, comments: [] }, "A1"));
    const ctl: Controller = {
      store,
      client: { run: async () => ({ ok: true }), on: () => () => {} },
      table: KEY_TABLE,
      quit: () => {},
    };
    const ui = render(
      <StoreContext.Provider value={store}>
        <App table={KEY_TABLE} />
      </StoreContext.Provider>,
    );
    const frame = () => (ui.lastFrame() ?? "").split("\n");
    expect(frame()).toHaveLength(30);
    expect(frame().join("\n")).toContain("line 1");
    // Far into it: a page at a time, then line by line; still one screen of rows.
    for (let i = 0; i < 300; i++) handleInput(ctl, "\x1b[6~");
    handleInput(ctl, "j");
    const view = store.getState().review;
    expect(view?.cursor).toBeGreaterThan(7_000);
    expect(view?.top).toBeLessThanOrEqual(view?.cursor ?? 0);
    expect((view?.cursor ?? 0) - (view?.top ?? 0)).toBeLessThan(diffBodyHeight(30));
    const lines = diffViewLines(
      view ?? openDiffView({ stream: "A", worktree: "/nowhere", ...diff, comments: [] }, "A1"),
      100,
      28,
    );
    expect(lines).toHaveLength(28);
    await new Promise((resolve) => setImmediate(resolve));
    expect(frame()).toHaveLength(30);
    const shown = frame().join("\n");
    expect(shown).not.toContain("line 1 ");
    expect(lines.map(lineText).join("\n")).toContain(`+line ${(view?.cursor ?? 0) - 2}`);
    ui.unmount();
  });

  it("points at the words that changed within a changed line", () => {
    expect(changedSpan("  return a * b;", "  return a + b;")).toEqual(["  return a ", "*", " b;"]);
    expect(changedSpan("const total = price;", "const sum = price;")).toEqual([
      "const ",
      "total",
      " = price;",
    ]);
    // Nothing much in common: the whole line is the change.
    expect(changedSpan("abc", "xyz")).toBeUndefined();
  });
});
