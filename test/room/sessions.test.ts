/**
 * Agent sessions managed for the control room, on real pseudo-terminals with the fake agent: a
 * stream started from another terminal gets its agents, frames reach the store, a question makes
 * the agent `waiting` until approved, the escape key is reported, panes are sized by the layout,
 * agents.json is kept for other tools, the first sync resumes conversations, and quitting leaves
 * no process behind.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/engine/project.js";
import { StateStore } from "../../src/engine/state/store.js";
import { visiblePaneSizes } from "../../src/room/sessions.js";
import { type Services, type ServicesOptions, startServices } from "../../src/ui/services/index.js";
import type { AppStore } from "../../src/ui/store/index.js";
import { cleanEnv, git, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, fixture, isGone, onCleanup, plain, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const planWith = (agent: readonly string[], extra = "") => `version: 1
project: demo
agent: ${yamlArgv(agent)}
streams:
  A:
    name: Foundation
    agents:
      - { id: A1, task: "Consolidate config"${extra} }
      - { id: A2, task: "Clean up utils"${extra} }
  B:
    name: Observability
    agents:
      - { id: B1, task: "Structured logging"${extra} }
`;

const SCRIPT = "banner\nwork 300\nask Do you want to proceed?\necho";

async function start(plan: string, options: ServicesOptions = {}) {
  const f = await fixture(plan);
  f.store.getState().setSize(200, 50);
  return {
    ...f,
    begin: (more: ServicesOptions = {}) => begin(f.project, f.store, { ...options, ...more }),
  };
}

async function begin(
  project: Parameters<typeof startServices>[0],
  store: AppStore,
  options: ServicesOptions,
): Promise<Services> {
  const services = await startServices(project, store, {
    ...options,
    session: { env: cleanEnv(), stopGraceMs: 3_000 },
  });
  onCleanup(() => services.close(500));
  return services;
}

const frameText = (store: AppStore, id: string): string =>
  plain(store.getState().frames[id]?.rows ?? []);

/** agents.json through the engine's reader (the file is rewritten in place while we read). */
const agentsFile = (stateDir: string) => new StateStore(stateDir).read("agents");

describe("session manager", () => {
  it("starts the agents of a stream started elsewhere and follows them to the end", async () => {
    const { repo, store, begin: go } = await start(planWith(fakeAgent(SCRIPT)));
    const services = await go();
    const sessions = services.sessions;
    expect(sessions.running()).toEqual([]);

    const started = await tower(repo.root, ["start", "A"]);
    expect(started.code).toBe(0);
    await waitFor(
      () => (sessions.running().length === 2 ? true : undefined),
      15_000,
      "A's agents running",
    );
    expect(sessions.running().sort()).toEqual(["A1", "A2"]);
    expect(store.getState().agentOrder).toEqual(["A1", "A2"]);
    expect(store.getState().agents.A1).toMatchObject({
      id: "A1",
      stream: "A",
      task: "Consolidate config",
      branch: "feature/stream-A-foundation",
    });
    // The agent runs in the stream's worktree.
    expect(sessions.get("A1")?.worktree).toBe(path.join(path.dirname(repo.root), "demo-stream-A"));

    // Frames arrive in the store.
    await waitFor(
      () => (frameText(store, "A1").includes("agent A1 · stream A") ? true : undefined),
      15_000,
      "the banner in A1's frame",
    );
    // The banner's rows are written one by one: its first row came in the same or an earlier frame.
    expect(frameText(store, "A1")).toContain("Welcome to Fake Agent");

    // The question: waiting, until approved.
    await waitFor(
      () => (store.getState().agents.A1?.status === "waiting" ? true : undefined),
      15_000,
      "A1 waiting",
    );
    // agents.json follows (written in order, just after the store).
    await waitFor(
      async () =>
        (await agentsFile(repo.stateDir)).agents.A1?.status === "waiting" ? true : undefined,
      5_000,
      "A1 waiting in agents.json",
    );
    expect((await agentsFile(repo.stateDir)).agents.A1).toMatchObject({
      stream: "A",
      pid: expect.any(Number),
    });
    sessions.approve("A1");
    await waitFor(
      () => (store.getState().agents.A1?.status !== "waiting" ? true : undefined),
      15_000,
      "A1 no longer waiting",
    );
    expect(["running", "idle"]).toContain(store.getState().agents.A1?.status);

    // Keys: forwarded (echoed at once), up to the escape key.
    await waitFor(
      () => (/^>$/m.test(frameText(store, "A1")) ? true : undefined),
      15_000,
      "the prompt",
    );
    expect(sessions.input("A1", "hello\r")).toEqual({ escape: false, rest: "" });
    await waitFor(
      () => (frameText(store, "A1").includes("You said: hello") ? true : undefined),
      15_000,
      "the echo",
    );
    expect(sessions.input("A1", "\x1d")).toEqual({ escape: true, rest: "" });
    expect(sessions.input("A1", "again\r\x1dq")).toEqual({ escape: true, rest: "q" });
    await waitFor(
      () => (frameText(store, "A1").includes("You said: again") ? true : undefined),
      15_000,
      "what came before the escape key",
    );

    // agents.json for other tools.
    const record = (await agentsFile(repo.stateDir)).agents.A1;
    expect(record).toMatchObject({ stream: "A", exit_code: null, signal: null });
    expect(record?.pid).toBe(sessions.get("A1")?.pid);
    expect(String(record?.updated)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // Quitting: every process gone, every agent exited.
    const pids = ["A1", "A2"].map((id) => sessions.get(id)?.pid as number);
    expect(pids.every((pid) => typeof pid === "number")).toBe(true);
    await sessions.stopAll();
    expect(sessions.running()).toEqual([]);
    expect(pids.every(isGone)).toBe(true);
    expect(store.getState().agents.A1?.status).toBe("exited");
    const after = (await agentsFile(repo.stateDir)).agents;
    expect(after.A1).toMatchObject({ status: "exited", pid: null });
    expect(after.A2).toMatchObject({ status: "exited", pid: null });
  });

  it("sizes the visible panes from the layout, and the zoomed one alone", async () => {
    const { repo, store, begin: go } = await start(planWith(fakeAgent("banner\necho")));
    await tower(repo.root, ["start", "A"]);
    const { sessions } = await go();
    await waitFor(() => (sessions.running().length === 2 ? true : undefined), 15_000, "agents");
    const a1 = sessions.get("A1");
    const a2 = sessions.get("A2");
    // Started at their pane's size for the store's 200 x 50 screen (its bottom panel as its
    // content needs).
    const panel = store.getState().panelRows;
    expect(panel).toBeLessThan(12);
    const initial = visiblePaneSizes(["A1", "A2"], { cols: 200, rows: 50, zoomed: false, panel });
    expect([a1?.cols, a1?.rows]).toEqual([initial.get("A1")?.cols, initial.get("A1")?.rows]);

    const sizes = sessions.layout({ cols: 120, rows: 40, zoomed: false, selected: "A1" });
    expect(sizes.size).toBe(2);
    expect({ cols: a1?.cols, rows: a1?.rows }).toEqual(sizes.get("A1"));
    expect({ cols: a2?.cols, rows: a2?.rows }).toEqual(sizes.get("A2"));
    await waitFor(
      () => (store.getState().frames.A1?.cols === sizes.get("A1")?.cols ? true : undefined),
      5_000,
      "a frame at the new size",
    );

    const zoomed = sessions.layout({ cols: 120, rows: 40, zoomed: true, selected: "A2" });
    expect([...zoomed.keys()]).toEqual(["A2"]);
    expect(zoomed.get("A2")).toEqual({ cols: 120, rows: 37 });
    expect([a2?.cols, a2?.rows]).toEqual([120, 37]);
    // The hidden pane keeps its size.
    expect({ cols: a1?.cols, rows: a1?.rows }).toEqual(sizes.get("A1"));

    // Following the store: a new terminal size resizes the panes.
    store.getState().setSize(100, 30);
    const expected = visiblePaneSizes(["A1", "A2"], {
      cols: 100,
      rows: 30,
      zoomed: false,
      panel: store.getState().panelRows,
    });
    expect({ cols: a1?.cols, rows: a1?.rows }).toEqual(expected.get("A1"));
  });

  it("scrolls a pane back into its history and returns to the live screen on input", async () => {
    const lines = Array.from({ length: 80 }, (_, i) => `say row ${i + 1}`).join("\n");
    const { repo, store, begin: go } = await start(planWith(fakeAgent(`${lines}\necho`)));
    await tower(repo.root, ["start", "A"]);
    const { sessions } = await go();
    await waitFor(
      () => (frameText(store, "A1").includes("row 80") ? true : undefined),
      15_000,
      "all rows",
    );
    const offset = sessions.scroll("A1", 1_000);
    expect(offset).toBeGreaterThan(0);
    expect(store.getState().frames.A1?.offset).toBe(offset);
    expect(frameText(store, "A1")).toContain("row 1\n");
    expect(sessions.scroll("A1", -1_000)).toBe(0);
    sessions.scroll("A1", 5);
    sessions.input("A1", "x");
    expect(store.getState().frames.A1?.offset).toBe(0);
  });

  it("resumes the conversations of the first sync only; a stream started later starts fresh", async () => {
    const script = ["sh", "-c", 'echo "args:[$*]"; exec cat', "sh"];
    const {
      repo,
      store,
      begin: go,
    } = await start(planWith(script, ", preset: claude"), {
      resume: true,
    });
    await tower(repo.root, ["start", "A"]);
    const { sessions } = await go();
    await waitFor(
      () => (frameText(store, "A1").includes("args:[") ? true : undefined),
      15_000,
      "A1's arguments",
    );
    expect(frameText(store, "A1")).toContain("args:[--continue]");

    await tower(repo.root, ["start", "B"]);
    await waitFor(
      () => (frameText(store, "B1").includes("args:[") ? true : undefined),
      15_000,
      "B1's arguments",
    );
    expect(frameText(store, "B1")).toContain("args:[]");
    expect(sessions.running().sort()).toEqual(["A1", "A2", "B1"]);
  });

  // A plan to trust again first (its command edited while Tower was down): the first sync only
  // asked, yet counted as the first, and the agents started after the answer were started fresh,
  // their recorded conversations given up.
  it("resumes the conversations once the plan is trusted again, when the first sync had to ask", async () => {
    const script = ["sh", "-c", 'echo "args:[$*]"; exec cat', "sh"];
    const { repo, store } = await start(planWith(script, ", preset: claude"));
    await tower(repo.root, ["start", "A"]);
    await fsp.writeFile(
      path.join(repo.root, "streams.yaml"),
      planWith([...script, "--verbose"], ", preset: claude"),
    );
    const edited = await openProject(repo.root, cleanEnv());
    const services = await begin(edited, store, { resume: true });
    await waitFor(
      () => (store.getState().trustQuestion ? true : undefined),
      15_000,
      "the trust question",
    );
    await services.sessions.trust();
    await waitFor(
      () => (frameText(store, "A1").includes("args:[") ? true : undefined),
      15_000,
      "A1's arguments",
    );
    expect(frameText(store, "A1")).toContain("args:[--verbose --continue]");
  });

  it("keeps an exited agent's pane, restarts it, and removes it on request", async () => {
    const { repo, store, begin: go } = await start(planWith(fakeAgent("say done\nexit 3")));
    await tower(repo.root, ["start", "A"]);
    const { sessions } = await go();
    await waitFor(
      () => (store.getState().agents.A1?.status === "exited" ? true : undefined),
      15_000,
      "A1 exited",
    );
    expect(store.getState().agents.A1).toMatchObject({ exitCode: 3, signal: null });
    await waitFor(
      async () => ((await agentsFile(repo.stateDir)).agents.A1?.exit_code === 3 ? true : undefined),
      5_000,
      "the exit in agents.json",
    );
    expect((await agentsFile(repo.stateDir)).agents.A1).toMatchObject({
      status: "exited",
      pid: null,
    });
    expect(frameText(store, "A1")).toContain("done");

    const before = (await agentsFile(repo.stateDir)).agents.A1?.updated;
    const firstPid = sessions.get("A1")?.pid;
    await sessions.restart("A1");
    await waitFor(
      async () => {
        const record = (await agentsFile(repo.stateDir)).agents.A1;
        return record?.status === "exited" && record.updated !== before ? true : undefined;
      },
      15_000,
      "A1 exited again",
    );
    expect(firstPid).toBeUndefined(); // no process between the runs
    // agents.json and the store are two sinks of the same exit: either may be first.
    await waitFor(
      () => (store.getState().agents.A1?.status === "exited" ? true : undefined),
      5_000,
      "A1 exited in the store",
    );
    expect(store.getState().agents.A1).toMatchObject({ status: "exited", exitCode: 3 });

    await sessions.remove("A1");
    expect(store.getState().agents.A1).toBeUndefined();
    // Without a session, the escape key still leaves insert mode.
    expect(sessions.input("A1", "ab\x1dc")).toEqual({ escape: true, rest: "c" });
    expect(store.getState().agentOrder).toEqual(["A2"]);
    expect(sessions.get("A1")).toBeUndefined();
  });

  // Found by hand: x on a stopped agent whose new launch was refused left its old screen and
  // "stopped" in its title, and the room answered "restarted A1".
  it("a restart that is refused says so, and the agent's pane says why, with or without an earlier session", async () => {
    const { repo, store, begin: go } = await start(planWith(fakeAgent("say done\nexit 3")));
    await tower(repo.root, ["start", "A"]);
    const messages: string[] = [];
    const { sessions } = await go({ onMessage: (text) => messages.push(text) });
    await waitFor(
      () => (store.getState().agents.A1?.status === "exited" ? true : undefined),
      15_000,
      "A1 exited",
    );
    const worktree = sessions.get("A1")?.worktree ?? "";
    const moved = `${worktree}-moved`;
    await fsp.rename(worktree, moved);
    const why = `records ${worktree} as stream A's worktree, which does not exist`;
    await expect(sessions.restart("A1")).rejects.toThrow(`A1: cannot start: `);
    await expect(sessions.restart("A1")).rejects.toThrow(why);
    expect(store.getState().agents.A1).toMatchObject({ status: "exited" });
    expect(store.getState().agents.A1?.failure).toContain(why);
    // (A2, of the same stream and script, may still be exiting on a loaded machine: CI.)
    expect(sessions.running()).not.toContain("A1");

    // Removed (no session any more): the same.
    await sessions.remove("A1");
    await expect(sessions.restart("A1")).rejects.toThrow(why);
    expect(store.getState().agents.A1?.failure).toContain(why);

    // Once the worktree is back, it starts, and the reason is gone.
    await fsp.rename(moved, worktree);
    await sessions.restart("A1");
    await waitFor(
      () => (frameText(store, "A1").includes("done") ? true : undefined),
      15_000,
      "A1 ran again",
    );
    expect(store.getState().agents.A1?.failure).toBeUndefined();
    // The reason was the restart's reply, not also a report on the message line.
    expect(messages.filter((m) => m.includes("cannot start"))).toEqual([]);
  });

  it("a stop resolves once agents.json says the agent exited", async () => {
    const { repo, store, begin: go } = await start(planWith(fakeAgent("banner\nsleep 60000")));
    await tower(repo.root, ["start", "A"]);
    const { sessions } = await go();
    await waitFor(
      () => (store.getState().agents.A2?.status === "running" ? true : undefined),
      15_000,
      "A2 running",
    );
    // Other tools (the clean-up of a merged stream among them) read agents.json right after.
    await sessions.stop("A1");
    await sessions.stop("A2");
    const agents = (await agentsFile(repo.stateDir)).agents;
    expect(agents.A1).toMatchObject({ status: "exited", pid: null });
    expect(agents.A2).toMatchObject({ status: "exited", pid: null });
  });

  it("starts no agent, and installs no guard, in a folder the state records that is not one of the repository's linked worktrees", async () => {
    const { repo, begin: go } = await start(planWith(fakeAgent("banner\necho")));
    const other = path.join(path.dirname(repo.root), "other-repo");
    await fsp.mkdir(other);
    git(other, "init", "-q", "-b", "main");
    // A state as a clone could carry it: A in the main worktree, B in a repository beside it.
    const stateFile = path.join(repo.stateDir, "orchestrator_state.json");
    const entry = (worktree: string, agents: string[]) => ({
      status: "in_progress",
      started_at: "2025-01-01T00:00:00Z",
      worktree,
      branch: "main",
      agents,
    });
    await fsp.writeFile(
      stateFile,
      JSON.stringify({
        streams: { A: entry(".", ["A1", "A2"]), B: entry("../other-repo", ["B1"]) },
        started_at: null,
      }),
    );
    const messages: string[] = [];
    const { sessions } = await go({ onMessage: (text) => messages.push(text) });
    await waitFor(
      () => (messages.filter((m) => m.includes("cannot start")).length === 3 ? true : undefined),
      15_000,
      "the three refusals",
    );
    const refusal = (agent: string, stream: string, folder: string, what: string) =>
      `${agent}: cannot start: ${stateFile} records ${folder} as stream ${stream}'s worktree, which ${what}`;
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining(refusal("A1", "A", repo.root, "is the repository's main worktree")),
        expect.stringContaining(refusal("A2", "A", repo.root, "is the repository's main worktree")),
        expect.stringContaining(refusal("B1", "B", other, "is not a worktree of this repository")),
      ]),
    );
    expect(sessions.running()).toEqual([]);
    for (const cwd of [repo.root, other]) {
      expect(() => git(cwd, "config", "--get", "core.hooksPath"), cwd).toThrow();
      expect(() => git(cwd, "config", "--get", "extensions.worktreeConfig"), cwd).toThrow();
    }
  });

  it("coalesces every pane's frames into one store update per tick of the frame clock", async () => {
    const flood = ["sh", "-c", "while :; do echo tick; sleep 0.01; done"];
    const { repo, store, begin: go } = await start(planWith(flood), { frameIntervalMs: 250 });
    await tower(repo.root, ["start", "A"]);
    const { sessions } = await go();
    await waitFor(
      () =>
        /tick/.test(frameText(store, "A1")) && /tick/.test(frameText(store, "A2"))
          ? true
          : undefined,
      15_000,
      "both agents flooding",
    );
    const updates: string[][] = [];
    const stop = store.subscribe((state, previous) => {
      if (state.frames === previous.frames) return;
      updates.push(
        Object.keys(state.frames).filter((id) => state.frames[id] !== previous.frames[id]),
      );
    });
    const t0 = Date.now();
    await waitFor(() => (Date.now() - t0 >= 2_000 ? true : undefined), 5_000, "two seconds");
    stop();
    const elapsed = Date.now() - t0;
    expect(sessions.running().sort()).toEqual(["A1", "A2"]);
    // One clock for both panes: no more updates than ticks (a timer's lateness aside) ...
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    // ... and a tick carries both panes, which both changed.
    expect(updates.filter((ids) => ids.length === 2).length).toBeGreaterThanOrEqual(3);
  });

  it("pushes the first screen update after input at once, however slow the frame rate", async () => {
    const {
      repo,
      store,
      begin: go,
    } = await start(planWith(fakeAgent("banner\necho")), {
      frameIntervalMs: 60_000,
    });
    await tower(repo.root, ["start", "A"]);
    const { sessions } = await go();
    const session = await waitFor(() => sessions.get("A1"), 15_000, "A1's session");
    await waitFor(
      () => (session.text().some((row) => row === ">") ? true : undefined),
      15_000,
      "the prompt on A1's screen",
    );
    sessions.input("A1", "z");
    // With one frame a minute, only the push after input can show the echo this soon.
    await waitFor(
      () => (/^> z$/m.test(frameText(store, "A1")) ? true : undefined),
      5_000,
      "the echo in the store",
    );
  });
});
