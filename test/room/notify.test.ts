/**
 * Notifications: a real room with fake agents on real pseudo-terminals. An agent that starts
 * waiting rings the clients that do not show it (bell, OSC 9, OSC 777) and runs the plan's
 * `notify:` command with the details; one that shows it is not rung; a flicker does not ring
 * twice within the gap.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RoomEvent } from "../../src/room/commands.js";
import { notificationBytes, ringOnNotify } from "../../src/ui/notify.js";
import { startServices } from "../../src/ui/services/index.js";
import { statusWord } from "../../src/ui/view/pane.js";
import { cleanEnv, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, fixture, onCleanup, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const plan = (agent: readonly string[], out: string) => `version: 1
project: demo
agent: ${yamlArgv(agent)}
notify: { run: 'echo "$TOWER_EVENT $TOWER_AGENT $TOWER_STREAM $TOWER_MESSAGE" >> ${out}', on: [waiting] }
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }, { id: A2, task: "two" }]
`;

describe("notifications", () => {
  it("rings a client that looks elsewhere when an agent starts waiting, and runs the notify command", async () => {
    const out = path.join(
      process.env.TMPDIR ?? "/tmp",
      `tower-notify-${process.pid}-${Date.now()}.txt`,
    );
    const f = await fixture(plan(fakeAgent("banner\nask Do you want to proceed?\necho"), out));
    onCleanup(() => import("node:fs").then((fs) => fs.rmSync(out, { force: true })));
    f.store.getState().setSize(200, 50);
    const services = await startServices(f.project, f.store, {
      session: { env: cleanEnv(), stopGraceMs: 1_000 },
    });
    onCleanup(() => services.close(500));
    const events: RoomEvent[] = [];
    services.room.on((event) => events.push(event));
    let written = "";
    const unring = ringOnNotify(f.store, services.room, (bytes) => {
      written += bytes;
    });
    onCleanup(unring);

    expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
    // The client shows A1: only A2's question rings it.
    await waitFor(() => (f.store.getState().agents.A1 ? true : undefined), 15_000, "A1");
    f.store.getState().select("A1");
    await waitFor(
      () => (events.filter((e) => e.type === "notify").length === 2 ? true : undefined),
      20_000,
      "both agents' notifications",
    );
    expect(
      events
        .filter((e) => e.type === "notify")
        .map((e) => (e as { agent: string }).agent)
        .sort(),
    ).toEqual(["A1", "A2"]);
    expect(written).toBe(notificationBytes("A2 is waiting for you"));
    expect(written).toBe(
      "\x07\x1b]9;Tower: A2 is waiting for you\x07\x1b]777;notify;Tower;A2 is waiting for you\x07",
    );

    // The user's command ran for each, with the details in its environment.
    const lines = await waitFor(
      () => {
        const text = (() => {
          try {
            return readFileSync(out, "utf8");
          } catch {
            return "";
          }
        })();
        const got = text.trim().split("\n").filter(Boolean);
        return got.length === 2 ? got.sort() : undefined;
      },
      10_000,
      "the notify command's two lines",
    );
    expect(lines).toEqual([
      "waiting A1 A A1 is waiting for you",
      "waiting A2 A A2 is waiting for you",
    ]);
  });

  it("an agent Tower stopped is shown stopped, whatever its exit code, and raises no failure; one that failed by itself does", async () => {
    // A1 leaves on SIGTERM with 143, as Claude Code does; A2 fails on its own with 3.
    const f = await fixture(`version: 1
project: demo
streams:
  A:
    name: Foundation
    agents:
      - { id: A1, task: "one", agent: ["sh", "-c", "trap 'exit 143' TERM; echo ready; while :; do sleep 0.1; done"] }
      - { id: A2, task: "two", agent: ["sh", "-c", "sleep 1; echo failing; exit 3"] }
`);
    f.store.getState().setSize(200, 50);
    const services = await startServices(f.project, f.store, {
      session: { env: cleanEnv(), stopGraceMs: 5_000 },
    });
    onCleanup(() => services.close(500));
    const events: RoomEvent[] = [];
    services.room.on((event) => events.push(event));
    expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
    await waitFor(
      () => (f.store.getState().agents.A2?.status === "exited" ? true : undefined),
      15_000,
      "A2 to fail",
    );
    await waitFor(
      () =>
        services.sessions
          .get("A1")
          ?.text()
          .some((row) => row.includes("ready"))
          ? true
          : undefined,
      15_000,
      "A1 to run",
    );
    const exit = await services.sessions.stop("A1");
    expect(exit).toEqual({ code: 143, signal: null, stopped: true });
    const { A1, A2 } = f.store.getState().agents;
    expect(A1).toMatchObject({ status: "exited", exitCode: 143, stopped: true });
    expect(statusWord(A1!)).toBe("stopped");
    expect(statusWord(A2!)).toBe("exited 3");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      events.filter((e) => e.type === "notify").map((e) => (e as { text: string }).text),
    ).toEqual(["A2 exited with 3"]);
  });

  it("strips control characters from what it sends the terminal", () => {
    expect(notificationBytes("a\x1b]0;evil\x07b\nc")).toBe(
      "\x07\x1b]9;Tower: a ]0;evil b c\x07\x1b]777;notify;Tower;a ]0;evil b c\x07",
    );
  });
});
