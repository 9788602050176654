/**
 * Keys through the dispatcher over a real repository and real state files: the commands reach a
 * real room (on its own store, so the agents this test puts on screen stay as it put them),
 * except the agents' sessions, which are a recorder here (they have their own tests on real
 * pseudo-terminals, and the room's in test/room).
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/engine/project.js";
import { buildStatus } from "../../src/engine/status.js";
import type { RoomCommand, RoomReply } from "../../src/room/commands.js";
import { screenLayout, visiblePanes } from "../../src/room/layout.js";
import { Room } from "../../src/room/room.js";
import { createRoomStore } from "../../src/room/state.js";
import { keyContext } from "../../src/ui/input/context.js";
import { type Controller, handleInput } from "../../src/ui/input/dispatch.js";
import { paletteRows } from "../../src/ui/input/palette.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { createAppStore } from "../../src/ui/store/index.js";
import { helpPages } from "../../src/ui/view/help.js";
import { tabBar } from "../../src/ui/view/panel.js";
import { dialogTextWidth, lineText } from "../../src/ui/view/types.js";
import { git, makeRepo, readJson, type TempRepo, tower, waitFor } from "../helpers/repo.js";

let repo: TempRepo;
const closers: (() => Promise<unknown>)[] = [];
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  repo.cleanup();
});

/** The session commands, recorded as the old dispatcher tests wrote them. */
function sessionCall(command: RoomCommand): string | undefined {
  switch (command.type) {
    case "input":
      return `input ${command.agent} ${JSON.stringify(command.data)}`;
    case "approve":
    case "deny":
    case "stop":
    case "restart":
      return `${command.type} ${command.agent}`;
    case "scroll":
      return `scroll ${command.agent} ${command.lines}`;
    case "copy":
      return `copy ${command.agent} ${command.action.do}`;
    case "paste":
      return `paste ${command.agent} ${command.text.split("\n")[0]}`;
    default:
      return undefined;
  }
}

const RUNNING = ["A1", "E1"];

async function rig() {
  const project = await openProject(repo.root);
  const store = createAppStore();
  store.getState().setStatus(await buildStatus(project));
  const room = await Room.open(project, createRoomStore(), {
    commandOverride: [process.execPath, "-e", "setInterval(() => {}, 1000)"],
    session: { stopGraceMs: 500 },
  });
  closers.push(() => room.close(500));
  const calls: string[] = [];
  const client: Controller["client"] = {
    async run(command): Promise<RoomReply> {
      const call = sessionCall(command);
      if (call) {
        calls.push(call);
        return {
          ok: true,
          ...(command.type === "restart" && { text: `restarted ${command.agent}` }),
          ...(command.type === "copy" && { value: {} }),
        };
      }
      if (command.type === "running") return { ok: true, value: RUNNING };
      const reply = await room.run(command);
      // The receivers this test pretends are running.
      if (command.type === "handoff" && reply.ok) {
        const value = reply.value as { to: string[]; running: string[] };
        value.running = value.to.filter((id) => RUNNING.includes(id));
      }
      return reply;
    },
    on: (listener) => room.on(listener),
  };
  let quit = false;
  const ctl: Controller = {
    store,
    client,
    table: KEY_TABLE,
    quit: () => (quit = true),
  };
  for (const [id, stream] of [
    ["A1", "A"],
    ["E1", "E"],
  ] as const) {
    store.getState().upsertAgent({ id, stream, task: "t", branch: "b", status: "waiting" });
  }
  return { ctl, store, calls, project, quitted: () => quit };
}

describe("the dispatcher", () => {
  it("answers a waiting agent, types in insert mode and leaves it with Ctrl-], running the keys after it", async () => {
    const { ctl, store, calls } = await rig();
    handleInput(ctl, "y");
    handleInput(ctl, "i");
    expect(store.getState().mode).toBe("insert");
    handleInput(ctl, "hello\r");
    handleInput(ctl, "ab\x1dz");
    expect(store.getState().mode).toBe("normal");
    expect(store.getState().zoomed).toBe(true);
    // The escape key (Ctrl-]) stays with the control room: the agent gets what came before it.
    expect(calls).toEqual(["approve A1", 'input A1 "hello\\r"', 'input A1 "ab"']);
  });

  it("M lists every message whole: a long one wraps at the dialog's width under its time", async () => {
    const { ctl, store } = await rig();
    store.getState().setSize(80, 24);
    const long =
      "A cannot be merged: its worktree has uncommitted changes (src/hello.ts, src/other.ts); a merge takes only commits: commit them there (or remove them) first";
    store.getState().showFlash("short one");
    store.getState().showFlash(long);
    handleInput(ctl, "M");
    const modal = store.getState().modal;
    if (modal?.kind !== "text") throw new Error(`no text: ${JSON.stringify(modal)}`);
    expect(modal.title).toBe("Messages (2)");
    const width = dialogTextWidth(80);
    for (const line of modal.lines) expect(line.length, line).toBeLessThanOrEqual(width);
    expect(modal.lines[0]).toMatch(/^\d\d:\d\d:\d\d {2}short one$/);
    expect(modal.lines[1]).toMatch(/^\d\d:\d\d:\d\d {2}A cannot be merged: /);
    // The rows after the first stand under the text, not the time; together they are the message.
    expect(modal.lines.length).toBeGreaterThan(2);
    for (const line of modal.lines.slice(2)) expect(line).toMatch(/^ {10}\S/);
    expect(
      modal.lines
        .slice(1)
        .map((l) => l.slice(10))
        .join(" "),
    ).toBe(long);
  });

  it("says why a key does not apply, and asks before quitting with agents running", async () => {
    const { ctl, store, quitted } = await rig();
    handleInput(ctl, "c");
    expect(store.getState().flash?.text).toBe("A is pending, not in progress");
    handleInput(ctl, "u");
    expect(store.getState().flash?.text).toBe("no lock is held");
    handleInput(ctl, "q");
    expect(store.getState().modal).toMatchObject({ kind: "confirm", title: "Quit Tower?" });
    handleInput(ctl, "n");
    expect(quitted()).toBe(false);
    handleInput(ctl, "q");
    handleInput(ctl, "y");
    expect(quitted()).toBe(true);
  });

  it("hands off through the form prefilled from git, records it and pastes it into running receivers", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    const worktree = path.join(path.dirname(repo.root), "demo-stream-A");
    await fsp.mkdir(path.join(worktree, "config"));
    await fsp.writeFile(path.join(worktree, "config/api.ts"), "export function charge() {}\n");
    git(worktree, "add", ".");
    git(worktree, "commit", "-q", "-m", "Add charging");
    const { ctl, store, calls } = await rig();
    handleInput(ctl, "H");
    const form = () => {
      const modal = store.getState().modal;
      if (modal?.kind !== "form") throw new Error(`no form: ${JSON.stringify(modal)}`);
      return modal;
    };
    await waitFor(
      () => (store.getState().modal?.kind === "form" ? true : undefined),
      5000,
      "the handoff form",
    );
    expect(form().draft).toBe("E1");
    handleInput(ctl, "\r");
    expect(form().fields[1]).toMatchObject({ kind: "list", items: ["Add charging"] });
    // An entry with a semicolon stays one entry.
    handleInput(ctl, "refund() { return -amount; }\r");
    handleInput(ctl, "\r\r\r\r");
    handleInput(ctl, "see api.ts\r");
    // Recorded, then shown, and pasted only when the user says so.
    await waitFor(
      () => (store.getState().modal?.kind === "confirm" ? true : undefined),
      5000,
      `the paste question (${store.getState().flash?.text})`,
    );
    expect(store.getState().modal).toMatchObject({
      title: "Handed off to E1: paste it into E1?",
    });
    expect(calls.some((c) => c.startsWith("paste"))).toBe(false);
    handleInput(ctl, "y");
    await waitFor(
      () => (calls.some((c) => c.startsWith("paste E1")) ? true : undefined),
      5000,
      `the paste (${store.getState().flash?.text})`,
    );
    const file = (await readJson(path.join(repo.stateDir, "handoffs.json"))) as {
      handoffs: Record<string, unknown>[];
    };
    expect(file.handoffs[0]).toMatchObject({
      from_agent: "A1",
      to_agents: ["E1"],
      completed_tasks: ["Add charging", "refund() { return -amount; }"],
      context: {
        new_interfaces: ["config/api.ts: export function charge() {}"],
        notes: "see api.ts",
      },
    });
  });

  it("starts a stream picked from those that can start, and completes the selected agent's stream", async () => {
    const { ctl, store, project } = await rig();
    handleInput(ctl, "s");
    expect(store.getState().modal).toMatchObject({
      kind: "pick",
    });
    expect(
      (store.getState().modal as { options: { label: string }[] }).options.map((o) => o.label),
    ).toEqual(["A  Foundation", "B  Observability", "C  Analytics", "D  Scanners"]);
    handleInput(ctl, "\r");
    await waitFor(
      () => (store.getState().flash?.text.startsWith("started A") ? true : undefined),
      10_000,
      "the start",
    );
    store.getState().setStatus(await buildStatus(project));
    // Left uncommitted by its agent: the completion says a merge would not take it.
    const worktree = path.join(path.dirname(repo.root), "demo-stream-A");
    await fsp.writeFile(path.join(worktree, "scratch.txt"), "not committed\n");
    handleInput(ctl, "c");
    await waitFor(
      () => (store.getState().flash?.text.startsWith("completed A") ? true : undefined),
      10_000,
      "the completion",
    );
    expect(store.getState().flash?.text).toBe(
      "completed A; can start now: E; A's worktree has 1 uncommitted file (scratch.txt): a merge includes only committed work",
    );
    const state = (await readJson(path.join(repo.stateDir, "orchestrator_state.json"))) as {
      streams: Record<string, { status: string }>;
    };
    expect(state.streams.A?.status).toBe("completed");
  });

  it("merges after confirming and wraps what it says to the dialog's width, keeping what it keeps", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    const worktree = path.join(path.dirname(repo.root), "demo-stream-A");
    await fsp.mkdir(path.join(worktree, "config"), { recursive: true });
    await fsp.writeFile(path.join(worktree, "config/app.yaml"), "name: A\n");
    git(worktree, "add", ".");
    git(worktree, "commit", "-q", "-m", "A's config");
    // Work not committed: m says why it cannot merge (a merge takes only commits).
    await fsp.writeFile(path.join(worktree, "draft.md"), "draft\n");
    expect((await tower(repo.root, ["complete", "A"])).code).toBe(0);
    const { ctl, store, project } = await rig();
    store.getState().setSize(80, 24);
    handleInput(ctl, "m");
    const refused = await waitFor(
      () =>
        store.getState().flash?.text.match(/^A's worktree .* has 1 uncommitted file \(draft\.md\)/),
      10_000,
      "the refusal",
    );
    expect(refused?.input).toContain("a merge takes only commits");
    expect(store.getState().modal).toBeUndefined();
    await fsp.rm(path.join(worktree, "draft.md"));
    // An ignored file an agent left (not reproducible) does not stop the merge; it keeps the
    // worktree, and the dialog says so in lines of its width.
    await fsp.appendFile(path.join(repo.root, ".git/info/exclude"), "notes-*.txt\n");
    await fsp.writeFile(path.join(worktree, "notes-left-behind-by-an-agent.txt"), "draft\n");
    handleInput(ctl, "m");
    await waitFor(
      () => (store.getState().modal?.kind === "confirm" ? true : undefined),
      10_000,
      "the confirm dialog",
    );
    handleInput(ctl, "y");
    const done = await waitFor(() => {
      const modal = store.getState().modal;
      return modal?.kind === "text" && modal.title.startsWith("Merge of A") ? modal : undefined;
    }, 20_000);
    expect(done.title).toBe("Merge of A: merged");
    const said = done.lines.filter((line) => !line.startsWith("$ ") && !line.startsWith("  "));
    for (const line of said) expect(line.length, line).toBeLessThanOrEqual(dialogTextWidth(80));
    const text = said.join(" ");
    expect(text).toContain(`worktree ${worktree} kept: 1 ignored file that is not reproducible`);
    expect(text).toContain("notes-left-behind-by-an-agent.txt");
    expect(git(repo.root, "log", "-1", "--format=%s").trim()).toBe("Merge stream A: Foundation");
    // X offers to clean the merged stream up; its dialog's lines are whole sentences, each
    // wrapped by the dialog at its width (a sentence cut by hand broke short at 80 columns).
    handleInput(ctl, "\x1b");
    store.getState().setStatus(await buildStatus(project));
    handleInput(ctl, "X");
    const cleanup = store.getState().modal;
    if (cleanup?.kind !== "confirm") throw new Error(`no confirm: ${JSON.stringify(cleanup)}`);
    expect(cleanup.title).toBe("Clean up A? It is merged.");
    for (const line of cleanup.lines) expect(line, line).toMatch(/[.:?]$/);
    expect(cleanup.lines.join(" ")).toContain(
      "(no uncommitted, untracked or unreproducible ignored file)",
    );
  });

  it("approves and rejects checkpoints, releases a lock after confirming, shows a diff, scrolls, stops and restarts", async () => {
    expect((await tower(repo.root, ["lock", "x.py", "--agent", "B1"])).code).toBe(0);
    const { ctl, store, calls, project } = await rig();
    const { listLocks } = await import("../../src/engine/locks.js");
    store.getState().setLocks(listLocks(await project.store.read("locks")));
    handleInput(ctl, "u");
    expect(store.getState().modal).toMatchObject({
      kind: "confirm",
      title: "Release the lock on x.py?",
    });
    handleInput(ctl, "y");
    await waitFor(
      () => (store.getState().flash?.text === "released x.py" ? true : undefined),
      10_000,
      "the release",
    );
    expect(
      ((await readJson(path.join(repo.stateDir, "file_locks.json"))) as { locks: object }).locks,
    ).toEqual({});
    // The list not yet refreshed: the same row again says it is gone, not that it was released.
    handleInput(ctl, "u");
    handleInput(ctl, "y");
    await waitFor(
      () =>
        store.getState().flash?.text === "x.py is not locked (any more): nothing released"
          ? true
          : undefined,
      10_000,
      "the second release's answer",
    );

    store.getState().setTab("checkpoints");
    store
      .getState()
      .setCheckpoints([
        { id: "design_review", status: "pending", kind: "approval", dependsOn: [], waitingFor: [] },
      ]);
    handleInput(ctl, "a");
    await waitFor(
      () => (store.getState().flash?.text === "approved design_review" ? true : undefined),
      10_000,
      "the approval",
    );
    store.getState().setCheckpoints([
      {
        id: "final_review",
        status: "pending",
        kind: "approval",
        dependsOn: ["design_review"],
        waitingFor: [],
      },
    ]);
    handleInput(ctl, "r");
    handleInput(ctl, "too early\r");
    await waitFor(
      () => (store.getState().flash?.text === "rejected final_review" ? true : undefined),
      10_000,
      "the rejection",
    );
    const checkpoints = (await readJson(path.join(repo.stateDir, "checkpoints.json"))) as {
      checkpoints: Record<string, { status: string; note: string }>;
    };
    expect(checkpoints.checkpoints.design_review?.status).toBe("approved");
    expect(checkpoints.checkpoints.final_review).toMatchObject({
      status: "rejected",
      note: "too early",
    });

    // A has not started: it has no worktree to review (test/room/review.test.ts reviews one).
    handleInput(ctl, "d");
    await waitFor(
      () => (store.getState().flash?.text.includes("no worktree") ? true : undefined),
      10_000,
      "the diff's refusal",
    );
    expect(store.getState().flash?.text).toBe("A has no worktree to review: start it with s");
    expect(store.getState().mode).toBe("normal");
    // PgUp scrolls back in copy mode (its own keys: x does nothing there); q leaves it.
    handleInput(ctl, "\x1b[5~");
    expect(store.getState().mode).toBe("copy");
    handleInput(ctl, "x");
    expect(store.getState().modal).toBeUndefined();
    handleInput(ctl, "q");
    expect(store.getState().mode).toBe("normal");
    handleInput(ctl, "x");
    expect(store.getState().modal).toMatchObject({ kind: "confirm", title: "Stop A1?" });
    handleInput(ctl, "y");
    store.getState().setAgentStatus("A1", "exited", { code: 0, signal: null });
    handleInput(ctl, "x");
    await waitFor(() => (calls.includes("restart A1") ? true : undefined), 5000, "the restart");
    expect(calls).toEqual(
      expect.arrayContaining(["copy A1 page", "copy A1 exit", "stop A1", "restart A1"]),
    );
    handleInput(ctl, "w");
    expect(store.getState().selected).toBe("E1");
  });

  it("takes the mouse: a click selects a pane or a tab, the wheel scrolls back in copy mode, never typed into the agent", async () => {
    const { ctl, store, calls } = await rig();
    store.getState().setSize(120, 40);
    const layout = screenLayout(120, 40);
    const panes = visiblePanes(["A1", "E1"], "A1", layout.grid, false);
    const at = (id: string) => {
      const rect = panes.find((p) => p.id === id)?.rect;
      if (!rect) throw new Error(`no pane ${id}`);
      return { x: rect.x + 3, y: rect.y + 3 };
    };
    // SGR mouse: button;column;row from 1, M pressed, m released.
    const press = (button: number, p: { x: number; y: number }) =>
      `\x1b[<${button};${p.x + 1};${p.y + 1}M\x1b[<${button};${p.x + 1};${p.y + 1}m`;
    handleInput(ctl, press(0, at("E1")));
    expect(store.getState().selected).toBe("E1");
    handleInput(ctl, press(64, at("A1")));
    expect(store.getState().selected).toBe("A1");
    expect(store.getState().mode).toBe("copy");
    await waitFor(() => (calls.includes("copy A1 scroll") ? true : undefined), 5_000, "a scroll");
    // A click on the tab bar's Activity label.
    const bar = lineText(tabBar({ ...store.getState(), agents: [] }, store.getState().tab, 120));
    handleInput(ctl, press(0, { x: bar.indexOf("Activity") + 2, y: layout.panel.y }));
    expect(store.getState().tab).toBe("activity");
    handleInput(ctl, "q");
    expect(store.getState().mode).toBe("normal");
    // In insert mode the mouse is still the control room's: the agent gets only the typing.
    handleInput(ctl, "i");
    handleInput(ctl, `a${press(0, at("A1"))}b`);
    expect(calls.filter((c) => c.startsWith("input"))).toEqual(['input A1 "ab"']);
  });

  it("J/K move through a tab's rows (scrolled into view); o, or Enter after J/K, opens the row whole", async () => {
    const { ctl, store } = await rig();
    store.setState({
      activity: Array.from({ length: 30 }, (_, i) => ({
        timestamp: "2026-12-01T10:00:00.000000",
        agent: "A1",
        stream: "A",
        action: i === 0 ? "merge_failed" : "lock",
        ...(i === 0 && { reason: "validation failed", output: "npm test\n2 failed" }),
      })),
    });
    while (store.getState().tab !== "activity") handleInput(ctl, "\t");
    // Newest first: the merge that failed, written first, is the 30th row.
    for (let i = 0; i < 40; i++) handleInput(ctl, "J");
    expect(store.getState().tabRow).toBe(29);
    handleInput(ctl, "\r");
    expect(store.getState().mode).toBe("normal");
    expect(store.getState().modal).toMatchObject({
      kind: "text",
      title: "Activity: row 30 of 30",
      lines: expect.arrayContaining([
        "action: merge_failed",
        "reason: validation failed",
        "output:",
        "  npm test",
        "  2 failed",
      ]),
    });
    handleInput(ctl, "\x1b");
    // A pane key gives the panes the keys back: Enter types again.
    handleInput(ctl, "l");
    handleInput(ctl, "\r");
    expect(store.getState().mode).toBe("insert");
    handleInput(ctl, "\x1d");
    handleInput(ctl, "o");
    expect(store.getState().modal?.kind).toBe("text");
  });

  it("pages through the help with j and k, and closes it with Esc", async () => {
    const { ctl, store } = await rig();
    store.getState().setSize(80, 24);
    handleInput(ctl, "?");
    expect(store.getState().helpOpen).toBe(true);
    const pages = helpPages(KEY_TABLE, 80, 21).length;
    expect(pages).toBeGreaterThan(1);
    for (let i = 0; i < pages + 2; i++) handleInput(ctl, "j");
    expect(store.getState().helpPage).toBe(pages - 1);
    handleInput(ctl, "k");
    expect(store.getState().helpPage).toBe(pages - 2);
    handleInput(ctl, "\x1b");
    expect(store.getState().helpOpen).toBe(false);
    handleInput(ctl, "?");
    expect(store.getState().helpPage).toBe(0);
  });

  it("says on the message line when what is typed or pasted is refused (an agent not reading it)", async () => {
    const { ctl, store } = await rig();
    const refused =
      "A1 is not reading its input: 17 MiB wait for it; nothing more is sent until it reads";
    const { run } = ctl.client;
    ctl.client = {
      ...ctl.client,
      run: async (command) =>
        command.type === "input" || command.type === "paste"
          ? { ok: false, error: refused }
          : run(command),
    };
    handleInput(ctl, "i");
    handleInput(ctl, "more");
    await waitFor(() => (store.getState().flash?.text === refused ? true : undefined), 5_000);
    store.setState({ flash: undefined });
    handleInput(ctl, "\x1b[200~a paste\x1b[201~");
    await waitFor(() => (store.getState().flash?.text === refused ? true : undefined), 5_000);
    expect(store.getState().mode).toBe("insert");
  });

  it("never reads a paste as keys: in normal mode it offers to paste, in insert mode it is one paste", async () => {
    const { ctl, store, calls, quitted } = await rig();
    // "see my notes: query" pasted in normal mode: q and y would have quit.
    handleInput(ctl, "\x1b[200~see my notes: query\x1b[201~");
    expect(quitted()).toBe(false);
    expect(store.getState().modal).toMatchObject({ kind: "confirm", title: "Paste into A1?" });
    expect(calls).toEqual([]);
    handleInput(ctl, "y");
    expect(calls).toEqual(["paste A1 see my notes: query"]);

    // Insert mode: a multi-line paste, in two chunks, reaches the agent as one paste.
    handleInput(ctl, "i");
    handleInput(ctl, "\x1b[200~line one\nline");
    handleInput(ctl, " two\x1b[2");
    handleInput(ctl, "01~x");
    expect(calls.slice(1)).toEqual(["paste A1 line one", 'input A1 "x"']);
    expect(store.getState().mode).toBe("insert");
  });

  it("never takes a confirmation's answer from the burst of keys that opened it", async () => {
    const { ctl, store, quitted } = await rig();
    // Without bracketed paste, a paste is a burst: "qy" must not quit.
    handleInput(ctl, "qy");
    expect(quitted()).toBe(false);
    expect(store.getState().modal).toMatchObject({ kind: "confirm", title: "Quit Tower?" });
    expect(store.getState().flash?.text).toBe(
      "1 key typed with it ignored: answer the question on its own",
    );
    handleInput(ctl, "y");
    expect(quitted()).toBe(true);
  });

  it("moves between panes with h and l and stops at the edge instead of wrapping round", async () => {
    const { ctl, store } = await rig();
    store.getState().setSize(160, 48);
    store.getState().select("A1");
    handleInput(ctl, "h");
    expect(store.getState().selected).toBe("A1");
    handleInput(ctl, "l");
    expect(store.getState().selected).toBe("E1");
    handleInput(ctl, "l");
    expect(store.getState().selected).toBe("E1");
  });

  it("keeps a message on the message line until the next key, and every message in the list M opens", async () => {
    const { ctl, store } = await rig();
    handleInput(ctl, "c");
    expect(store.getState().flash?.text).toBe("A is pending, not in progress");
    handleInput(ctl, "u");
    expect(store.getState().flash?.text).toBe("no lock is held");
    handleInput(ctl, "M");
    expect(store.getState().flash).toBeUndefined();
    const modal = store.getState().modal;
    expect(modal).toMatchObject({ kind: "text", title: "Messages (2)" });
    expect((modal as { lines: string[] }).lines.map((l) => l.slice(10))).toEqual([
      "A is pending, not in progress",
      "no lock is held",
    ]);
  });

  it("runs any command from the palette by a few letters of its name, saying why one does not apply", async () => {
    const { ctl, store } = await rig();
    handleInput(ctl, ":");
    expect(store.getState().modal).toMatchObject({ kind: "palette", query: "" });
    handleInput(ctl, "zoom");
    const rows = paletteRows(ctl.table, keyContext(store.getState()), "zoom");
    expect(rows[0]?.id).toBe("pane.zoom");
    handleInput(ctl, "\r");
    expect(store.getState().modal).toBeUndefined();
    expect(store.getState().zoomed).toBe(true);
    // Complete does not apply (A is pending): the palette says why, as the key would.
    handleInput(ctl, ":");
    handleInput(ctl, "stream.complete\r");
    expect(store.getState().flash?.text).toBe("A is pending, not in progress");
  });

  it("types what follows i in the same burst into the agent, not as commands", async () => {
    const { ctl, store, calls } = await rig();
    handleInput(ctl, "ibefore detach");
    expect(store.getState().mode).toBe("insert");
    expect(store.getState().modal).toBeUndefined();
    expect(calls).toEqual(['input A1 "before detach"']);
  });
});
