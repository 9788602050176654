/**
 * The whole run in the control room, with the room's services on a real repository and the fake
 * agent on real pseudo-terminals: roles shown with the agents, the task board in its tab and
 * moved from the keys, an auto gate that runs by itself once what it waits for has passed, a
 * stream whose merge failed keeping its agents, and each agent's start and exit in the activity
 * log with the locks it took by writing released when it exits.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLocks } from "../../src/engine/locks.js";
import { StateStore } from "../../src/engine/state/store.js";
import { type Controller, handleInput } from "../../src/ui/input/dispatch.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { startServices } from "../../src/ui/services/index.js";
import type { AppStore } from "../../src/ui/store/index.js";
import { sidebarLines } from "../../src/ui/view/sidebar.js";
import { lineText } from "../../src/ui/view/types.js";
import { cleanEnv, readJson, readJsonlFile, tower, trustRepo, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, fixture, onCleanup, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const plan = (agent: readonly string[], extra = "") => `version: 1
project: demo
${extra}agent: ${yamlArgv(agent)}
checkpoints:
  design_review: { approval: human }
  smoke: { depends_on: [design_review], auto: true, run: "touch smoke-ran" }
streams:
  A:
    name: Foundation
    agents:
      - { id: A1, role: architect }
      - { id: A2, task: "Tests", role: qa-validator }
    tasks:
      - { id: api, title: Refund endpoint, priority: P0, agent: A1 }
      - { id: docs, title: Document refunds, priority: P3 }
      - { id: tests, title: Tests for refunds, priority: P1, depends_on: [api] }
`;

async function open(agent: readonly string[] = fakeAgent("banner\nsleep 60000"), extra = "") {
  const f = await fixture(plan(agent, extra));
  f.store.getState().setSize(200, 50);
  const services = await startServices(f.project, f.store, {
    session: { env: cleanEnv(), stopGraceMs: 2_000 },
  });
  onCleanup(() => services.close(500));
  const ctl: Controller = {
    store: f.store,
    client: services.room,
    table: KEY_TABLE,
    quit: () => {},
  };
  return { ...f, services, ctl };
}

/** Until the agent's echo prompt is up: it reads its input from then on. */
function promptOf(store: AppStore, agent: string) {
  return waitFor(
    () =>
      (store.getState().frames[agent]?.rows ?? []).some((row) => row.includes(">"))
        ? true
        : undefined,
    20_000,
    `${agent}'s prompt`,
  );
}

describe("the whole run in the control room", () => {
  it("shows each agent's role, and the task board by priority; space and b move the selected task", async () => {
    const { repo, store, ctl } = await open(fakeAgent("banner\necho"));
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    await waitFor(
      () => (store.getState().agents.A1?.role ? true : undefined),
      20_000,
      "A1 with its role",
    );
    const sidebar = sidebarLines(
      { ...store.getState(), agents: Object.values(store.getState().agents), tasks: [] },
      60,
      undefined,
    ).map(lineText);
    expect(sidebar.some((l) => l.includes("A1") && l.includes("Architect"))).toBe(true);
    expect(sidebar.some((l) => l.includes("A2") && l.includes("QA validator"))).toBe(true);
    const tasks = await waitFor(
      () => (store.getState().tasks.length === 3 ? store.getState().tasks : undefined),
      10_000,
      "the board",
    );
    expect(tasks.map((t) => t.id)).toEqual(["api", "tests", "docs"]);
    // To the Tasks tab; the first task is selected: space marks it done.
    // The offer is made to a running agent: wait for A1's prompt (a busy machine starts it late).
    await promptOf(store, "A1");
    while (store.getState().tab !== "tasks") handleInput(ctl, "\t");
    handleInput(ctl, " ");
    await waitFor(
      () =>
        store.getState().tasks.find((t) => t.id === "api")?.status === "done" ? true : undefined,
      10_000,
      "api done",
    );
    // A1 runs: Tower offers to give it its next task (tests, now ready) as its next prompt.
    await waitFor(
      () => (store.getState().modal?.kind === "confirm" ? true : undefined),
      10_000,
      "the next-task question",
    );
    expect(store.getState().modal).toMatchObject({ title: "Give A1 its next task, tests?" });
    handleInput(ctl, "y");
    await waitFor(
      () =>
        (store.getState().frames.A1?.rows ?? []).some((row) => row.includes("Your next task"))
          ? true
          : undefined,
      10_000,
      "the next task in A1's input",
    );
    // b blocks the next one, with a note.
    handleInput(ctl, "J");
    handleInput(ctl, "b");
    expect(store.getState().modal?.kind).toBe("input");
    handleInput(ctl, "waiting for review\r");
    await waitFor(
      () =>
        store.getState().tasks.find((t) => t.id === "tests")?.status === "blocked"
          ? true
          : undefined,
      10_000,
      "tests blocked",
    );
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(activity).toContainEqual(
      expect.objectContaining({ action: "task_done", agent: "human" }),
    );
  });

  it("runs an auto gate by itself once what it waits for has passed", async () => {
    const { repo, store } = await open();
    expect(existsSync(path.join(repo.root, "smoke-ran"))).toBe(false);
    expect((await tower(repo.root, ["approve", "design_review"])).code).toBe(0);
    await waitFor(
      () => (existsSync(path.join(repo.root, "smoke-ran")) ? true : undefined),
      20_000,
      "the smoke gate to run",
    );
    await waitFor(
      () =>
        store.getState().checkpoints.find((c) => c.id === "smoke")?.status === "passed"
          ? true
          : undefined,
      20_000,
      "smoke passed",
    );
  });

  /** A1 running, holding a lock it took by writing (as its hook does). */
  async function runningWithHookLock() {
    const { repo, services, store: app } = await open(fakeAgent("banner\nsleep 60000"));
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    await waitFor(
      () => (services.sessions.get("A1")?.running ? true : undefined),
      20_000,
      "A1 running",
    );
    const store = new StateStore(repo.stateDir);
    await acquireLocks(store, { paths: ["src/auto.ts"], agent: "A1", stream: "A", source: "hook" });
    return { repo, services, store, app };
  }

  it("logs each agent's start and exit, and releases the locks it took by writing when it exits", async () => {
    const { repo, services, store } = await runningWithHookLock();
    // And one by hand.
    await acquireLocks(store, { paths: ["src/hand.ts"], agent: "A1", stream: "A" });
    await services.sessions.stop("A1", 500);
    await waitFor(
      async () => {
        const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
          locks: Record<string, unknown>;
        };
        return Object.hasOwn(locks.locks, "src/auto.ts") ? undefined : locks.locks;
      },
      10_000,
      "the hook's lock released",
    ).then((locks) => expect(Object.keys(locks)).toEqual(["src/hand.ts"]));
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(activity).toContainEqual(
      expect.objectContaining({ agent: "A1", action: "agent_started" }),
    );
    expect(activity).toContainEqual(
      expect.objectContaining({ agent: "A1", action: "agent_exited" }),
    );
  });

  it("keeps the locks it took by writing on files it left changed and uncommitted when it exits", async () => {
    const { repo, services, store } = await runningWithHookLock();
    // A1 wrote src/auto.ts (left uncommitted) and src/new.ts (untracked); it locked src/done.ts
    // too, whose change it committed (or undid): nothing of it waits in the worktree.
    await acquireLocks(store, {
      paths: ["src/new.ts", "src/done.ts"],
      agent: "A1",
      stream: "A",
      source: "hook",
    });
    const worktree = services.sessions.get("A1")!.worktree;
    mkdirSync(path.join(worktree, "src"), { recursive: true });
    writeFileSync(path.join(worktree, "src/auto.ts"), "half done\n");
    writeFileSync(path.join(worktree, "src/new.ts"), "new\n");
    await services.sessions.stop("A1", 500);
    const locks = await waitFor(
      async () => {
        const file = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
          locks: Record<string, unknown>;
        };
        return Object.hasOwn(file.locks, "src/done.ts") ? undefined : file.locks;
      },
      10_000,
      "src/done.ts released",
    );
    // Another agent taking them now would edit what A1's worktree still holds changed.
    expect(Object.keys(locks).sort()).toEqual(["src/auto.ts", "src/new.ts"]);
    // The release is logged after the locks file is written.
    const activity = await waitFor(
      async () => {
        const lines = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
        return lines.some((line) => (line as { action?: string }).action === "released")
          ? lines
          : undefined;
      },
      10_000,
      "the release logged",
    );
    expect(activity).toContainEqual(
      expect.objectContaining({ agent: "A1", action: "released", file: "src/done.ts" }),
    );
    expect(activity).not.toContainEqual(
      expect.objectContaining({ action: "released", file: "src/auto.ts" }),
    );
  });

  it("keeps every lock it took by writing when git cannot read its worktree as it exits", async () => {
    const { repo, services, store, app } = await runningWithHookLock();
    await acquireLocks(store, { paths: ["src/done.ts"], agent: "A1", stream: "A", source: "hook" });
    // The worktree's link to the repository broken: git cannot say what is changed in it.
    const worktree = services.sessions.get("A1")!.worktree;
    writeFileSync(path.join(worktree, ".git"), "gitdir: /nonexistent/tower-test\n");
    await services.sessions.stop("A1", 500);
    const said = await waitFor(
      () => app.getState().messages.find((m) => m.text.startsWith("A1 exited:"))?.text,
      10_000,
      "the exit's report",
    );
    expect(said).toBe(
      "A1 exited: its locks on src/auto.ts, src/done.ts stay (its worktree could not be read; u in the Locks tab releases them)",
    );
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, unknown>;
    };
    expect(Object.keys(locks.locks).sort()).toEqual(["src/auto.ts", "src/done.ts"]);
  });

  it("closing the room waits for what each agent's exit writes: nothing is written after it", async () => {
    const { repo, services } = await runningWithHookLock();
    // A test (or a script) removes the repository once the room is closed: whatever the exit
    // wrote must be written by then, or it would make the state folder again.
    await services.close(500);
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, unknown>;
    };
    expect(Object.keys(locks.locks)).toEqual([]);
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(activity).toContainEqual(
      expect.objectContaining({ agent: "A1", action: "released", file: "src/auto.ts" }),
    );
  });

  it("starts the agents of a stream whose merge failed (they fix it and merge again)", async () => {
    const f = await fixture(plan(fakeAgent("banner\nsleep 60000")));
    expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
    const { promises: fsp } = await import("node:fs");
    const file = path.join(f.repo.stateDir, "orchestrator_state.json");
    const state = JSON.parse(await fsp.readFile(file, "utf8"));
    state.streams.A.status = "merge_failed";
    await fsp.writeFile(file, JSON.stringify(state));
    await trustRepo(f.repo.root);
    f.store.getState().setSize(200, 50);
    const services = await startServices(f.project, f.store, {
      session: { env: cleanEnv(), stopGraceMs: 2_000 },
    });
    onCleanup(() => services.close(500));
    await waitFor(
      () => (services.sessions.get("A1")?.running ? true : undefined),
      20_000,
      "A1 started",
    );
  });

  it("gives the agent its next task at once with next_task: paste", async () => {
    const { repo, store, ctl } = await open(fakeAgent("banner\necho"), "next_task: paste\n");
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    await waitFor(
      () => (store.getState().tasks.some((t) => t.id === "api") ? true : undefined),
      10_000,
      "the board",
    );
    // The agent reads its input once its prompt is up (a paste before that is the terminal's).
    await promptOf(store, "A1");
    while (store.getState().tab !== "tasks") handleInput(ctl, "\t");
    handleInput(ctl, " ");
    await waitFor(
      () =>
        (store.getState().frames.A1?.rows ?? []).some((row) => row.includes("Your next task"))
          ? true
          : undefined,
      10_000,
      "the next task in A1's input, unasked",
    );
    expect(store.getState().modal).toBeUndefined();
  });
});
