/**
 * What Claude Code's own settings files do to Tower's MCP server (src/agents/claude-mcp.ts):
 * an allowlist anywhere gets Tower's server added in Tower's `--settings`, a denial of it is
 * refused with the file and the entry. What the pinned Claude Code does with them is in
 * test/real-agents/tower-claude.test.ts. Real files, nothing mocked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CLAUDE_MANAGED_SETTINGS,
  claudeMcpPolicy,
  claudeSettingsFiles,
  requireClaudeMcpAllowed,
} from "../../src/agents/claude-mcp.js";
import { claudeSettings } from "../../src/agents/launch.js";
import { RefusedError } from "../../src/engine/errors.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const temp = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-claude-mcp-"));
  dirs.push(dir);
  return dir;
};
const file = (content: string) => {
  const at = path.join(temp(), "settings.json");
  writeFileSync(at, content);
  return at;
};

const SERVER = ["/usr/bin/node", "/opt/tower.js", "mcp"];

describe("Claude Code's settings files and Tower's MCP server", () => {
  it("are the managed file, the user's (CLAUDE_CONFIG_DIR, else ~/.claude) and the worktree's two", () => {
    expect(claudeSettingsFiles("/w", { HOME: "/h" })).toEqual([
      CLAUDE_MANAGED_SETTINGS,
      "/h/.claude/settings.json",
      "/w/.claude/settings.json",
      "/w/.claude/settings.local.json",
    ]);
    expect(claudeSettingsFiles("/w", { HOME: "/h", CLAUDE_CONFIG_DIR: "/c" })[1]).toBe(
      "/c/settings.json",
    );
  });

  it("find every file with an allowlist, whatever it names, and the denials of Tower's server by name or exact command", async () => {
    const none = file('{ "permissions": { "allow": ["Bash"] } }');
    const allows = file('{ "allowedMcpServers": [{ "serverName": "theirs" }] }');
    const empty = file('{ "allowedMcpServers": [] }');
    const denies = file(
      JSON.stringify({
        deniedMcpServers: [
          { serverName: "other" },
          { serverName: "tower" },
          { serverCommand: SERVER },
          // Not Tower's: another command, a prefix of it, a name in another case.
          { serverCommand: ["/usr/bin/node", "/opt/tower.js"] },
          { serverName: "Tower" },
          "tower",
        ],
      }),
    );
    const broken = file('{ "deniedMcpServers": [{ "serverName": "tower" }]');
    const missing = path.join(temp(), "none.json");
    const policy = await claudeMcpPolicy([none, allows, empty, denies, broken, missing], SERVER);
    expect(policy.allowlists).toEqual([allows, empty]);
    expect(policy.denials).toEqual([
      { file: denies, entry: { serverName: "tower" } },
      { file: denies, entry: { serverCommand: SERVER } },
    ]);
    expect(await claudeMcpPolicy([none, missing], SERVER)).toEqual({
      allowlists: [],
      denials: [],
    });
  });

  it("refuse the agent on a denial, naming the file and the entry", async () => {
    const denies = file('{ "deniedMcpServers": [{ "serverName": "tower" }] }');
    const policy = await claudeMcpPolicy([denies], SERVER);
    expect(() => requireClaudeMcpAllowed("A1", policy)).toThrow(RefusedError);
    expect(() => requireClaudeMcpAllowed("A1", policy)).toThrow(
      `${denies} lists {"serverName":"tower"} in deniedMcpServers: Claude Code would not start Tower's MCP server, so agent A1 would have none of Tower's tools`,
    );
    expect(() =>
      requireClaudeMcpAllowed("A1", { allowlists: [denies], denials: [] }),
    ).not.toThrow();
  });

  it("add Tower's server to the allowlists in Tower's --settings only where there is one", () => {
    expect(claudeSettings(["node", "tower.js"])).not.toHaveProperty("allowedMcpServers");
    expect(claudeSettings(["node", "tower.js"], undefined, { allowlisted: true })).toMatchObject({
      allowedMcpServers: [{ serverName: "tower" }],
    });
  });
});

// The worktree's folder: made to show that a project's file is read from it.
describe("a worktree's own Claude Code settings", () => {
  it("are read from its .claude folder", async () => {
    const worktree = temp();
    mkdirSync(path.join(worktree, ".claude"));
    writeFileSync(
      path.join(worktree, ".claude", "settings.local.json"),
      '{ "allowedMcpServers": [{ "serverName": "lint" }] }',
    );
    const policy = await claudeMcpPolicy(claudeSettingsFiles(worktree, { HOME: temp() }), SERVER);
    expect(policy.allowlists).toEqual([path.join(worktree, ".claude", "settings.local.json")]);
  });
});
