/**
 * Which Codex session the room records for a Codex agent started afresh: Codex names its own
 * session, in a rollout file under $CODEX_HOME/sessions; every agent of a stream works in the
 * same worktree, so the worktree alone does not say whose session a file is. (Codex's own
 * SessionStart hook tells it first: agents/hook.ts; these are for a Codex without that event.)
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { briefing } from "../../src/agents/briefing.js";
import { recordAnnouncement } from "../../src/engine/announce.js";
import type { Plan } from "../../src/engine/plan/index.js";
import type { Project } from "../../src/engine/project.js";
import { StateStore } from "../../src/engine/state/index.js";
import { recordCodexSession } from "../../src/room/launch.js";

let root: string;
let worktree: string;
let codexHome: string;
let store: StateStore;
let project: Project;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "tower-codex-session-"));
  worktree = path.join(root, "worktree");
  codexHome = path.join(root, "codex");
  mkdirSync(worktree);
  mkdirSync(path.join(root, "state"));
  store = new StateStore(path.join(root, "state"));
  project = { store } as unknown as Project;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const ids = {
  a1: "aaaaaaaa-0000-4000-8000-000000000001",
  a2: "bbbbbbbb-0000-4000-8000-000000000002",
  old: "cccccccc-0000-4000-8000-000000000003",
};

/**
 * A rollout file as Codex writes it when a session's first turn begins: its `session_meta`, then
 * the developer instructions (Tower's briefing, naming the agent) and the first prompt.
 */
async function rollout(
  id: string,
  options: { agent?: string; begun?: Date; mtime?: Date; metaOnly?: boolean } = {},
) {
  const begun = options.begun ?? new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const folder = path.join(
    codexHome,
    "sessions",
    String(begun.getFullYear()),
    p(begun.getMonth() + 1),
    p(begun.getDate()),
  );
  mkdirSync(folder, { recursive: true });
  const at = begun.toISOString();
  const message = (role: string, text: string) => ({
    timestamp: at,
    type: "response_item",
    payload: { type: "message", role, content: [{ type: "input_text", text }] },
  });
  const records = [
    {
      timestamp: at,
      type: "session_meta",
      payload: { id, timestamp: at, cwd: worktree, originator: "codex_cli_rs", cli_version: "0" },
    },
    ...(options.agent ? [message("developer", await briefingOf(options.agent))] : []),
    message("user", "<environment_context>...</environment_context>"),
    message("user", "Do the task"),
  ].slice(0, options.metaOnly ? 1 : undefined);
  const file = path.join(folder, `rollout-${at.slice(0, 19).replace(/:/g, "-")}-${id}.jsonl`);
  writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
  if (options.mtime) utimesSync(file, options.mtime, options.mtime);
  return file;
}

/** Tower's briefing of agent `agent` of stream A, as Codex gets it (`developer_instructions`). */
function briefingOf(agent: string): Promise<string> {
  const plan = {
    streams: [{ id: "A", name: "Api", scope: [], agents: [{ id: agent }] }],
    roles: [],
  } as unknown as Plan;
  const identity = {
    agent,
    stream: "A",
    worktree,
    repoRoot: root,
    stateDir: store.dir,
    task: "Do the task",
  };
  return briefing(plan, store, identity, { mcp: true });
}

const record = (agent: string, startedAt: number, timeoutMs = 3_000) =>
  recordCodexSession(project, { id: agent, stream: "A" } as never, worktree, startedAt, {
    env: { CODEX_HOME: codexHome },
    running: () => true,
    timeoutMs,
  });

/** The agent's session of an earlier run, as agents.json records it. */
const recordOld = (agent: string) =>
  store.update("agents", (file) => {
    file.agents[agent] = {
      stream: "A",
      status: "running",
      updated: new Date().toISOString(),
      session_id: ids.old,
    } as never;
  });

const recorded = async (agent: string) =>
  (await store.read("agents")).agents[agent]?.session_id as string | undefined;

describe("recording a Codex agent's session", () => {
  it("takes the session whose briefing names the agent, not the newest one in its worktree", async () => {
    const startedAt = Date.now() - 500;
    // A1's session was begun first, and A2's loop looks before A1's does.
    await rollout(ids.a1, { agent: "A1" });
    const a2 = record("A2", startedAt);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rollout(ids.a2, { agent: "A2", mtime: new Date(Date.now() - 200) });
    const a1 = record("A1", startedAt);
    expect(await Promise.all([a1, a2])).toEqual([ids.a1, ids.a2]);
    expect(await recorded("A1")).toBe(ids.a1);
    expect(await recorded("A2")).toBe(ids.a2);
  });

  it("takes no session that names no agent (a Codex run by hand in the worktree may be anyone's)", async () => {
    const startedAt = Date.now() - 500;
    await rollout(ids.a1);
    await rollout(ids.a2);
    expect(
      await Promise.all([record("A1", startedAt, 1_500), record("A2", startedAt, 1_500)]),
    ).toEqual([undefined, undefined]);
    expect([await recorded("A1"), await recorded("A2")]).toEqual([undefined, undefined]);
  });

  it("stops looking once the agent tells its session (its SessionStart hook), and never writes over it", async () => {
    const startedAt = Date.now() - 500;
    await recordOld("A1");
    const found = record("A1", startedAt, 5_000);
    // Its first prompt comes once Codex is up, well after the look began.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await recordAnnouncement(store, "A1", "A", { event: "SessionStart", sessionId: ids.a2 });
    // A file naming A1 written afterwards is not taken over what the agent told.
    await rollout(ids.a1, { agent: "A1" });
    expect(await found).toBe(ids.a2);
    expect(await recorded("A1")).toBe(ids.a2);
  });

  it("does not take the agent's previous session, written to just before a fresh start", async () => {
    // The previous run began a minute ago and wrote its last event 400 ms before this start.
    const startedAt = Date.now();
    await rollout(ids.old, {
      agent: "A1",
      begun: new Date(startedAt - 60_000),
      mtime: new Date(startedAt - 400),
    });
    await recordOld("A1");
    const found = record("A1", startedAt);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await rollout(ids.a1, { agent: "A1" });
    expect(await found).toBe(ids.a1);
    expect(await recorded("A1")).toBe(ids.a1);
  });

  it("does not take a session begun before the agent started, recorded or not", async () => {
    const startedAt = Date.now();
    await rollout(ids.old, {
      begun: new Date(startedAt - 60_000),
      mtime: new Date(startedAt - 400),
    });
    expect(await record("A1", startedAt, 1_500)).toBeUndefined();
    expect(await recorded("A1")).toBeUndefined();
  });

  it("leaves a session whose first records are not written yet (whose may it be?)", async () => {
    const startedAt = Date.now() - 500;
    await rollout(ids.a1, { metaOnly: true });
    expect(await record("A2", startedAt, 1_500)).toBeUndefined();
  });
});
