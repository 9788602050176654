/**
 * What the control room writes to its terminal when the room's state changes: the real App drawn
 * by real Ink through the control room's output (src/ui/ink-output.ts) and the direct pane
 * renderer, into a real headless terminal. The App is as tall as the terminal, and Ink redraws
 * such an app by clearing the whole screen at every change; the panes then had to be written
 * again, every row. A change must write only the lines it changed (and the pane rows on them),
 * and the screen must read exactly as a control room drawn afresh from the same state.
 */
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import xterm from "@xterm/headless";
import { createElement } from "react";
import { afterEach, describe, expect, it } from "vitest";
import type { AppStore } from "../../src/ui/store/index.js";
import { shopStatus, streamReport } from "./fixtures.js";

// Ink decides when it is loaded whether it runs "in CI" (and then draws nothing): it must not.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
const { render } = await import("ink");
const { App } = await import("../../src/ui/components/App.js");
const { directPaneRenderer } = await import("../../src/ui/components/Pane.js");
const { DirectPanes, placedPanes } = await import("../../src/ui/direct-panes.js");
const { inkOutput } = await import("../../src/ui/ink-output.js");
const { KEY_TABLE } = await import("../../src/ui/keys/table.js");
const { StoreContext } = await import("../../src/ui/store/context.js");
const { createAppStore } = await import("../../src/ui/store/index.js");

const { Terminal } = xterm;
const AGENTS = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"];

/** A terminal for Ink: a real headless one behind a stream that says it is a TTY. */
class HeadlessTty extends EventEmitter {
  readonly isTTY = true;
  readonly term: InstanceType<typeof Terminal>;
  writes: string[] = [];
  private pending: Promise<void>[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
    // A terminal behind a pty: the line discipline turns each "\n" into "\r\n" (ONLCR).
    this.term = new Terminal({
      cols: columns,
      rows,
      allowProposedApi: true,
      scrollback: 0,
      convertEol: true,
    });
  }
  write(data: string | Uint8Array): boolean {
    const text = typeof data === "string" ? data : Buffer.from(data).toString("utf8");
    this.writes.push(text);
    this.pending.push(new Promise<void>((resolve) => this.term.write(text, resolve)));
    return true;
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.term.resize(columns, rows);
    this.emit("resize");
  }
  /** Once every write so far is parsed. */
  async settled(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }
  /** Every cell of the screen: its text, colours and attributes, a line per row. */
  cells(): string[] {
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.rows; y++) {
      const line = buffer.getLine(y);
      let text = "";
      for (let x = 0; x < this.columns; x++) {
        const cell = line?.getCell(x);
        if (!cell) break;
        const attrs = [
          cell.getFgColorMode(),
          cell.getFgColor(),
          cell.getBgColorMode(),
          cell.getBgColor(),
          cell.isBold(),
          cell.isDim(),
          cell.isInverse(),
          cell.isUnderline(),
        ].join(",");
        text += `${cell.getChars() || " "}[${attrs}]`;
      }
      out.push(text);
    }
    return out;
  }
  /** Where this screen differs from `other`'s: a line per row, text or colours. */
  differences(other: HeadlessTty): string[] {
    const mine = this.cells();
    const theirs = other.cells();
    const text = this.text();
    const want = other.text();
    const out: string[] = [];
    for (let y = 0; y < Math.max(mine.length, theirs.length); y++) {
      if (text[y] !== want[y])
        out.push(`row ${y}: ${JSON.stringify(text[y])} (want ${JSON.stringify(want[y])})`);
      else if (mine[y] !== theirs[y])
        out.push(`row ${y}: colours or attributes differ in ${JSON.stringify(want[y])}`);
    }
    return out;
  }
  text(): string[] {
    const buffer = this.term.buffer.active;
    return Array.from(
      { length: this.rows },
      (_, y) => buffer.getLine(y)?.translateToString(true) ?? "",
    );
  }
}

const open: (() => void)[] = [];
afterEach(() => {
  for (const close of open.splice(0).reverse()) close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The control room's drawing (Ink through `inkOutput`, the direct panes) of `store` on `tty`. */
async function draw(store: AppStore, tty: HeadlessTty) {
  const stdout = tty as unknown as NodeJS.WriteStream;
  const panes = new DirectPanes(stdout, store);
  const output = inkOutput(stdout, panes);
  const ink = render(
    createElement(
      StoreContext.Provider,
      { value: store },
      createElement(App, { table: KEY_TABLE, paneRenderer: directPaneRenderer }),
    ),
    {
      stdout: output.stream,
      stdin: new PassThrough() as unknown as NodeJS.ReadStream,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 250,
      incrementalRendering: true,
    },
  );
  open.push(() => {
    ink.unmount();
    output.close();
    panes.close();
  });
  await quiet(tty);
}

/** Waits until Ink and the panes have written everything for the last change. */
async function quiet(tty: HeadlessTty): Promise<void> {
  let count = -1;
  while (count !== tty.writes.length) {
    count = tty.writes.length;
    await pause(40);
  }
  await tty.settled();
}

function room(cols: number, rows: number): AppStore {
  const store = createAppStore();
  store.getState().setSize(cols, rows);
  for (const id of AGENTS) {
    store
      .getState()
      .upsertAgent({ id, stream: id[0] ?? "A", task: "t", branch: `b-${id}`, status: "running" });
  }
  // The sidebar lists the streams and their agents, beside the panes' rows.
  store.setState({
    status: shopStatus(
      ["A", "B"].map((stream) =>
        streamReport(stream, `Stream ${stream}`, {
          status: "in_progress",
          agents: AGENTS.filter((id) => id.startsWith(stream)).map((id) => ({ id, task: "t" })),
        }),
      ),
    ),
  });
  frames(store, 0);
  return store;
}

/** Each pane's screen: rows that name the pane, the row and the round. */
function frames(store: AppStore, round: number): void {
  const placed = placedPanes(store.getState());
  const width = Math.max(...placed.map((p) => p.rect.width), 20);
  const next: Record<string, { rows: string[]; cols: number; offset: number }> = {};
  for (const id of AGENTS) {
    const rows = Array.from({ length: 40 }, (_, y) =>
      `\x1b[3${(y % 6) + 1}m${id} row ${y} round ${round}\x1b[0m`.padEnd(width + 9),
    );
    next[id] = { rows, cols: width, offset: 0 };
  }
  store.getState().setFrames(next);
}

/** A control room drawn afresh from the same state, on a new terminal of the same size. */
async function afresh(store: AppStore, cols: number, rows: number): Promise<HeadlessTty> {
  const tty = new HeadlessTty(cols, rows);
  await draw(store, tty);
  return tty;
}

describe("the control room's output", () => {
  // At 80x24 there is no sidebar: no line of Ink's beside the panes changes with a status.
  for (const [cols, rows, sidebar] of [
    [160, 48, true],
    [80, 24, false],
  ] as const) {
    it(`writes only the lines a change of the room changes, at ${cols}x${rows}`, async () => {
      const store = room(cols, rows);
      const tty = new HeadlessTty(cols, rows);
      await draw(store, tty);
      expect(tty.text().join("\n")).toContain("A1 row 0 round 0");
      // Ink's first frame is not one of its full-height redraws (it writes its lines where the
      // cursor is): the first redraw after it is whole, as after a resize.
      tty.writes = [];
      store.getState().showFlash("ready", 60_000);
      await quiet(tty);
      const whole = tty.writes.join("").length;
      expect(whole).toBeGreaterThan(cols * rows);

      // A message on the footer: one line.
      tty.writes = [];
      store.getState().showFlash("lock taken on src/billing.ts", 60_000);
      await quiet(tty);
      let written = tty.writes.join("");
      expect(written).toContain("lock taken");
      expect(written.includes("\x1b[2J"), "the whole screen cleared").toBe(false);
      expect(written.includes(" row "), "pane rows written").toBe(false);
      expect(written.length).toBeLessThan(whole / 10);
      expect(tty.differences(await afresh(store, cols, rows))).toEqual([]);

      // An agent's status: its title bar and its line of the sidebar (the pane rows on that
      // line are written again, the others are not).
      tty.writes = [];
      store.getState().upsertAgent({
        id: "B1",
        stream: "B",
        task: "t",
        branch: "b-B1",
        status: "waiting",
      });
      await quiet(tty);
      written = tty.writes.join("");
      expect(written.includes("\x1b[2J"), "the whole screen cleared").toBe(false);
      expect(written.length).toBeLessThan(whole / 3);
      const paneRows = written.match(/[AB]\d row \d+ round/g) ?? [];
      if (sidebar) expect(paneRows.length).toBeGreaterThan(0);
      else expect(paneRows).toEqual([]);
      expect(paneRows.length).toBeLessThan(AGENTS.length * 4);
      expect(tty.differences(await afresh(store, cols, rows))).toEqual([]);

      // Nothing changed on the screen: nothing is written.
      tty.writes = [];
      store.getState().showFlash("lock taken on src/billing.ts", 60_000);
      await quiet(tty);
      expect(tty.writes.join("").replace(/\x1b\[\?2026[hl]/g, "")).toBe("");

      // The panes' own rows still go as before, and the screen stays true.
      frames(store, 1);
      await quiet(tty);
      expect(tty.text().join("\n")).toContain("A1 row 0 round 1");
      expect(tty.differences(await afresh(store, cols, rows))).toEqual([]);
    });
  }

  it("leaves nothing of what was on the screen before its first frame (a painted frame of another layout)", async () => {
    // An empty room: the App's grid is blank but for two lines, where a painted frame of
    // another layout had its panel's tab bar (`tower attach` paints before Ink loads).
    const store = createAppStore();
    store.getState().setSize(120, 30);
    const tty = new HeadlessTty(120, 30);
    for (let y = 1; y <= 30; y++) tty.write(`\x1b[${y};1H${`stale ${y} `.repeat(12)}`);
    tty.write("\x1b[H");
    await tty.settled();
    await draw(store, tty);
    expect(tty.text().join("\n")).toContain("No agent is running.");
    expect(tty.text().join("\n")).not.toContain("stale");
    expect(tty.differences(await afresh(store, 120, 30))).toEqual([]);
  });

  it("draws the whole screen again when the panes move, and after a resize", async () => {
    const store = room(160, 48);
    const tty = new HeadlessTty(160, 48);
    await draw(store, tty);

    // Zoomed: another layout, drawn whole.
    store.getState().select("B2");
    store.getState().setZoomed(true);
    await quiet(tty);
    expect(tty.differences(await afresh(store, 160, 48))).toEqual([]);
    store.getState().setZoomed(false);
    await quiet(tty);
    expect(tty.differences(await afresh(store, 160, 48))).toEqual([]);

    // A dialog over the grid, then closed.
    store.getState().openModal({ kind: "text", title: "Note", lines: ["hello"], offset: 0 });
    await quiet(tty);
    expect(tty.differences(await afresh(store, 160, 48))).toEqual([]);
    store.getState().closeModal();
    await quiet(tty);
    expect(tty.differences(await afresh(store, 160, 48))).toEqual([]);

    // The terminal shrinks, then grows (as run.ts does: the store learns the size too).
    for (const [cols, rows] of [
      [100, 30],
      [140, 40],
    ] as const) {
      tty.resize(cols, rows);
      store.getState().setSize(cols, rows);
      frames(store, 2);
      await quiet(tty);
      expect(tty.differences(await afresh(store, cols, rows))).toEqual([]);
    }
  });
});
