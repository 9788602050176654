/**
 * The whole app over a real temporary repository, real state files and fake agents in real
 * pseudo-terminals: ink-testing-library renders it, the services feed it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { borders, paneContentSize, screenLayout, visiblePanes } from "../../src/room/layout.js";
import { clientLayout } from "../../src/ui/layout.js";
import { tower } from "../helpers/repo.js";
import { closeApps, openApp } from "./app-helpers.js";

afterEach(closeApps);

const strip = (text: string) => text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "");

async function frameWith(
  ui: { lastFrame(): string | undefined },
  check: (frame: string) => boolean,
  what: string,
): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const frame = strip(ui.lastFrame() ?? "");
    if (check(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`the app never showed ${what}:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the app over a real repository", () => {
  it("starts the agents of the streams in progress, shows their screens, waiting flags and live locks", async () => {
    const { repo, ui } = await openApp(160, 48);
    // Each agent's banner names it on its second row (written after the first).
    const frame = await frameWith(
      ui,
      (f) =>
        ["A1 · stream A", "A2 · stream A", "B1 · stream B"].every((t) => f.includes(`agent ${t}`)),
      "three agents",
    );
    expect((frame.match(/Welcome to Fake Agent/g) ?? []).length).toBe(3);
    await frameWith(ui, (f) => f.includes("3 waiting"), "three waiting agents");
    expect(
      (await tower(repo.root, ["lock", "src/x.ts", "--agent", "B1", "--task", "rig"])).code,
    ).toBe(0);
    await frameWith(ui, (f) => /src\/x\.ts\s+B1/.test(f), "the lock");
  });

  it("draws borders between panes, the selected one's lit, and sizes the bottom panel by its content", async () => {
    const { repo, store, ui } = await openApp(160, 48, { shrinkPanelAfterMs: 300, select: "A2" });
    // Each fake agent shows its banner, then asks: all three are waiting once they have asked.
    const frame = await frameWith(
      ui,
      (f) => (f.match(/Welcome to Fake Agent/g) ?? []).length === 3 && f.includes("3 waiting"),
      "three agents, waiting",
    );
    const lines = frame.split("\n");
    // Three panes side by side: each title bar is the border above its pane, and a border
    // column stands between neighbours on every row of theirs.
    const titles = lines.find((l) => l.includes("▶ A2")) ?? "";
    expect(titles).toMatch(/ {2}A1 waiting .*│▶ A2 waiting .*│ {2}B1 waiting/);
    const panes = visiblePanes(
      ["A1", "A2", "B1"],
      "A2",
      clientLayout(store.getState()).grid,
      false,
    );
    const between = borders(panes);
    expect(between.map((b) => `${b.left}|${b.right}`)).toEqual(["A1|A2", "A2|B1"]);
    for (const { rect } of between) {
      expect(rect.y).toBe(lines.indexOf(titles));
      for (let y = rect.y; y < rect.y + rect.height; y++) {
        expect(cellAt(lines[y] ?? "", rect.x), `row ${y}: ${lines[y]}`).toBe("│");
      }
    }
    // No locks: the panel takes its tab bar and two rows, not a quarter of the screen, and the
    // agents' terminals get the rows it leaves (48 - header - footer - 3 - title bar).
    const tabBarRow = (f: string) => f.split("\n").findIndex((l) => /Locks \d+/.test(l));
    expect(tabBarRow(frame)).toBe(48 - 1 - 3);
    // A1's terminal: its pane's rows less the title bar, in a grid the panel leaves.
    const a1Rows = (panel: number) => {
      const grid = screenLayout(160, 48, { panel }).grid;
      const rect = visiblePanes(["A1", "A2", "B1"], "A2", grid, false)[0]?.rect;
      return rect ? paneContentSize(rect).rows : 0;
    };
    expect(a1Rows(3)).toBeGreaterThan(a1Rows(12));
    await waitFor(() => store.getState().frames.A1?.rows.length === a1Rows(3), "A1 sized");
    for (const file of ["a", "b", "c", "d", "e", "f"]) {
      const held = await tower(repo.root, [
        "lock",
        `src/${file}.ts`,
        "--agent",
        "B1",
        "--task",
        "x",
      ]);
      expect(held.code).toBe(0);
    }
    // Six locks: the panel grows at once to show them all, the agents' terminals get shorter.
    const grown = await frameWith(ui, (f) => tabBarRow(f) === 48 - 1 - 7, "a panel of seven rows");
    expect(grown).toMatch(/src\/f\.ts\s+B1/);
    await waitFor(() => store.getState().frames.A1?.rows.length === a1Rows(7), "shorter agents");
    // Released, the rows go back after a while (not on every lock that comes and goes).
    expect(
      (
        await tower(repo.root, [
          "unlock",
          ...["a", "b", "c", "d", "e", "f"].map((f) => `src/${f}.ts`),
          "--agent",
          "B1",
        ])
      ).code,
    ).toBe(0);
    await frameWith(ui, (f) => tabBarRow(f) === 48 - 1 - 3, "the panel shrunk back");
  });
});

/** The character at column `x` of a screen line (a wide character takes two columns). */
function cellAt(line: string, x: number): string | undefined {
  let column = 0;
  for (const char of line) {
    if (column === x) return char;
    column += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(char)
      ? 2
      : 1;
    if (column > x) return undefined;
  }
  return undefined;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
