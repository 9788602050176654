/**
 * The plan's own Claude Code --settings and --append-system-prompt, which Tower's (given after
 * them, the last winning) would replace: read, and given with Tower's (src/agents/claude-command.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withBriefing } from "../../src/agents/briefing.js";
import {
  claudeCommandOptions,
  claudeCommandSettings,
  withTowerSettings,
} from "../../src/agents/claude-command.js";
import { commandWords } from "../../src/agents/command-words.js";
import { RefusedError } from "../../src/engine/errors.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the plan's own Claude Code options", () => {
  it("are read from a list as it is, and from a string as its shell splits it", () => {
    expect(
      commandWords(
        `claude --settings '{"a": 1}' --append-system-prompt "Be \\"brief\\"" x\\ y {task}`,
      ),
    ).toEqual([
      "claude",
      "--settings",
      '{"a": 1}',
      "--append-system-prompt",
      'Be "brief"',
      "x y",
      "{task}",
    ]);
    expect(
      claudeCommandOptions(["claude", "--settings", "a.json", "--settings=b.json", "{task}"]),
    ).toEqual({ settings: "b.json" });
    expect(
      claudeCommandOptions(`claude --append-system-prompt='Use tabs.' -- --settings x`),
    ).toEqual({ appendSystemPrompt: "Use tabs." });
    expect(claudeCommandOptions(["claude", "{task}"])).toEqual({});
  });

  it("settings: JSON given inline, or a file from the worktree; refused, naming the value, when unreadable or not an object", async () => {
    const worktree = mkdtempSync(path.join(os.tmpdir(), "tower-claude-command-"));
    dirs.push(worktree);
    writeFileSync(path.join(worktree, "mine.json"), '{"model": "x"}');
    expect(await claudeCommandSettings(' {"env": {"A": "1"}}', worktree)).toEqual({
      env: { A: "1" },
    });
    expect(await claudeCommandSettings("mine.json", worktree)).toEqual({ model: "x" });
    const refused = claudeCommandSettings("missing.json", worktree);
    await expect(refused).rejects.toThrow(RefusedError);
    await expect(refused).rejects.toThrow(
      `the agent's command in streams.yaml gives --settings "missing.json", which cannot be read (ENOENT)`,
    );
    await expect(claudeCommandSettings("[1]", worktree)).rejects.toThrow("cannot be read");
    await expect(claudeCommandSettings("{nope", worktree)).rejects.toThrow("is not JSON");
    writeFileSync(path.join(worktree, "list.json"), "[1]");
    await expect(claudeCommandSettings("list.json", worktree)).rejects.toThrow(
      "is not a JSON object",
    );
  });

  it("are given with Tower's: its keys over theirs, each event's hooks theirs first, Tower's server among an allowlist of theirs", () => {
    const towerHook = { hooks: [{ type: "command", command: "tower hook PreToolUse" }] };
    const theirHook = { matcher: "Bash", hooks: [{ type: "command", command: "lint" }] };
    const merged = withTowerSettings(
      {
        disableAllHooks: true,
        permissions: { allow: ["Write"] },
        hooks: { PreToolUse: [theirHook], Stop: [theirHook] },
        allowedMcpServers: [{ serverName: "mine" }],
      },
      { disableAllHooks: false, hooks: { PreToolUse: [towerHook], PostToolUse: [towerHook] } },
    );
    expect(merged).toEqual({
      disableAllHooks: false,
      permissions: { allow: ["Write"] },
      hooks: {
        PreToolUse: [theirHook, towerHook],
        Stop: [theirHook],
        PostToolUse: [towerHook],
      },
      allowedMcpServers: [{ serverName: "mine" }, { serverName: "tower" }],
    });
    expect(withBriefing(undefined, "B")).toBe("B");
    expect(withBriefing("Use tabs.", "B")).toBe("Use tabs.\n\nB");
  });
});
