/**
 * A repository's own Gemini CLI settings (`.gemini/settings.json` in the folder Gemini starts
 * in) that would switch Tower's hooks off, found before Gemini starts (src/agents/
 * gemini-workspace.ts); what the pinned Gemini does with them is in
 * test/real-agents/tower-gemini-workspace.test.ts. Real files, nothing mocked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  geminiHookName,
  geminiLaunchSettings,
  geminiReadsSystemFile,
  geminiSystemFiles,
  geminiSystemProblems,
  geminiTrust,
  geminiTrustPins,
  geminiWorkspaceProblems,
  geminiWorkspaceRefusal,
} from "../../src/agents/gemini-workspace.js";
import { RefusedError } from "../../src/engine/errors.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A worktree whose `.gemini/settings.json` holds `settings` (none when undefined). */
function worktree(settings?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-gemini-workspace-"));
  dirs.push(dir);
  if (settings !== undefined) {
    mkdirSync(path.join(dir, ".gemini"));
    writeFileSync(path.join(dir, ".gemini", "settings.json"), settings);
  }
  return dir;
}

const settingsOf = (dir: string) => path.join(dir, ".gemini", "settings.json");

describe("a worktree's own Gemini settings", () => {
  it("leave Tower's hooks alone when there are none, or when they only add to the hooks", async () => {
    expect(await geminiWorkspaceProblems(worktree())).toEqual([]);
    for (const settings of [
      "",
      "{}",
      '{ "ui": { "theme": "x" } }',
      '{ "hooksConfig": { "enabled": true, "notifications": false } }',
      // A hook named in `disabled`: Tower's have names of each launch's own (see below).
      '{ "hooksConfig": { "disabled": ["tower hook BeforeTool"] } }',
      // The workspace's own hooks run beside Tower's; an event as one entry is added to them.
      '{ "hooks": { "BeforeTool": [{ "hooks": [{ "type": "command", "command": "lint" }] }] } }',
      '{ "hooks": { "BeforeTool": null, "AfterTool": {} } }',
      // A hooksConfig that is no object leaves `enabled` unset (on).
      '{ "hooksConfig": false }',
      // Comments, as Gemini reads them; `enabled` in a string is not the setting.
      '{\n  // "hooksConfig": { "enabled": false }\n  "ui": { "theme": "a // \\"enabled\\": false" }\n}',
    ]) {
      expect(await geminiWorkspaceProblems(worktree(settings)), settings).toEqual([]);
    }
  });

  it("switch the hooks off with any hooksConfig.enabled but true", async () => {
    for (const value of ["false", "0", '""', '"false"', "null", '"$HOOKS_ON"']) {
      const dir = worktree(`{ /* off */ "hooksConfig": { "enabled": ${value} } }`);
      const problems = await geminiWorkspaceProblems(dir);
      expect(
        problems.map((p) => p.setting),
        value,
      ).toEqual(["hooksConfig.enabled"]);
      expect(problems[0]?.file).toBe(settingsOf(dir));
      expect(problems[0]?.text).toContain(
        `${settingsOf(dir)} sets hooksConfig.enabled to ${value}: Gemini CLI applies these workspace settings over the user's and would run no hook at all`,
      );
      expect(problems[0]?.text).toContain("Remove hooksConfig.enabled from that file");
    }
  });

  it("take every hook away with hooks that is not an object", async () => {
    for (const value of ["null", "[]", "false", '"none"', "0"]) {
      const dir = worktree(`{ "hooks": ${value} }`);
      const problems = await geminiWorkspaceProblems(dir);
      expect(
        problems.map((p) => p.setting),
        value,
      ).toEqual(["hooks"]);
      expect(problems[0]?.text).toContain(
        `${settingsOf(dir)} sets hooks to ${value}, not an object of hook events: Gemini CLI takes it instead of every hook`,
      );
    }
    const both = await geminiWorkspaceProblems(
      worktree('{ "hooks": null, "hooksConfig": { "enabled": false } }'),
    );
    expect(both.map((p) => p.setting)).toEqual(["hooksConfig.enabled", "hooks"]);
  });

  it("keep Tower's MCP server unless they replace, exclude or leave it out of an allowed list", async () => {
    for (const settings of [
      '{ "mcpServers": { "lint": { "command": "lint-mcp" } } }',
      // Kept by Gemini's shallow merge: a value that is not an object adds nothing.
      '{ "mcpServers": [] }',
      '{ "mcp": { "excluded": ["lint"], "allowed": ["tower", "lint"] } }',
      // An empty allowed list blocks nothing (Gemini checks a list only when it names some).
      '{ "mcp": { "allowed": [] } }',
      // A case or a space of its own: Gemini compares names as they are.
      '{ "mcp": { "excluded": ["Tower", " tower"] } }',
      '{ "mcp": null }',
    ]) {
      expect(await geminiWorkspaceProblems(worktree(settings)), settings).toEqual([]);
    }
    const found = async (settings: string) => {
      const dir = worktree(settings);
      return (await geminiWorkspaceProblems(dir)).map((p) => ({
        setting: p.setting,
        text: p.text.replace(settingsOf(dir), "FILE"),
      }));
    };
    expect(await found('{ "mcpServers": { "tower": { "command": "mine" } } }')).toEqual([
      {
        setting: "mcpServers.tower",
        text: expect.stringContaining(
          "FILE defines an MCP server named \"tower\": Gemini CLI takes the workspace's instead of Tower's own",
        ),
      },
    ]);
    for (const value of ["null", "false", "0", '""']) {
      expect(await found(`{ "mcpServers": ${value} }`), value).toEqual([
        {
          setting: "mcpServers",
          text: expect.stringContaining(
            `FILE sets mcpServers to ${value}: Gemini CLI takes it instead of every MCP server`,
          ),
        },
      ]);
    }
    expect(await found('{ "mcp": { "excluded": ["lint", "tower"] } }')).toEqual([
      {
        setting: "mcp.excluded",
        text: expect.stringContaining(
          'FILE lists "tower" in mcp.excluded: Gemini CLI would not start Tower\'s MCP server',
        ),
      },
    ]);
    expect(await found('{ "mcp": { "allowed": ["lint"] } }')).toEqual([
      {
        setting: "mcp.allowed",
        text: expect.stringContaining(
          'FILE sets mcp.allowed to ["lint"], without "tower": Gemini CLI starts only the MCP servers every allowed list names',
        ),
      },
    ]);
  });

  it("that Gemini could not read either are refused too, saying why", async () => {
    const broken = worktree('{ "hooksConfig": { "enabled": false }');
    expect((await geminiWorkspaceProblems(broken))[0]?.text).toContain(
      `${settingsOf(broken)}, which Gemini CLI reads as workspace settings, is not JSON`,
    );
    const list = worktree("[]");
    expect((await geminiWorkspaceProblems(list))[0]?.text).toContain("is not a JSON object");
    // A folder where the file would be: Gemini stops on it.
    const folder = worktree();
    mkdirSync(settingsOf(folder), { recursive: true });
    expect((await geminiWorkspaceProblems(folder))[0]?.text).toContain(
      `${settingsOf(folder)} cannot be read (EISDIR)`,
    );
    // `.gemini` a file: Gemini finds no settings there.
    const file = worktree();
    writeFileSync(path.join(file, ".gemini"), "x");
    expect(await geminiWorkspaceProblems(file)).toEqual([]);
  });

  it("refuse the agent with the file, the setting, and what to do", async () => {
    const dir = worktree('{ "hooksConfig": { "enabled": false } }');
    const refusal = geminiWorkspaceRefusal("A1", dir, await geminiWorkspaceProblems(dir));
    expect(refusal).toBeInstanceOf(RefusedError);
    expect(refusal.message).toMatch(
      new RegExp(
        `^${settingsOf(dir).replace(/[.]/g, "\\.")} sets hooksConfig\\.enabled to false: .*Tower does not start Gemini agent A1 in ${dir.replace(/[.]/g, "\\.")} while it does: change the file \\(commit the change if the repository commits it; Tower changes none of its files\\), then start A1 again$`,
      ),
    );
  });
});

describe("what a launch gives Gemini against a worktree's files", () => {
  it("gives the trust variables the agent's environment lacks, empty, and keeps the user's own", () => {
    expect(geminiTrustPins({})).toEqual({
      GEMINI_CLI_TRUST_WORKSPACE: "",
      GEMINI_RESTRICTED_MODE: "",
    });
    expect(geminiTrustPins({ GEMINI_CLI_TRUST_WORKSPACE: "true" })).toEqual({
      GEMINI_RESTRICTED_MODE: "",
    });
  });

  it("refuses a variable that distrusts every folder, saying the agents get the server's environment", async () => {
    const dir = worktree();
    for (const env of [
      { GEMINI_RESTRICTED_MODE: "true" },
      { GEMINI_CLI_TRUST_WORKSPACE: "false" },
    ]) {
      const [[name, value]] = Object.entries(env) as [[string, string]];
      const { problem } = await geminiTrust(dir, dir, dir, env);
      expect(problem).toContain(`the environment sets ${name}=${value}`);
      // Unset in another shell, it stays the server's: say how to leave it behind.
      expect(problem).toContain(
        "the agents get the environment of the shell that started the Tower server: `tower server stop`, unset it, and start Tower again",
      );
    }
  });

  it("names each hook afresh", () => {
    const first = geminiHookName("BeforeTool");
    expect(first).toMatch(/^tower-BeforeTool-[0-9a-f]{12}$/);
    expect(geminiHookName("BeforeTool")).not.toBe(first);
  });
});

describe("an administrator's Gemini system settings", () => {
  it("are found where Gemini looks: its variables, else /etc/gemini-cli, the defaults beside the settings", () => {
    expect(geminiSystemFiles({})).toEqual({
      settings: "/etc/gemini-cli/settings.json",
      defaults: "/etc/gemini-cli/system-defaults.json",
    });
    expect(geminiSystemFiles({ GEMINI_CLI_SYSTEM_SETTINGS_PATH: "/a/s.json" })).toEqual({
      settings: "/a/s.json",
      defaults: "/a/system-defaults.json",
    });
    expect(geminiSystemFiles({ GEMINI_CLI_SYSTEM_DEFAULTS_PATH: "/b/d.json" }).defaults).toBe(
      "/b/d.json",
    );
  });

  it("are read only where Gemini reads them: not in a folder others may write (the temp folder), nor a missing file", () => {
    const dir = worktree('{ "hooksConfig": { "enabled": false } }');
    expect(geminiReadsSystemFile(settingsOf(dir))).toBe(false);
    expect(geminiReadsSystemFile(path.join(dir, "none.json"))).toBe(false);
  });

  it("switch Tower's hooks off or take its server (system settings over all), or its server only (the defaults' MCP lists)", async () => {
    const dir = worktree();
    const settings = path.join(dir, "settings.json");
    const defaults = path.join(dir, "system-defaults.json");
    const env = { GEMINI_CLI_SYSTEM_SETTINGS_PATH: settings };
    const all = () => true;
    expect(await geminiSystemProblems(env, all)).toEqual([]);
    writeFileSync(
      settings,
      JSON.stringify({ hooksConfig: { enabled: false }, mcpServers: { tower: { command: "x" } } }),
    );
    writeFileSync(
      defaults,
      JSON.stringify({ mcpServers: { tower: { command: "y" } }, mcp: { excluded: ["tower"] } }),
    );
    const found = await geminiSystemProblems(env, all);
    expect(found.map((p) => [p.file, p.setting])).toEqual([
      [settings, "hooksConfig.enabled"],
      [settings, "mcpServers.tower"],
      [defaults, "mcp.excluded"],
    ]);
    expect(found[0]?.text).toContain(
      "sets hooksConfig.enabled to false: Gemini CLI applies these system settings over all others and would run no hook at all",
    );
    expect(found[1]?.text).toContain("Gemini CLI takes the system's instead of Tower's own");
    // Files Gemini would skip: nothing.
    expect(await geminiSystemProblems(env, () => false)).toEqual([]);
    expect(await geminiSystemProblems(env)).toEqual([]);
  });

  it("that name the context files (as the workspace's do) replace Tower's briefing file: only when Gemini reads them", async () => {
    const dir = worktree();
    const settings = path.join(dir, "settings.json");
    const env = { GEMINI_CLI_SYSTEM_SETTINGS_PATH: settings };
    const all = () => true;
    const names = async (...args: Parameters<typeof geminiLaunchSettings>) =>
      (await geminiLaunchSettings(...args)).namesContext;
    expect(await names(dir, env, all)).toBe(false);
    writeFileSync(settings, '{ "context": { "loadMemoryFromIncludeDirectories": true } }');
    expect(await names(dir, env, all)).toBe(false);
    writeFileSync(settings, '// the admin\'s\n{ "context": { "fileName": "AGENTS.md" } }');
    expect(await names(dir, env, all)).toBe(true);
    expect(await names(dir, env, () => false)).toBe(false);
    // The workspace's own, whatever the system's say.
    const named = worktree('{ "context": { "fileName": [] } }');
    expect(await names(named, {}, () => false)).toBe(true);
  });
});
