/**
 * What makes Claude Code run none of Tower's hooks (src/agents/claude-hooks-off.ts): its
 * minimal and safe modes, by flag or variable, and an administrator's managed settings,
 * managed-settings.json and the drop-ins of managed-settings.d after it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  claudeHooksOff,
  claudeManagedFiles,
  requireClaudeHooks,
} from "../../src/agents/claude-hooks-off.js";
import { RefusedError } from "../../src/engine/errors.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A managed settings folder with `files` (name → JSON value or raw text). */
function managed(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-claude-managed-"));
  made.push(dir);
  for (const [name, value] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), typeof value === "string" ? value : JSON.stringify(value));
  }
  return dir;
}

describe("Claude Code's hooks turned off", () => {
  it("by --bare or --safe-mode on the agent's command (not after --), in either form of command", async () => {
    const none: string[] = [];
    expect(await claudeHooksOff(["claude", "--bare", "{task}"], {}, none)).toBe(
      "the agent's command gives --bare",
    );
    expect(await claudeHooksOff("claude --safe-mode {task}", {}, none)).toBe(
      "the agent's command gives --safe-mode",
    );
    expect(await claudeHooksOff(["claude", "--", "--bare"], {}, none)).toBeUndefined();
    expect(await claudeHooksOff(["claude", "{task}"], {}, none)).toBeUndefined();
    expect(await claudeHooksOff(undefined, {}, none)).toBeUndefined();
  });

  it("by CLAUDE_CODE_SIMPLE or CLAUDE_CODE_SAFE_MODE set true (as Claude Code reads true)", async () => {
    for (const value of ["1", "true", "YES", " on "])
      expect(await claudeHooksOff(["claude"], { CLAUDE_CODE_SIMPLE: value }, [])).toBe(
        `its environment sets CLAUDE_CODE_SIMPLE=${value}`,
      );
    expect(await claudeHooksOff(["claude"], { CLAUDE_CODE_SAFE_MODE: "1" }, [])).toBe(
      "its environment sets CLAUDE_CODE_SAFE_MODE=1",
    );
    for (const value of ["0", "false", "", "no"])
      expect(await claudeHooksOff(["claude"], { CLAUDE_CODE_SIMPLE: value }, [])).toBeUndefined();
  });

  it("by managed settings that disable hooks, allow managed ones only, or lock hooks to plugins; a later drop-in's value wins", async () => {
    const check = async (files: Record<string, unknown>) =>
      claudeHooksOff(["claude"], {}, claudeManagedFiles(managed(files)));
    const one = managed({ "managed-settings.json": { disableAllHooks: true } });
    expect(await claudeHooksOff(["claude"], {}, claudeManagedFiles(one))).toBe(
      `${path.join(one, "managed-settings.json")} (an administrator's managed settings) sets disableAllHooks: true`,
    );
    expect(await check({ "managed-settings.json": { allowManagedHooksOnly: true } })).toContain(
      "sets allowManagedHooksOnly: true",
    );
    expect(
      await check({ "managed-settings.d/10-x.json": { strictPluginOnlyCustomization: ["hooks"] } }),
    ).toContain(
      '10-x.json (an administrator\'s managed settings) sets strictPluginOnlyCustomization: ["hooks"]',
    );
    expect(
      await check({ "managed-settings.json": { strictPluginOnlyCustomization: true } }),
    ).toContain("strictPluginOnlyCustomization: true");
    // Not these: another surface locked, a false, a later drop-in turning it back off, a file
    // that is not JSON (Claude Code reports it).
    expect(
      await check({ "managed-settings.json": { strictPluginOnlyCustomization: ["skills"] } }),
    ).toBeUndefined();
    expect(await check({ "managed-settings.json": { disableAllHooks: false } })).toBeUndefined();
    expect(
      await check({
        "managed-settings.json": { allowManagedHooksOnly: true },
        "managed-settings.d/20-b.json": { allowManagedHooksOnly: false },
      }),
    ).toBeUndefined();
    expect(
      await check({
        "managed-settings.d/20-b.json": { allowManagedHooksOnly: false },
        "managed-settings.d/30-c.json": { allowManagedHooksOnly: true },
      }),
    ).toContain("30-c.json");
    expect(await check({ "managed-settings.json": "{ disableAllHooks: true" })).toBeUndefined();
    expect(await check({})).toBeUndefined();
  });

  // Found by hand: with the variable in the shell that started the server, x in the pane was
  // refused again after the user had unset it in another shell: the agent's environment is the
  // server's, and the refusal did not say so.
  it("by the organization's remote managed settings Claude Code keeps (remote-settings.json), which come instead of the managed files where it talks to Anthropic's own API", async () => {
    const files = claudeManagedFiles(
      managed({ "managed-settings.json": { disableAllHooks: true } }),
    );
    const home = managed({ ".claude/remote-settings.json": { allowManagedHooksOnly: true } });
    const remote = path.join(home, ".claude", "remote-settings.json");
    const said = `${remote} (Claude Code's copy of your organization's remote managed settings) sets allowManagedHooksOnly: true`;
    expect(await claudeHooksOff(undefined, { HOME: home }, files)).toBe(said);
    expect(
      await claudeHooksOff(
        undefined,
        { HOME: home, ANTHROPIC_BASE_URL: "https://api.anthropic.com" },
        files,
      ),
    ).toBe(said);
    // Its configuration folder moved: read there.
    expect(
      await claudeHooksOff(
        undefined,
        { HOME: "/nonexistent", CLAUDE_CONFIG_DIR: path.join(home, ".claude") },
        files,
      ),
    ).toBe(said);
    // Another endpoint, or another provider: Claude Code reads no remote settings, the files hold.
    for (const env of [
      { HOME: home, ANTHROPIC_BASE_URL: "http://127.0.0.1:9" },
      { HOME: home, CLAUDE_CODE_USE_BEDROCK: "1" },
      { HOME: home, CLAUDE_CODE_USE_VERTEX: "true" },
    ]) {
      expect(await claudeHooksOff(undefined, env, files)).toContain(
        "(an administrator's managed settings) sets disableAllHooks",
      );
    }
    // Remote settings that leave hooks on come instead of the files that turn them off.
    const on = managed({
      ".claude/remote-settings.json": { allowManagedHooksOnly: false, model: "x" },
    });
    expect(await claudeHooksOff(undefined, { HOME: on }, files)).toBeUndefined();
    // Empty ones are none: the files hold.
    const empty = managed({ ".claude/remote-settings.json": {} });
    expect(await claudeHooksOff(undefined, { HOME: empty }, files)).toContain("disableAllHooks");
  });

  it("says, of a variable, that it is the Tower server's environment's, to start again without it", () => {
    expect(() => requireClaudeHooks("A1", "its environment sets CLAUDE_CODE_SIMPLE=1")).toThrow(
      "the agents get the environment of the shell that started the Tower server: `tower server stop`, unset it, and start Tower again",
    );
    expect(() => requireClaudeHooks("A1", "the agent's command gives --bare")).not.toThrow(
      "tower server stop",
    );
  });

  it("refuses the agent, saying why and what to do", () => {
    expect(() => requireClaudeHooks("A1", undefined)).not.toThrow();
    expect(() => requireClaudeHooks("A1", "its environment sets CLAUDE_CODE_SIMPLE=1")).toThrow(
      RefusedError,
    );
    expect(() => requireClaudeHooks("A1", "its environment sets CLAUDE_CODE_SIMPLE=1")).toThrow(
      /^its environment sets CLAUDE_CODE_SIMPLE=1: Claude Code would run none of Tower's hooks for agent A1, .* remove that, then start A1 again$/,
    );
  });
});
