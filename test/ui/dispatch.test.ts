/**
 * Keys through the dispatcher over a real repository and real state files (the agent sessions are
 * a recorder here: they have their own tests on real pseudo-terminals).
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/engine/project.js";
import { buildStatus } from "../../src/engine/status.js";
import { type Controller, handleInput, type SessionsApi } from "../../src/ui/input/dispatch.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { createAppStore } from "../../src/ui/store/index.js";
import { git, makeRepo, readJson, type TempRepo, tower, waitFor } from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

async function rig() {
  const project = await openProject(repo.root);
  const store = createAppStore();
  store.getState().setStatus(await buildStatus(project.plan, project.store, project.base));
  const calls: string[] = [];
  const sessions: SessionsApi = {
    input: (id, data) => {
      calls.push(`input ${id} ${JSON.stringify(data)}`);
      const at = data.indexOf("\x1d");
      return { escape: at >= 0, rest: at >= 0 ? data.slice(at + 1) : "" };
    },
    approve: (id) => void calls.push(`approve ${id}`),
    deny: (id) => void calls.push(`deny ${id}`),
    stop: async (id) => void calls.push(`stop ${id}`),
    restart: async (id) => void calls.push(`restart ${id}`),
    scroll: (id, delta) => (calls.push(`scroll ${id} ${delta}`), delta),
    paste: (id, text) => void calls.push(`paste ${id} ${text.split("\n")[0]}`),
    running: () => ["A1", "E1"],
  };
  let quit = false;
  const ctl: Controller = {
    store,
    project,
    sessions,
    table: KEY_TABLE,
    quit: () => (quit = true),
    diff: async () => ["diff"],
  };
  for (const [id, stream] of [
    ["A1", "A"],
    ["E1", "E"],
  ] as const) {
    store.getState().upsertAgent({ id, stream, task: "t", branch: "b", status: "waiting" });
  }
  return { ctl, store, calls, quitted: () => quit };
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
    expect(calls).toEqual(["approve A1", 'input A1 "hello\\r"', 'input A1 "ab\\u001dz"']);
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
    await fsp.writeFile(path.join(worktree, "api.ts"), "export function charge() {}\n");
    git(worktree, "add", ".");
    git(worktree, "commit", "-q", "-m", "Add charging");
    const { ctl, store, calls } = await rig();
    handleInput(ctl, "H");
    await waitFor(
      () => (store.getState().modal?.kind === "input" ? true : undefined),
      5000,
      "the handoff form",
    );
    expect(store.getState().modal).toMatchObject({ value: "E1" });
    handleInput(ctl, "\r");
    expect(store.getState().modal).toMatchObject({ value: "Add charging" });
    handleInput(ctl, "\r\r\r\r");
    handleInput(ctl, "see api.ts\r");
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
      completed_tasks: ["Add charging"],
      context: { new_interfaces: ["api.ts: export function charge() {}"], notes: "see api.ts" },
    });
  });
});
