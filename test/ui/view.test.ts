import { describe, expect, it } from "vitest";
import { gridShape, pageOf } from "../../src/room/layout.js";
import { createRoomStore } from "../../src/room/state.js";
import { fitRow } from "../../src/ui/direct-panes.js";
import { KEY_TABLE, type KeyContext } from "../../src/ui/keys/table.js";
import { footerLine } from "../../src/ui/view/footer.js";
import { headerLine } from "../../src/ui/view/header.js";
import type { ProjectView } from "../../src/ui/view/model.js";
import { paneScreen, paneTitle } from "../../src/ui/view/pane.js";
import { tabBar, tabLines, visibleRows } from "../../src/ui/view/panel.js";
import { sidebarLines } from "../../src/ui/view/sidebar.js";
import { fitLine, lineText, seg, wrapText } from "../../src/ui/view/types.js";
import { engineStream, shopStatus, streamReport } from "./fixtures.js";

const view: ProjectView = {
  status: shopStatus([
    streamReport("A", "Foundation", { status: "in_progress", agents: [{ id: "A1", task: "t" }] }),
    streamReport("B", "Billing", { can_start: true }),
    engineStream(),
  ]),
  tasks: [],
  agents: [
    { id: "A1", stream: "A", task: "t", branch: "feature/stream-A-foundation", status: "waiting" },
    {
      id: "A2",
      stream: "A",
      task: "t",
      branch: "feature/stream-A-foundation",
      status: "exited",
      exitCode: 0,
    },
  ],
  locks: [
    {
      path: "src/a.ts",
      agent: "A1",
      stream: "A",
      acquired: "",
      expires: "2030-01-01T10:00:00.000000",
      task: "edit",
      expired: false,
    },
  ],
  conflicts: [
    {
      kind: "overlap",
      streams: ["A", "B"],
      agents: ["A1", "B1"],
      files: ["x"],
      severity: "high",
      message: "A and B both changed x",
    },
  ],
  checkpoints: [
    { id: "review", status: "pending", kind: "approval", dependsOn: [], waitingFor: [] },
  ],
  activity: [
    {
      timestamp: "2030-01-01T10:00:00Z",
      agent: "A1",
      stream: "A",
      action: "locked",
      file: "src/a.ts",
    },
    {
      timestamp: "2030-01-01T10:01:00Z",
      agent: "A1",
      stream: "A",
      action: "released",
      file: "src/a.ts",
    },
  ],
  handoffs: [],
  snapshots: [
    {
      stream: "A",
      commit: "0123456789abcdef0123456789abcdef01234567",
      at: "2030-01-01T10:02:00Z",
      message: "before A1's Bash",
      files: ["src/a.ts", "notes.md"],
    },
  ],
};

const context: KeyContext = {
  mode: "normal",
  agentCount: 2,
  waitingCount: 1,
  startableStreams: ["B"],
  activeTab: "locks",
  zoomed: false,
  canDetach: false,
};

describe("view lines", () => {
  it("fits and pads lines to a width", () => {
    expect(lineText(fitLine([seg("hello "), seg("world")], 8))).toBe("hello w…");
    expect(lineText(fitLine([seg("hi")], 5, true))).toBe("hi   ");
  });
  it("wraps a sentence at spaces, keeping its indent, and cuts a word longer than a row", () => {
    expect(wrapText("short", 20)).toEqual(["short"]);
    expect(wrapText("the worktree is removed only if clean", 16)).toEqual([
      "the worktree is",
      "removed only if",
      "clean",
    ]);
    expect(wrapText("  - keep the indent of the list", 16)).toEqual([
      "  - keep the",
      "  indent of the",
      "  list",
    ]);
    expect(wrapText("see feature/stream-A-foundation now", 12)).toEqual([
      "see",
      "feature/stre",
      "am-A-foundat",
      "ion now",
    ]);
  });
  it("header counts running, waiting, locks, conflicts and approvals", () => {
    const text = lineText(headerLine(view, 200));
    expect(text).toContain(" shop ");
    expect(text).toContain("base main");
    expect(text).toContain("0 running · 1 waiting · 1 lock · 1 conflict · 1 approval waiting");
    expect(lineText(headerLine(view, 40))).toHaveLength(40);
    // At 80 columns the words get shorter and every count stays.
    expect(lineText(headerLine(view, 80)).trimEnd()).toBe(
      " tower  shop main  0 run · 1 wait · 1 lock · 1 conflict · 1 approval",
    );
  });
  it("sidebar shows streams by phase, what they wait for, agents and checkpoints", () => {
    const text = sidebarLines(view, 40, "A1")
      .map(lineText)
      .map((l) => l.trimEnd());
    expect(text).toEqual([
      "Phase 1",
      " A Foundation in progress",
      "  ▸A1 waiting",
      "   A2 exited 0",
      " B Billing pending",
      "   can start (s)",
      "Phase 2",
      " E Engine pending",
      "   waits for A",
      "Checkpoints",
      " review pending",
    ]);
  });
  it("header says which panes the page shows when there are more agents than fit", () => {
    const grid = { x: 0, y: 1, width: 80, height: 14 };
    const order = Array.from({ length: 20 }, (_, i) => `A${i + 1}`);
    const page = pageOf(order, "A10", grid, false);
    const perPage = gridShape(20, grid).perPage;
    expect(page).toEqual({
      first: Math.floor(9 / perPage) * perPage + 1,
      last: Math.min(20, (Math.floor(9 / perPage) + 1) * perPage),
      total: 20,
    });
    expect(pageOf(order.slice(0, 2), "A1", grid, false)).toBeUndefined();
    expect(pageOf(order, "A10", grid, true)).toBeUndefined();
    const at = { first: 9, last: 16, total: 20 };
    expect(lineText(headerLine(view, 200, at))).toContain("  panes 9–16 of 20");
    expect(lineText(headerLine(view, 80, at)).trimEnd()).toBe(
      " tower  shop main  0 run · 1 wait · 1 lock · 1 conflict · 1 approval 9–16/20",
    );
  });
  it("an Activity row shows its details; a long tab scrolls to its selected row", () => {
    const entry = {
      timestamp: "2026-12-01T10:00:00.000000",
      agent: "human",
      stream: "A",
      action: "checkpoint_rejected",
      checkpoint: "design_review",
      reason: "too early",
    };
    const line = lineText(tabLines({ ...view, activity: [entry] }, "activity", 120, 0)[0] ?? []);
    expect(line).toContain("checkpoint_rejected  checkpoint: design_review  reason: too early");
    expect(visibleRows([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 7, 4)).toEqual([4, 5, 6, 7]);
    expect(visibleRows([0, 1, 2, 3, 4, 5], 1, 4)).toEqual([0, 1, 2, 3]);
    expect(visibleRows([0, 1], 5, 4)).toEqual([0, 1]);
  });
  it("sidebar marks the newest of several waiting agents", () => {
    const agents = [
      { id: "A1", stream: "A", task: "t", branch: "b", status: "waiting" as const, since: 1_000 },
      { id: "A2", stream: "A", task: "t", branch: "b", status: "waiting" as const, since: 2_000 },
    ];
    const text = sidebarLines({ ...view, agents }, 40, undefined).map(lineText);
    expect(text.find((l) => l.includes("A2"))).toContain("waiting ◆ newest");
    expect(text.find((l) => l.includes("A1"))).not.toContain("newest");
    // The room's store stamps when an agent's status changed, not when it is said again.
    const room = createRoomStore();
    room
      .getState()
      .upsertAgent({ id: "A1", stream: "A", task: "t", branch: "b", status: "running" });
    room.getState().setAgentStatus("A1", "waiting");
    const since = room.getState().agents.A1?.since;
    expect(since).toBeGreaterThan(0);
    room.getState().setAgentStatus("A1", "waiting", undefined, "hook");
    expect(room.getState().agents.A1?.since).toBe(since);
  });
  it("panel tabs show counts, and logs newest first", () => {
    expect(lineText(tabBar(view, "locks", 100))).toContain(
      " Locks 1   Conflicts 1   Checkpoints 1   Tasks 0   Activity 2   Handoffs 0   Snapshots 1 ",
    );
    // Too narrow for every title: each tab shortened, none cut off.
    expect(lineText(tabBar(view, "locks", 80)).trimEnd()).toBe(
      " Locks 1   Confl 1   Chkpt 1   Tasks 0   Activ 2   Hand 0   Snap 1",
    );
    expect(lineText(tabLines(view, "locks", 80, 0)[0] ?? [])).toMatch(
      /^src\/a\.ts\s+A1\s+A\s+until \d\d:\d\d:\d\d {2}edit/,
    );
    // A lock whose agent has exited (kept on what it left uncommitted) says so.
    const kept = { ...view, locks: view.locks.map((l) => ({ ...l, agent: "A2" })) };
    expect(lineText(tabLines(kept, "locks", 120, 0)[0] ?? [])).toMatch(
      /until \d\d:\d\d:\d\d {2}A2 has exited {2}edit\s*$/,
    );
    expect(lineText(tabLines(view, "locks", 120, 0)[0] ?? [])).not.toContain("exited");
    const activity = tabLines(view, "activity", 80, 0).map(lineText);
    expect(activity[0]).toContain("released");
    expect(activity[1]).toContain("locked");
    expect(lineText(tabLines(view, "handoffs", 40, 0)[0] ?? []).trim()).toBe("no handoffs yet");
    // A snapshot: when, its stream and commit, its files, what it was taken for.
    expect(lineText(tabLines(view, "snapshots", 100, 0)[0] ?? [])).toMatch(
      /^\d\d:\d\d:\d\d A {2}0123456789 {2}2 files: src\/a\.ts, notes\.md {2}before A1's Bash\s*$/,
    );
    expect(lineText(tabLines({ ...view, snapshots: [] }, "snapshots", 60, 0)[0] ?? []).trim()).toBe(
      "no snapshots yet",
    );
  });
  it("footer shows the mode and the keys that apply now", () => {
    const normal = lineText(footerLine(KEY_TABLE, context, 200));
    expect(normal).toContain("NORMAL");
    expect(normal).toContain("s start");
    expect(normal).not.toContain("approve");
    const insert = lineText(footerLine(KEY_TABLE, { ...context, mode: "insert" }, 200));
    expect(insert).toContain("INSERT");
    expect(insert).toContain("Ctrl-] normal mode");
    expect(
      lineText(footerLine(KEY_TABLE, context, 80, "E cannot start: waiting for A (in_progress)")),
    ).toContain("E cannot start");
  });

  it("keeps ? help and q quit at any width, dropping the least used hints first", () => {
    const waiting = {
      ...context,
      waitingCount: 1,
      selectedAgent: {
        id: "A1",
        stream: "A",
        status: "waiting" as const,
        streamStatus: "in_progress",
      },
    };
    const wide = lineText(footerLine(KEY_TABLE, waiting, 200));
    expect(wide).toContain("y approve");
    expect(wide).toContain("Tab tab");
    for (const width of [80, 60, 40]) {
      const narrow = lineText(footerLine(KEY_TABLE, waiting, width));
      expect(narrow.length, narrow).toBeLessThanOrEqual(width);
      expect(narrow).toContain("? help");
      expect(narrow).toContain("q quit");
    }
    expect(lineText(footerLine(KEY_TABLE, waiting, 80))).toContain("y approve");
    // A message keeps them beside it when they fit.
    expect(lineText(footerLine(KEY_TABLE, waiting, 80, "released x.py"))).toMatch(
      /released x\.py\s+\? help {2}q quit/,
    );
  });

  it("cuts a message too long for the line and says which key shows it whole", () => {
    const long =
      "A cannot be merged: its worktree has uncommitted changes (src/hello.ts); a merge takes only commits: commit them there (or remove them) first";
    for (const width of [100, 60]) {
      const line = lineText(footerLine(KEY_TABLE, context, width, long));
      expect(line.length, line).toBeLessThanOrEqual(width);
      expect(line.trimEnd()).toMatch(/NORMAL +A cannot be merged: .*… {2}M whole message$/);
    }
    // Keys the plan moved are the keys named.
    const moved = KEY_TABLE.map((c) => (c.id === "app.messages" ? { ...c, keys: ["ctrl+g"] } : c));
    expect(lineText(footerLine(moved, context, 80, long)).trimEnd()).toMatch(
      /… {2}Ctrl-g whole message$/,
    );
    // In insert mode keys go to the agent: only the message, cut.
    const insert = lineText(footerLine(KEY_TABLE, { ...context, mode: "insert" }, 80, long));
    expect(insert).not.toContain("whole message");
    expect(insert.length).toBeLessThanOrEqual(80);
  });
});

describe("pane title", () => {
  const agent = view.agents[0] as (typeof view.agents)[number];
  const title = (selected: boolean, width: number) =>
    paneTitle(agent, { width, selected, locks: 1, insert: false, offset: 0 });

  it("is the border above the pane: drawn to its edge, the selected one's in the accent colour", () => {
    const selected = title(true, 90);
    expect(lineText(selected)).toHaveLength(90);
    expect(lineText(selected)).toMatch(
      /^▶ A1 waiting y approve · n deny 1 lock A feature\/stream-A-foundation ─+$/,
    );
    expect(selected[0]).toEqual({ text: "▶ ", tone: "accentStrong" });
    expect(selected[1]).toEqual({ text: "A1", tone: "accentStrong" });
    expect(selected.at(-1)?.tone).toBe("accent");
    const other = title(false, 90);
    expect(lineText(other)).toMatch(/^ {2}A1 .*─+$/);
    expect(other[1]?.tone).toBe("title");
    expect(other.at(-1)?.tone).toBe("muted");
  });

  it("names where the status came from when the agent said it, not when Tower guessed it", () => {
    const shown = (source: string | undefined) =>
      lineText(
        paneTitle(
          { ...agent, status: "idle", ...(source !== undefined && { source }) },
          { width: 90, selected: false, locks: 0, insert: false, offset: 0 },
        ),
      );
    for (const source of ["hook", "osc", "title"])
      expect(shown(source)).toContain(`idle (${source})`);
    for (const source of ["screen", "output", "bell", undefined])
      expect(shown(source)).not.toContain("(");
  });

  it("cuts what does not fit in a narrow pane, who it is and whether it waits first", () => {
    expect(lineText(title(true, 20))).toBe("▶ A1 waiting y appr…");
  });
});

describe("an agent Tower did not start", () => {
  it("shows why in its pane, wrapped to the pane, until it starts again", () => {
    const store = createRoomStore();
    const agent = { id: "A1", stream: "A", task: "t", branch: "b", status: "starting" as const };
    store.getState().upsertAgent(agent);
    store.getState().setFrames({ A1: { rows: ["an old screen"], cols: 40, offset: 0 } });
    const why = "the environment sets GEMINI_CLI_TRUST_WORKSPACE=false, which makes it distrust";
    store.getState().setAgentStatus("A1", "exited", { code: null, signal: null, failure: why });
    const failed = store.getState().agents.A1;
    expect(
      failed &&
        paneTitle(failed, { width: 40, selected: false, locks: 0, insert: false, offset: 0 })
          .map((s) => s.text)
          .join(""),
    ).toContain("A1 not started");
    const shown = paneScreen(failed, store.getState().frames.A1, 40);
    const text = shown?.rows.map((row) => row.replace(/\x1b\[[0-9;]*m/g, "")) ?? [];
    expect(text.every((row) => row.length <= 40)).toBe(true);
    // Each row drawn the pane's whole width: nothing of the old screen stays beside it.
    const drawn = (shown?.rows ?? []).map((row) =>
      fitRow(row, shown?.cols ?? 0, 40).replace(/\x1b\[[0-9;]*m/g, ""),
    );
    expect(drawn.map((row) => row.length)).toEqual(drawn.map(() => 40));
    expect(text.join(" ").replace(/\s+/g, " ")).toContain(`Tower did not start A1: ${why}`);
    expect(text.join(" ")).toContain("x starts A1");
    // Started again (x): its screen, and no reason left over.
    store.getState().upsertAgent({ ...agent, status: "starting" });
    expect(store.getState().agents.A1?.failure).toBeUndefined();
    expect(paneScreen(store.getState().agents.A1, store.getState().frames.A1, 40)?.rows).toEqual([
      "an old screen",
    ]);
    // An exit of its own is not a start refused.
    store.getState().setAgentStatus("A1", "exited", { code: 1, signal: null });
    expect(store.getState().agents.A1?.failure).toBeUndefined();
  });
});
