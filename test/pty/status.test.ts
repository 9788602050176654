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

describe("what agents announce", () => {
  const tracker = (preset: "claude" | "codex" | "gemini" | "shell") => {
    let now = 1_000;
    const changes: StatusChange[] = [];
    const t = new StatusTracker({
      preset,
      runningMs: 1_500,
      now: () => now,
      onChange: (c) => changes.push(c),
    });
    return { t, changes, later: (ms: number) => (now += ms) };
  };

  it("prefers an announced status (hooks, OSC, title) over output timing, and says where it came from", () => {
    const { t, later } = tracker("claude");
    t.output();
    t.announce("idle", "hook");
    expect(t.status).toBe("idle");
    expect(t.source).toBe("hook");
    // Thinking, silent: still running, because the agent said so.
    t.announce("running", "hook");
    later(10_000);
    t.screen(["❯ Create hello.txt"]);
    expect(t.status).toBe("running");
    // A prompt on screen is waiting whatever was announced last.
    t.screen(["Do you want to create hello.txt?", " ❯ 1. Yes", "   3. No"]);
    expect(t.status).toBe("waiting");
    expect(t.source).toBe("screen");
    t.dispose();
  });

  it("tells its listener when only the source changes: a Stop hook after the output went quiet", () => {
    const { t, changes, later } = tracker("claude");
    t.output();
    later(2_000);
    t.screen(["❯ "]);
    expect([t.status, t.source]).toEqual(["idle", "output"]);
    changes.length = 0;
    t.announce("idle", "hook");
    expect(changes).toEqual([
      expect.objectContaining({ status: "idle", previous: "idle", source: "hook" }),
    ]);
    // Nothing new: nothing told.
    t.announce("idle", "hook");
    t.screen(["❯ "]);
    expect(changes).toHaveLength(1);
    t.dispose();
  });

  it("keeps a hook's word when the title then says the same: Claude Code's ✳ title after its Stop hook", () => {
    const { t, changes } = tracker("claude");
    t.output();
    t.announce("idle", "hook");
    changes.length = 0;
    t.title("✳ Claude Code");
    expect([t.status, t.source]).toEqual(["idle", "hook"]);
    expect(changes).toEqual([]);
    // The title first, then the hook: the hook's word is told.
    t.title("⠂ Working");
    t.title("✳ Claude Code");
    expect([t.status, t.source]).toEqual(["idle", "title"]);
    t.announce("idle", "hook");
    expect([t.status, t.source]).toEqual(["idle", "hook"]);
    // A title that says something else is news, whatever said the last.
    t.title("⠂ Working");
    expect([t.status, t.source]).toEqual(["running", "title"]);
    t.dispose();
  });

  it("tells nothing when one guess gives way to another for the same status: a busy line that comes and goes in running output", () => {
    const { t, changes, later } = tracker("claude");
    t.output();
    changes.length = 0;
    // Output runs on; the busy line shows, goes, shows again (redrawn, scrolled off, back).
    for (let i = 0; i < 3; i++) {
      t.screen(["✻ Thinking… (3s · esc to interrupt)"]);
      later(100);
      t.output();
      t.screen(["some output"]);
      later(100);
      t.output();
    }
    expect(t.status).toBe("running");
    expect(changes).toEqual([]);
    // The agent's own word on the same status is still told (a hook is no guess).
    t.announce("running", "hook");
    expect(changes).toEqual([
      expect.objectContaining({ status: "running", previous: "running", source: "hook" }),
    ]);
    t.dispose();
  });

  it("ends an announced wait when the human answers it, or when the screen moves on", () => {
    const { t } = tracker("gemini");
    t.announce("waiting", "title");
    expect(t.status).toBe("waiting");
    t.input();
    expect(t.status).not.toBe("waiting");
    t.announce("waiting", "hook");
    t.screen(["Apply this change?", "● 1. Allow once"]);
    expect(t.status).toBe("waiting");
    // The prompt went away without an answer from Tower (answered elsewhere, or cancelled).
    t.screen(["ℹ Request cancelled."]);
    expect(t.status).not.toBe("waiting");
    t.dispose();
  });

  // Claude Code runs its PermissionRequest hook as its dialog appears; the hook's word can reach
  // Tower after the human has answered that dialog (its process slow to start under load):
  // the agent then stayed waiting with no dialog (seen in CI: a decline, then no hook at all).
  it("a wait said only after its prompt was answered and gone is over; one said with no prompt answered stands", () => {
    const { t, later } = tracker("claude");
    const dialog = ["Do you want to create no.ts?", "❯ 1. Yes", "  2. No"];
    t.output();
    t.screen(dialog);
    expect(t.status).toBe("waiting");
    later(80);
    t.input();
    later(40);
    t.screen(["● Write(src/no.ts)", "  ⎿  User rejected write to src/no.ts", "❯ "]);
    later(400);
    t.announce("waiting", "hook");
    expect(t.status).not.toBe("waiting");
    // Said between the answer and the dialog's going: over as well.
    t.screen(dialog);
    later(80);
    t.input();
    later(20);
    t.announce("waiting", "hook");
    later(20);
    t.screen(["❯ "]);
    expect(t.status).not.toBe("waiting");
    // A wait said before its dialog is drawn, a prompt answered long before: it stands.
    later(60_000);
    t.announce("waiting", "hook");
    expect(t.status).toBe("waiting");
    t.dispose();
  });

  it("reads each CLI's window title and Codex's OSC 7501 state", () => {
    const claude = tracker("claude");
    claude.t.title("⠂ Scripted answer");
    expect([claude.t.status, claude.t.source]).toEqual(["running", "title"]);
    claude.t.title("✳ Scripted answer");
    expect(claude.t.status).toBe("idle");
    const gemini = tracker("gemini");
    gemini.t.title("✦  Working… (repo)");
    expect(gemini.t.status).toBe("running");
    gemini.t.title("✋  Action Required (repo)");
    expect(gemini.t.status).toBe("waiting");
    gemini.t.title("◇  Ready (repo)");
    expect(gemini.t.status).toBe("idle");
    const codex = tracker("codex");
    codex.t.osc7501("state=working:app=codex");
    expect([codex.t.status, codex.t.source]).toEqual(["running", "osc"]);
    codex.t.osc7501("state=blocked:app=codex:kind=permission");
    expect(codex.t.status).toBe("waiting");
    codex.t.title("[ . ] Action Required | Scripted answer | repo");
    expect(codex.t.status).toBe("waiting");
    codex.t.osc7501("state=idle:app=codex");
    expect(codex.t.status).toBe("idle");
    // A finished turn, as Codex 0.171 ends it: its spinner title's last frame, the title
    // without the spinner, then `state=done`; the agent is idle, not still running.
    codex.t.title("⠋ Scripted answer | repo");
    expect(codex.t.status).toBe("running");
    codex.t.title("Scripted answer | repo");
    codex.t.osc7501("state=done:app=codex");
    expect([codex.t.status, codex.t.source]).toEqual(["idle", "osc"]);
    // A title the preset does not know says nothing.
    const shell = tracker("shell");
    shell.t.output();
    shell.t.title("vim notes.txt");
    expect(shell.t.source).toBe("output");
    for (const x of [claude, gemini, codex, shell]) x.t.dispose();
  });

  it("a shell prompt answered stays answered while its line is still on screen", () => {
    const { t } = tracker("shell");
    t.output();
    t.screen(["$ ./deploy.sh", "Deploy to production? [y/N]"]);
    expect(t.status).toBe("waiting");
    t.input();
    t.screen(["$ ./deploy.sh", "Deploy to production? [y/N] y", "deploying..."]);
    expect(t.status).toBe("running");
    // A second question is waiting again.
    t.screen([
      "$ ./deploy.sh",
      "Deploy to production? [y/N] y",
      "deploying...",
      "Restart workers? [y/N]",
    ]);
    expect(t.status).toBe("waiting");
    t.dispose();
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
    // Changes of status (a change of source alone is told too).
    session.on("status", (c) => c.status !== c.previous && changes.push(c));
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
