/**
 * The provisional lock of a write the human declined at the agent's permission prompt (which no
 * CLI tells a hook of) goes once the agent has stayed idle for IDLE_SETTLE_MS, not minutes
 * later; one on a file the agent changed stays, so does a full lock; an idle title that a prompt
 * follows at once (Claude Code's ✳ before its PermissionRequest hook) releases nothing. The
 * locks are taken by Tower's own hook handler, as the agent's PreToolUse would; the fake agent
 * on a real pseudo-terminal, real git, the real room.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { handleHook, provisionalLife } from "../../src/agents/hook.js";
import { streamPolicy } from "../../src/agents/policy.js";
import { acquireLocks, lockLife } from "../../src/engine/locks.js";
import { IDLE_SETTLE_MS } from "../../src/room/turn-locks.js";
import { startServices } from "../../src/ui/services/index.js";
import { cleanEnv, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, fixture, onCleanup, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const planWith = (steps: string) => `version: 1
project: demo
agent: ${yamlArgv(fakeAgent(steps))}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }]
`;

async function room(steps: string) {
  const f = await fixture(planWith(steps));
  f.store.getState().setSize(160, 40);
  expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
  const worktree = path.join(path.dirname(f.repo.root), "demo-stream-A");
  const services = await startServices(f.project, f.store, {
    session: { env: cleanEnv(), stopGraceMs: 1_000 },
  });
  onCleanup(() => services.close(500));
  const ctx = {
    identity: {
      agent: "A1",
      stream: "A",
      worktree,
      repoRoot: f.repo.root,
      stateDir: f.repo.stateDir,
      task: "one",
    },
    plan: f.project.plan,
    store: f.project.store,
    announces: false,
  };
  /** A hook event of A1's for a write of `file`, as its CLI sends it. */
  const hook = (event: "PreToolUse", file: string) =>
    handleHook(
      event,
      { tool_name: "Write", tool_input: { file_path: path.join(worktree, file) } },
      ctx,
    );
  const locks = async () => (await f.project.store.read("locks")).locks;
  const statusIs = (status: string) =>
    waitFor(
      () => (f.store.getState().agents.A1?.status === status ? true : undefined),
      // Generous: under CI's load (other files beside it) the first sync once took over 15 s.
      40_000,
      () => {
        const s = f.store.getState();
        return `A1 ${status} (it is ${JSON.stringify(s.agents.A1)}; streams ${JSON.stringify(s.status?.streams)}; trust question ${JSON.stringify(s.trustQuestion)}; screen:\n${services.sessions.get("A1")?.text().join("\n")})`;
      },
    );
  const life = provisionalLife(streamPolicy(f.project.plan, "A")!);
  return { ...f, services, worktree, hook, locks, statusIs, life };
}

describe("the provisional locks of writes an agent did not make", () => {
  it("go once it has been idle a while after a prompt declined; one on a file it changed stays, and a full one", async () => {
    const r = await room(
      // The step after a question answered no is skipped (the fake agent's rule).
      "banner\ntitle ⠋ Working\nask Do you want to create x.txt?\nsay Writing x.txt\ntitle ✳ Declined\nsleep 60000",
    );
    await r.statusIs("waiting");
    await r.hook("PreToolUse", "x.txt");
    await r.hook("PreToolUse", "y.txt");
    // z.txt: a write made, its lock full (as its PostToolUse leaves it).
    await acquireLocks(r.project.store, {
      paths: ["z.txt"],
      agent: "A1",
      stream: "A",
      ttlMs: 60 * 60_000,
      source: "hook",
    });
    // y.txt was written, its PostToolUse lost: the worktree says so.
    writeFileSync(path.join(r.worktree, "y.txt"), "written\n");
    const before = await r.locks();
    expect(lockLife(before["x.txt"]!)).toBe(r.life);
    expect(lockLife(before["z.txt"]!)).not.toBe(r.life);
    r.services.sessions.deny("A1");
    await r.statusIs("idle");
    const idleAt = Date.now();
    await waitFor(
      async () => ((await r.locks())["x.txt"] === undefined ? true : undefined),
      IDLE_SETTLE_MS + 10_000,
      "x.txt released",
    );
    // Not before the agent had been idle for the settle time.
    expect(Date.now() - idleAt).toBeGreaterThanOrEqual(IDLE_SETTLE_MS - 500);
    const after = await r.locks();
    expect(Object.keys(after).sort()).toEqual(["y.txt", "z.txt"]);
  });

  it("stay while a prompt follows an idle title at once, as long as the agent waits", async () => {
    const r = await room(
      "banner\ntitle ⠋ Working\ntitle ✳ Asking\nask Do you want to create x.txt?\nsleep 60000",
    );
    await r.statusIs("waiting");
    await r.hook("PreToolUse", "x.txt");
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS + 2_000));
    expect(r.store.getState().agents.A1?.status).toBe("waiting");
    expect((await r.locks())["x.txt"]).toMatchObject({ agent: "A1", source: "hook" });
  });
});
