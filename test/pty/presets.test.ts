/** Presets: inference from the command, resume arguments, and the screen patterns. */
import { describe, expect, it } from "vitest";
import { substituteCommand } from "../../src/engine/plan/index.js";
import {
  inferPreset,
  lastLines,
  PRESET_SPECS,
  screenBusy,
  screenWaiting,
  withResume,
} from "../../src/pty/index.js";

describe("inferPreset", () => {
  it("uses the plan's explicit preset first", () => {
    expect(inferPreset(["claude", "{task}"], "codex")).toBe("codex");
    expect(inferPreset("my-wrapper.sh", "aider")).toBe("aider");
  });

  it("takes the basename of argv[0] of a list command", () => {
    expect(inferPreset(["claude", "{task}"])).toBe("claude");
    expect(inferPreset(["/usr/local/bin/codex", "exec"])).toBe("codex");
    expect(inferPreset(["aider", "--yes"])).toBe("aider");
    expect(inferPreset(["gemini"])).toBe("gemini");
  });

  it("takes the first word of a string command", () => {
    expect(inferPreset("claude {task}")).toBe("claude");
    expect(inferPreset("  gemini -p {task}")).toBe("gemini");
    expect(inferPreset("FOO=1 exec aider --model x")).toBe("aider");
    expect(inferPreset("'/opt/bin/codex' {task}")).toBe("codex");
  });

  it("falls back to shell for anything else", () => {
    expect(inferPreset("echo {task}")).toBe("shell");
    expect(inferPreset(["sh", "-c", "claude"])).toBe("shell");
    expect(inferPreset(["bash"])).toBe("shell");
    expect(inferPreset("")).toBe("shell");
  });

  it("knows Tower's fake agent, which imitates Claude Code", () => {
    expect(inferPreset(["tower-fake-agent", "--step", "say hi"])).toBe("claude");
    expect(inferPreset(["node", "/x/dist/fake-agent/main.js"])).toBe("claude");
    expect(inferPreset("node dist/fake-agent/main.js --script s.txt")).toBe("claude");
  });
});

describe("preset commands", () => {
  it("start each CLI on the plan's task", () => {
    const values = { task: "Fix the tests", agent: "A1", stream: "A", worktree: "/w" };
    expect(substituteCommand(PRESET_SPECS.claude.command, values)).toEqual({
      file: "claude",
      args: ["Fix the tests"],
    });
    expect(substituteCommand(PRESET_SPECS.codex.command, values).args).toEqual(["Fix the tests"]);
    expect(substituteCommand(PRESET_SPECS.gemini.command, values).args).toEqual([
      "--prompt-interactive",
      "Fix the tests",
    ]);
    expect(PRESET_SPECS.aider.command).toEqual(["aider"]);
    for (const spec of Object.values(PRESET_SPECS))
      expect(inferPreset(spec.command)).toBe(spec.name);
  });
});

describe("withResume", () => {
  it("adds each preset's resume arguments", () => {
    expect(withResume(["claude", "fix it"], "claude")).toEqual(["claude", "fix it", "--continue"]);
    expect(withResume(["codex"], "codex")).toEqual(["codex", "resume", "--last"]);
    expect(withResume(["aider"], "aider")).toEqual(["aider", "--restore-chat-history"]);
    expect(withResume(["gemini"], "gemini")).toEqual(["gemini", "--resume"]);
    expect(withResume("claude {task}", "claude")).toBe("claude {task} '--continue'");
    expect(withResume(["bash"], "shell")).toEqual(["bash"]);
  });
});

const CLAUDE_ASKING = `
╭──────────────────────────────────────────────────────╮
│ Bash command                                         │
│   npm test                                           │
│ Do you want to proceed?                              │
│ ❯ 1. Yes                                             │
│   2. Yes, and don't ask again for npm test commands  │
│   3. No, and tell Claude what to do differently (esc)│
╰──────────────────────────────────────────────────────╯`.split("\n");

const CLAUDE_BUSY = [
  "> fix the tests",
  "",
  "✻ Thinking… (12s · ↑ 1.2k tokens · esc to interrupt)",
  "",
  "> ",
];

describe("screen patterns", () => {
  it("Claude Code: the numbered permission menu is waiting, the spinner is busy", () => {
    const claude = PRESET_SPECS.claude;
    expect(screenWaiting(claude, lastLines(CLAUDE_ASKING))).toBe(true);
    // Drawn without the box, as the fake agent does.
    expect(screenWaiting(claude, ["Do you want to proceed?", " ❯ 1. Yes", "   2. No"])).toBe(true);
    expect(screenBusy(claude, lastLines(CLAUDE_BUSY))).toBe(true);
    expect(screenWaiting(claude, lastLines(CLAUDE_BUSY))).toBe(false);
    // A numbered list in ordinary output is not a question.
    expect(screenWaiting(claude, ["Steps:", "1. Yes, we can", "2. Then test"])).toBe(false);
    expect(claude.approveKeys).toEqual(["1"]);
    expect(claude.denyKeys).toEqual(["esc"]);
  });

  it("Aider: (Y)es/(N)o prompts", () => {
    const aider = PRESET_SPECS.aider;
    const screen = [
      "Add src/app.py to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: ",
    ];
    expect(screenWaiting(aider, lastLines(screen))).toBe(true);
    expect(screenWaiting(aider, ["> "])).toBe(false);
    expect(aider.approveKeys).toEqual(["y", "enter"]);
  });

  it("Codex: approval requests and the working line", () => {
    const codex = PRESET_SPECS.codex;
    expect(
      screenWaiting(codex, [
        "Would you like to run the following command?",
        "$ npm test",
        "› 1. Yes, proceed (y)",
      ]),
    ).toBe(true);
    expect(screenBusy(codex, ["• Working (4s • esc to interrupt)"])).toBe(true);
  });

  it("Gemini: confirmations and the cancel hint", () => {
    const gemini = PRESET_SPECS.gemini;
    expect(screenWaiting(gemini, ["Allow execution of: 'npm'?", "● 1. Yes, allow once"])).toBe(
      true,
    );
    expect(screenBusy(gemini, ["⠏ Reading files (esc to cancel, 3s)"])).toBe(true);
  });

  it("shell: generic yes/no prompts only", () => {
    const shell = PRESET_SPECS.shell;
    expect(screenWaiting(shell, ["Overwrite config? [y/N]"])).toBe(true);
    expect(screenWaiting(shell, ["Are you sure you want to continue connecting (yes/no)?"])).toBe(
      true,
    );
    expect(screenWaiting(shell, ["$ ls", "a b c"])).toBe(false);
  });

  it("lastLines keeps the last non-blank lines", () => {
    expect(lastLines(["a", "", "b", "  ", "c", ""], 2)).toEqual(["b", "c"]);
  });
});
