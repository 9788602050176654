import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { DEMO_INTRO } from "../../src/cli/commands/demo.js";
import { App } from "../../src/ui/components/App.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { StoreContext } from "../../src/ui/store/context.js";
import { createAppStore } from "../../src/ui/store/index.js";
import { engineStream, shopStatus, streamReport } from "./fixtures.js";

function rig(cols: number, rows: number) {
  const store = createAppStore();
  store.getState().setSize(cols, rows);
  store.getState().setStatus(
    shopStatus([
      streamReport("A", "Foundation", {
        status: "in_progress",
        reason: "A cannot start: already in_progress",
        branch: "feature/stream-A-foundation",
        worktree: "/w/A",
        agents: [
          { id: "A1", task: "t" },
          { id: "A2", task: "t" },
        ],
      }),
      streamReport("B", "Billing", {
        status: "in_progress",
        branch: "feature/stream-B-billing",
        worktree: "/w/B",
        agents: [{ id: "B1", task: "t" }],
      }),
      engineStream(),
    ]),
  );
  for (const [id, stream] of [
    ["A1", "A"],
    ["A2", "A"],
    ["B1", "B"],
  ] as const) {
    store.getState().upsertAgent({
      id,
      stream,
      task: "t",
      branch: `feature/stream-${stream}`,
      status: "running",
    });
    store.getState().setFrames({
      [id]: { rows: [`\x1b[32mhello from ${id}\x1b[0m`, `${id} line 2`], cols: 40, offset: 0 },
    });
  }
  store.getState().setLocks([
    {
      path: "src/a.ts",
      agent: "A1",
      stream: "A",
      acquired: "",
      expires: "2099-01-01T00:00:00.000000",
      task: "edit",
      expired: false,
    },
  ]);
  const ui = render(
    <StoreContext.Provider value={store}>
      <App table={KEY_TABLE} />
    </StoreContext.Provider>,
  );
  return { store, ui };
}

const strip = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

/** Waits until the last frame contains `text` (renders are coalesced), and returns it. */
async function frameWith(ui: ReturnType<typeof render>, text: string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const frame = strip(ui.lastFrame() ?? "");
    if (frame.includes(text)) return frame;
    if (Date.now() > deadline) throw new Error(`frame never showed "${text}":\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("the control room", () => {
  it("shows header, sidebar, every agent's pane side by side, the locks tab and the footer at 160x48", () => {
    const { ui } = rig(160, 48);
    const frame = strip(ui.lastFrame() ?? "");
    const lines = frame.split("\n");
    expect(lines.length).toBeLessThanOrEqual(48);
    expect(lines[0]).toContain(" shop ");
    expect(lines[0]).toContain("3 running");
    expect(frame).toContain("Phase 1");
    expect(frame).toContain("E Engine pending");
    for (const id of ["A1", "A2", "B1"]) expect(frame).toContain(`hello from ${id}`);
    // Side by side: two panes' first rows on one screen line.
    expect(lines.some((l) => l.includes("hello from A1") && l.includes("hello from A2"))).toBe(
      true,
    );
    expect(frame).toContain("1 lock");
    expect(frame).toMatch(/src\/a\.ts\s+A1/);
    expect(lines.at(-1)).toContain("NORMAL");
    ui.unmount();
  });

  it("says in the Locks tab that a lock's agent has exited, as soon as it does", async () => {
    const { store, ui } = rig(160, 48);
    expect(strip(ui.lastFrame() ?? "")).not.toContain("has exited");
    store.getState().setAgentStatus("A1", "exited", { code: 143, signal: null, stopped: true });
    expect(await frameWith(ui, "A1 has exited")).toMatch(/src\/a\.ts\s+A1.*A1 has exited {2}edit/);
    ui.unmount();
  });

  it("fits 80x24, flags a waiting agent, zooms, and shows help from the key table", async () => {
    const { store, ui } = rig(80, 24);
    store.getState().setAgentStatus("B1", "waiting");
    store.getState().select("B1");
    let frame = await frameWith(ui, "B1 waiting y approve");
    expect(frame.split("\n").length).toBeLessThanOrEqual(24);
    expect(frame).toContain("1 waiting");
    store.getState().setZoomed(true);
    frame = await frameWith(ui, "B1 line 2");
    await new Promise((resolve) => setTimeout(resolve, 50));
    frame = strip(ui.lastFrame() ?? "");
    expect(frame).toContain("hello from B1");
    expect(frame).not.toContain("hello from A1");
    // The help at 80x24 takes pages; nothing in it is cut, every description wraps.
    store.getState().setHelpOpen(true);
    frame = await frameWith(ui, "Keys: page 1 of ");
    const pages = Number(/page 1 of (\d+)/.exec(frame)?.[1]);
    let found = false;
    for (let page = 0; page < pages; page++) {
      store.setState({ helpPage: page });
      frame = await frameWith(ui, `Keys: page ${page + 1} of ${pages}`);
      expect(frame.split("\n").slice(1, -1).join("\n")).not.toContain("…");
      if (/w +select the next/.test(frame)) found = true;
    }
    expect(found).toBe(true);
    ui.unmount();
  });

  it("shows a problem with the plan or a state file above the bottom tab while agents run", async () => {
    const { store, ui } = rig(120, 40);
    store
      .getState()
      .setProblem(
        'streams.yaml:32:18: stream "E" depends on unknown stream "Z"\n(the control room keeps the plan read before)',
      );
    const frame = await frameWith(ui, "! streams.yaml:32:18:");
    const lines = frame.split("\n");
    const at = lines.findIndex((l) => l.includes("! streams.yaml:32:18:"));
    expect(lines[at - 1]).toMatch(/Locks 1 +Conflicts/);
    expect(lines[at + 1]).toContain("keeps the plan read before");
    expect(frame).toContain("hello from A1");
    expect(lines.length).toBeLessThanOrEqual(40);
    store.getState().setProblem(undefined);
    await frameWith(ui, "src/a.ts");
    expect(strip(ui.lastFrame() ?? "")).not.toContain("streams.yaml:32");
    ui.unmount();
  });

  it("shows a confirm dialog with what will happen", async () => {
    const { store, ui } = rig(120, 40);
    store.getState().openModal({
      kind: "confirm",
      title: "Merge A (Foundation) into main?",
      lines: ["merge order: [A] B E", "predicted conflicts: none"],
      choices: [{ keys: ["y", "enter"], label: "merge", action: { do: "merge", stream: "A" } }],
    });
    const frame = await frameWith(ui, "Merge A (Foundation) into main?");
    expect(frame).toContain("predicted conflicts: none");
    expect(frame).toContain("y / Enter: merge");
    ui.unmount();
  });

  it("shows no colour under NO_COLOR, from the panes' programs or its own, keeping attributes", async () => {
    const { store, ui } = rig(160, 48);
    store.setState({ colorMode: "none" });
    store
      .getState()
      .setFrames({ A1: { rows: ["\x1b[1;31mbold red from A1\x1b[0m"], cols: 40, offset: 0 } });
    await frameWith(ui, "bold red from A1");
    const raw = ui.lastFrame() ?? "";
    const colour = /\x1b\[[0-9;]*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]/;
    expect(raw).not.toMatch(colour);
    expect(raw).toContain("\x1b[1m");
    ui.unmount();
  });

  it("wraps a confirm dialog's sentences at 80 columns instead of cutting them", async () => {
    const { store, ui } = rig(80, 24);
    const long =
      "The worktree is removed only if clean; the branch is deleted only with --delete-branch and once merged.";
    store.getState().openModal({
      kind: "confirm",
      title: "Merge C (Docs) into main?",
      lines: ["merge order: A B [C] D E", long],
      choices: [{ keys: ["y", "enter"], label: "merge", action: { do: "merge", stream: "A" } }],
    });
    const frame = await frameWith(ui, "Merge C (Docs) into main?");
    const text = frame
      .split("\n")
      .filter((row) => row.includes("│"))
      .map((row) => row.replace(/^[^│]*│ ?/, "").replace(/ *│.*$/, ""))
      .join(" ");
    expect(text.replace(/ +/g, " ")).toContain(long);
    expect(frame).not.toContain("…");
    ui.unmount();
  });

  it("shows the demo's guide whole at 80x24, nothing cut", async () => {
    const { store, ui } = rig(80, 24);
    store
      .getState()
      .openModal({ kind: "text", title: "Welcome to Tower", lines: DEMO_INTRO, offset: 0 });
    const frame = await frameWith(ui, "Welcome to Tower");
    const dialog = frame.split("\n").filter((row) => row.includes("│"));
    for (const line of DEMO_INTRO.filter(Boolean)) {
      expect(
        dialog.some((row) => row.includes(line)),
        line,
      ).toBe(true);
    }
    expect(frame).not.toContain("more lines");
    expect(dialog.join("\n")).not.toContain("…");
    ui.unmount();
  });
});
