/**
 * X after a merge: the room stops the merged stream's agents (which kept its worktree at merge
 * time), then removes the worktree and deletes the branch where nothing can be lost, and says
 * what it kept and why. A worktree holding a file of the agent's is kept. Real git, the real
 * room, the fake agent on real pseudo-terminals.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServices } from "../../src/ui/services/index.js";
import { cleanEnv, git, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, fixture, onCleanup, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const plan = `version: 1
project: demo
agent: ${yamlArgv(fakeAgent("banner\nsleep 60000"))}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }, { id: A2, task: "two" }]
  B:
    name: Billing
    agents: [{ id: B1, task: "three" }]
`;

async function mergedWhileRunning(stream: string) {
  const f = await fixture(plan);
  f.store.getState().setSize(200, 50);
  expect((await tower(f.repo.root, ["start", "A", "B"])).code).toBe(0);
  const services = await startServices(f.project, f.store, {
    session: { env: cleanEnv(), stopGraceMs: 1_000 },
  });
  onCleanup(() => services.close(500));
  await waitFor(
    () => (services.sessions.running().length === 3 ? true : undefined),
    15_000,
    "agents",
  );
  const worktree = path.join(path.dirname(f.repo.root), `demo-stream-${stream}`);
  writeFileSync(path.join(worktree, "work.txt"), "done\n");
  git(worktree, "add", "work.txt");
  git(worktree, "commit", "-q", "-m", "work");
  expect((await tower(f.repo.root, ["complete", stream])).code).toBe(0);
  const merged = await services.room.run({ type: "merge", stream });
  expect(merged).toMatchObject({ ok: true, value: { outcome: "merged" } });
  // Its agents ran in the worktree: the merge kept it.
  expect(existsSync(worktree)).toBe(true);
  return { ...f, services, worktree };
}

describe("cleaning up a merged stream (X)", () => {
  it("stops its agents, closes their panes, removes the worktree and deletes the branch", async () => {
    const { services, store, worktree, repo } = await mergedWhileRunning("A");
    const reply = await services.room.run({ type: "stream.cleanup", stream: "A" });
    expect(reply).toEqual({
      ok: true,
      text: "A cleaned up: stopped A1, A2, worktree removed, branch deleted",
    });
    expect(existsSync(worktree)).toBe(false);
    expect(git(repo.root, "branch", "--list", "feature/stream-A-foundation").trim()).toBe("");
    expect(store.getState().agentOrder).toEqual(["B1"]);
    expect(services.sessions.running()).toEqual(["B1"]);
  });

  it("keeps a worktree holding a file that would be lost, and says so; refuses a stream not merged", async () => {
    const { services, worktree } = await mergedWhileRunning("A");
    writeFileSync(path.join(worktree, "notes.txt"), "mine\n");
    const reply = await services.room.run({ type: "stream.cleanup", stream: "A" });
    expect(reply.ok).toBe(true);
    expect((reply as { text: string }).text).toMatch(
      new RegExp(`^A cleaned up: stopped A1, A2; worktree ${worktree} kept: .*notes\\.txt`),
    );
    expect(existsSync(path.join(worktree, "notes.txt"))).toBe(true);
    expect(await services.room.run({ type: "stream.cleanup", stream: "B" })).toEqual({
      ok: false,
      error: "B is in progress: only a merged stream is cleaned up (its work is in the base)",
    });
  });
});
