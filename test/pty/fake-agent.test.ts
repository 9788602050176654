/**
 * The fake agent: its script format, and the agent itself on a real pty in a real Tower
 * repository (edits, commits, `tower lock`/`unlock` through the built CLI), answering questions,
 * echoing input and pastes, being interrupted.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseScript, parseStep } from "../../src/fake-agent/script.js";
import { git, makeRepo, readJsonlFile } from "../helpers/repo.js";
import {
  cleanup,
  fakeAgentCommand,
  screenHas,
  startSession,
  tempDir,
  waitFor,
  waitForScreen,
  waitForStatus,
} from "./helpers.js";

afterEach(cleanup);

describe("script format", () => {
  it("parses every command", () => {
    const steps = parseScript(`# a comment
banner
say Hello {agent}
work 1500 Reading files
work 200
sleep 10

edit src/a.ts export const a = 1;
commit Add a
lock src/a.ts src/b/
unlock src/a.ts
ask Do you want to proceed?
echo
echo 2
bell
notify Needs you
title Fake
exit 4
`);
    expect(steps).toEqual([
      { kind: "banner" },
      { kind: "say", text: "Hello {agent}" },
      { kind: "work", ms: 1500, label: "Reading files" },
      { kind: "work", ms: 200, label: "Working" },
      { kind: "sleep", ms: 10 },
      { kind: "edit", file: "src/a.ts", text: "export const a = 1;" },
      { kind: "commit", message: "Add a" },
      { kind: "lock", paths: ["src/a.ts", "src/b/"] },
      { kind: "unlock", paths: ["src/a.ts"] },
      { kind: "ask", question: "Do you want to proceed?" },
      { kind: "echo", count: undefined },
      { kind: "echo", count: 2 },
      { kind: "bell" },
      { kind: "notify", text: "Needs you" },
      { kind: "title", text: "Fake" },
      { kind: "exit", code: 4 },
    ]);
  });

  it("accepts a JSON array of command lines", () => {
    expect(parseScript('["say hi", "exit 1"]')).toEqual([
      { kind: "say", text: "hi" },
      { kind: "exit", code: 1 },
    ]);
  });

  it("reports errors with their line", () => {
    expect(() => parseScript("say ok\nfly away")).toThrow(/line 2: unknown command "fly"/);
    expect(() => parseScript("work soon")).toThrow(/line 1: work duration must be a whole number/);
    expect(() => parseScript("exit 300")).toThrow(/exit code must be 0..255/);
    expect(() => parseScript("commit")).toThrow(/commit needs a message/);
    expect(() => parseScript('["say", 3]')).toThrow(/array of command strings/);
    expect(parseStep("   ")).toBeUndefined();
  });
});

describe("fake agent on a pty", () => {
  it("edits, commits and takes and releases locks through the built CLI", async () => {
    const repo = await makeRepo();
    const script = [
      "banner",
      "lock config/app.yaml",
      "edit config/app.yaml name: {agent} in {stream}",
      "commit {agent}: configure the app",
      "unlock config/app.yaml",
      "say all done",
    ].join("\n");
    const session = startSession({
      command: fakeAgentCommand("--step", script),
      worktree: repo.root,
      repoRoot: repo.root,
      stateDir: repo.stateDir,
      agent: "A1",
      stream: "A",
    });
    const exit = await session.waitForExit();
    const text = session.screen.allText().join("\n");
    try {
      expect(exit.code, text).toBe(0);
      expect(text).toContain("Welcome to Fake Agent");
      expect(text).toMatch(/locked config\/app\.yaml for A1/);
      expect(text).toMatch(/released config\/app\.yaml|unlocked config\/app\.yaml/);
      expect(readFileSync(path.join(repo.root, "config/app.yaml"), "utf8")).toBe("name: A1 in A\n");
      expect(git(repo.root, "log", "-1", "--format=%s")).toBe("A1: configure the app\n");
      expect(git(repo.root, "status", "--porcelain")).toBe("");
      const locks = JSON.parse(readFileSync(path.join(repo.stateDir, "file_locks.json"), "utf8"));
      expect(Object.keys(locks.locks)).toEqual([]);
      const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
      const mine = activity.filter((entry) => entry.agent === "A1");
      expect(mine.map((entry) => entry.action)).toEqual(["locked", "released"]);
      expect(mine.every((entry) => entry.file === "config/app.yaml")).toBe(true);
    } finally {
      repo.cleanup();
    }
  });

  it("echoes typed lines and pastes, with bracketed paste on while it reads", async () => {
    const session = startSession({
      command: fakeAgentCommand("--step", "say ready\necho 2\nsay bye"),
    });
    await waitForScreen(session, (rows) => rows.includes(">"), "prompt");
    expect(session.terminal.modes.bracketedPasteMode).toBe(true);
    session.write("hello worx");
    session.write("\x7fld\r");
    await waitForScreen(session, screenHas("You said: hello world"), "echo");
    session.paste("pasted text");
    session.write("\r");
    await waitForScreen(session, screenHas("You said: pasted text"), "echoed paste");
    expect((await session.waitForExit()).code).toBe(0);
    expect(session.text().join("\n")).toContain("bye");
    expect(session.terminal.modes.bracketedPasteMode).toBe(false);
  });

  it("stops working when Esc is pressed, and rings and notifies", async () => {
    const notes: string[] = [];
    const titles: string[] = [];
    const session = startSession({
      command: fakeAgentCommand(
        "--step",
        "work 60000 Long job\nsay next\nbell\nnotify Done thinking\ntitle Fake title\nsleep 60000",
      ),
    });
    session.on("notification", (n) => notes.push(`${n.kind}:${n.text}`));
    session.on("title", (t) => titles.push(t));
    await waitForScreen(session, screenHas("esc to interrupt"), "spinner");
    expect(session.status).toBe("running");
    session.sendKeys("esc");
    await waitForScreen(session, screenHas("Interrupted by user"), "interrupt");
    await waitFor(() => (notes.length === 2 ? true : undefined), 10_000, "notifications");
    expect(notes).toEqual(["bell:", "osc9:Done thinking"]);
    expect(session.status).toBe("waiting");
    await waitFor(() => (titles.includes("Fake title") ? true : undefined), 10_000, "title");
    expect(session.text().join("\n")).toContain("next");
  });

  it("runs its default demo script up to the question", async () => {
    const dir = tempDir();
    git(dir, "init", "-q", "-b", "main");
    const session = startSession({ command: fakeAgentCommand(), worktree: dir, task: "demo task" });
    await waitForStatus(session, "waiting", 20_000);
    const text = session.screen.allText().join("\n");
    expect(text).toContain("I'll work on: demo task");
    expect(text).toContain("Update(notes/A1.md)");
    expect(readFileSync(path.join(dir, "notes/A1.md"), "utf8")).toBe("Notes by A1: demo task\n");
  });
});
