/**
 * Session status: the tracker's rules, and the fake agent going through starting, running,
 * waiting, (approved) running, idle and exited on a real pty.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type StatusChange, StatusTracker } from "../../src/pty/index.js";
import { hasVisibleText } from "../../src/pty/session.js";
import {
  cleanup,
  fakeAgentCommand,
  screenHas,
  startSession,
  waitFor,
  waitForScreen,
  waitForStatus,
} from "./helpers.js";

afterEach(cleanup);

describe("StatusTracker", () => {
  it("derives the status from output, screen, bells, input and exit", async () => {
    let now = 1_000;
    const changes: StatusChange[] = [];
    const tracker = new StatusTracker({
      preset: "claude",
      runningMs: 1_500,
      now: () => now,
      onChange: (c) => changes.push(c),
    });
    expect(tracker.status).toBe("starting");
    tracker.output();
    expect(tracker.status).toBe("running");
    now += 1_600;
    tracker.screen(["$ ls"]);
    expect(tracker.status).toBe("idle");
    // The busy pattern counts as work even without fresh output.
    tracker.screen(["✻ Thinking… (3s · esc to interrupt)"]);
    expect(tracker.status).toBe("running");
    // Waiting wins over running, even with fresh output.
    tracker.output();
    tracker.screen(["Do you want to proceed?", "❯ 1. Yes", "  2. No"]);
    expect(tracker.status).toBe("waiting");
    tracker.screen(["✻ Applying… (esc to interrupt)"]);
    expect(tracker.status).toBe("running");
    // A bell waits until input answers it.
    now += 5_000;
    tracker.screen(["done"]);
    expect(tracker.status).toBe("idle");
    tracker.notify("bell");
    expect(tracker.status).toBe("waiting");
    tracker.output();
    expect(tracker.status).toBe("waiting");
    tracker.input();
    expect(tracker.status).toBe("running");
    tracker.exited({ code: null, signal: "SIGTERM" });
    expect(tracker.status).toBe("exited");
    expect(changes.map((c) => c.status)).toEqual([
      "running",
      "idle",
      "running",
      "waiting",
      "running",
      "idle",
      "waiting",
      "running",
      "exited",
    ]);
    expect(changes.at(-1)).toMatchObject({ previous: "running", exit: { signal: "SIGTERM" } });
    tracker.restarted();
    expect(tracker.status).toBe("starting");
    tracker.dispose();
  });

  it("turns running into idle by itself after the quiet period", async () => {
    const tracker = new StatusTracker({ preset: "shell", runningMs: 100 });
    tracker.output();
    expect(tracker.status).toBe("running");
    await waitFor(() => (tracker.status === "idle" ? true : undefined), 2_000, "idle");
    tracker.dispose();
  });
});

describe("hasVisibleText", () => {
  it("tells text from control sequences alone, which are not activity", () => {
    const has = (s: string) => hasVisibleText(Buffer.from(s));
    expect(has("x")).toBe(true);
    expect(has("\x1b[?25h\x1b[?2004l\x1b[0m")).toBe(false);
    expect(has("\r\n\x1b[2K\x1b[3A\x1b7\x1b8")).toBe(false);
    expect(has("\x1b]0;title\x07\x1b]8;;http://x\x1b\\")).toBe(false);
    expect(has("\x1b[2K✻ Working")).toBe(true);
    expect(has("\x1b]0;t\x07a")).toBe(true);
    expect(has("\x1b[0m".repeat(200))).toBe(true); // long chunks are not scanned
  });
});

const ASKING = `say Starting on {task}
work 800 Thinking
ask Do you want to proceed?
work 800 Applying
say applied
sleep 2500
exit 3
`;

describe("fake agent status", () => {
  it("goes starting → running → waiting → (approve) running → idle → exited", async () => {
    const changes: StatusChange[] = [];
    const session = startSession({ command: fakeAgentCommand("--step", ASKING) });
    session.on("status", (c) => changes.push(c));
    expect(session.preset).toBe("claude");
    expect(session.status).toBe("starting");
    await waitForStatus(session, "waiting");
    expect(session.text().join("\n")).toContain("1. Yes");
    session.approve();
    await waitForScreen(session, screenHas("Applying"), "work after approval");
    // The screen patterns run at most every 100 ms.
    await waitForStatus(session, "running", 1_000);
    const exit = await session.waitForExit();
    expect(exit).toEqual({ code: 3, signal: null });
    expect(session.text().join("\n")).toContain("Do you want to proceed? ⎿ Yes");
    expect(changes.map((c) => c.status)).toEqual([
      "running",
      "waiting",
      "running",
      "idle",
      "exited",
    ]);
    expect(changes[1]?.reason).toBe("waiting pattern");
    expect(changes[3]?.reason).toBe("quiet");
  });

  it("deny answers no: the agent skips the step after the question", async () => {
    const session = startSession({
      command: fakeAgentCommand("--step", "ask Do you want to proceed?\nsay SKIPPED\nsay after"),
    });
    await waitForStatus(session, "waiting");
    session.deny();
    const exit = await session.waitForExit();
    expect(exit.code).toBe(0);
    const text = session.text().join("\n");
    expect(text).toContain("Do you want to proceed? ⎿ No");
    expect(text).toContain("after");
    expect(text).not.toContain("SKIPPED");
  });
});
