/**
 * A stream removed from streams.yaml while its agents run in the room: the room lists it in
 * `orphans` (with its running agents) for the control room to ask about, keeps its sessions and
 * panes, and does what the user answers: `orphans.keep` leaves the agents running and does not
 * ask again, `orphans.stop` stops them gracefully and keeps the worktree and branch. A stream
 * put back in the plan is no orphan. The real room, the fake agent on real pseudo-terminals.
 */
import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RoomEvent } from "../../src/room/commands.js";
import { type Controller, handleInput } from "../../src/ui/input/dispatch.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { startServices } from "../../src/ui/services/index.js";
import { cleanEnv, git, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, fixture, onCleanup, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const plan = (withB: boolean) => `version: 1
project: demo
agent: ${yamlArgv(fakeAgent("banner\nsleep 60000"))}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }]
${
  withB
    ? `  B:
    name: Billing
    agents: [{ id: B1, task: "two" }, { id: B2, task: "three" }]
`
    : ""
}`;

async function open() {
  const f = await fixture(plan(true));
  f.store.getState().setSize(200, 50);
  expect((await tower(f.repo.root, ["start", "A", "B"])).code).toBe(0);
  const services = await startServices(f.project, f.store, {
    session: { env: cleanEnv(), stopGraceMs: 2_000 },
  });
  onCleanup(() => services.close(500));
  const messages: string[] = [];
  services.room.on((event: RoomEvent) => {
    if (event.type === "message") messages.push(event.text);
  });
  await waitFor(
    () => (services.sessions.running().length === 3 ? true : undefined),
    15_000,
    "the three agents running",
  );
  const writePlan = (withB: boolean, comment = "") =>
    fsp.writeFile(path.join(f.repo.root, "streams.yaml"), `${plan(withB)}${comment}`);
  /** Waits until the room has read the plan again `n` times in all. */
  const reloads = (n: number) =>
    waitFor(
      () =>
        messages.filter((m) => m.startsWith("streams.yaml read again")).length >= n
          ? true
          : undefined,
      10_000,
      `plan read again ${n} times`,
    );
  const orphans = () => f.store.getState().orphans;
  return { ...f, services, room: services.room, messages, writePlan, reloads, orphans };
}

const worktreeB = (root: string) => path.join(path.dirname(root), "demo-stream-B");

describe("a stream removed from the plan while its agents run", () => {
  it("is listed with its running agents, whose sessions and panes stay; keep leaves them running and asks no more", async () => {
    const { room, store, services, writePlan, reloads, orphans, messages } = await open();
    expect(orphans()).toEqual([]);
    await writePlan(false);
    await waitFor(() => (orphans().length > 0 ? true : undefined), 10_000, "the orphan");
    expect(orphans()).toEqual([{ stream: "B", agents: ["B1", "B2"] }]);
    expect(messages.join("\n")).toContain("B was removed from streams.yaml");
    // Still in the room: their sessions run, their panes and screens are there.
    expect(services.sessions.running().sort()).toEqual(["A1", "B1", "B2"]);
    expect(store.getState().agentOrder).toEqual(expect.arrayContaining(["B1", "B2"]));
    expect(store.getState().agents.B1).toMatchObject({ stream: "B" });
    expect(store.getState().frames.B1).toBeDefined();

    const kept = await room.run({ type: "orphans.keep", stream: "B" });
    expect(kept).toMatchObject({ ok: true });
    expect(orphans()).toEqual([]);
    // The plan read again still lacks B, and the agents change (A1 stops): not asked again.
    await writePlan(false, "# edited\n");
    await reloads(2);
    expect(await room.run({ type: "stop", agent: "A1" })).toMatchObject({ ok: true });
    await waitFor(
      () => (store.getState().agents.A1?.status === "exited" ? true : undefined),
      10_000,
      "A1 exited",
    );
    expect(orphans()).toEqual([]);
    expect(services.sessions.running().sort()).toEqual(["B1", "B2"]);
  });

  it("stop stops its agents gracefully and keeps their panes, the worktree and the branch", async () => {
    const { repo, room, store, services, writePlan, orphans } = await open();
    await writePlan(false);
    await waitFor(() => (orphans().length > 0 ? true : undefined), 10_000, "the orphan");
    const stopped = await room.run({ type: "orphans.stop", stream: "B" });
    expect(stopped).toMatchObject({ ok: true });
    await waitFor(
      () =>
        ["B1", "B2"].every((id) => store.getState().agents[id]?.status === "exited")
          ? true
          : undefined,
      10_000,
      "B's agents exited",
    );
    expect(services.sessions.running()).toEqual(["A1"]);
    expect(orphans()).toEqual([]);
    expect(store.getState().agentOrder).toEqual(expect.arrayContaining(["B1", "B2"]));
    expect(existsSync(worktreeB(repo.root))).toBe(true);
    expect(git(repo.root, "branch", "--list", "feature/stream-B-billing")).not.toBe("");
  });

  it("is no orphan once it is back in the plan, and a command for a stream that is not one says so", async () => {
    const { room, writePlan, orphans } = await open();
    await writePlan(false);
    await waitFor(() => (orphans().length > 0 ? true : undefined), 10_000, "the orphan");
    await writePlan(true);
    await waitFor(() => (orphans().length === 0 ? true : undefined), 10_000, "no orphan");
    const reply = await room.run({ type: "orphans.keep", stream: "A" });
    expect(reply).toEqual({
      ok: false,
      error: "A is not a stream removed from streams.yaml with agents running (none is)",
    });
  });

  it("asks in the control room, whose s stops them and closes the question", async () => {
    const { store, services, writePlan, repo } = await open();
    const ctl: Controller = { store, client: services.room, table: KEY_TABLE, quit: () => {} };
    await writePlan(false);
    await waitFor(
      () => (store.getState().modal?.kind === "confirm" ? store.getState().modal : undefined),
      10_000,
      "the question",
    );
    expect(store.getState().modal).toMatchObject({
      title: "Stream B is gone from streams.yaml, but its agents run",
    });
    handleInput(ctl, "s");
    await waitFor(
      () => (services.sessions.running().length === 1 ? true : undefined),
      15_000,
      "B's agents stopped",
    );
    expect(services.sessions.running()).toEqual(["A1"]);
    expect(store.getState().modal).toBeUndefined();
    expect(existsSync(worktreeB(repo.root))).toBe(true);
  });
});
