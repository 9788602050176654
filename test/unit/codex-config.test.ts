/**
 * What the user's Codex configuration does to what Tower gives a Codex agent
 * (src/agents/codex-config.ts): the `shell_environment_policy.include_only` to which Tower adds
 * its variables (what the pinned Codex does with it: test/real-agents/tower-agent-git.test.ts),
 * and a server of Tower's server's name reached by URL, refused. Real files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  codexHome,
  codexIncludeOnly,
  codexInstructions,
  codexLayers,
  requireCodexServerName,
  withNames,
} from "../../src/agents/codex-config.js";
import { RefusedError } from "../../src/engine/errors.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A user's Codex folder with `config` (none when undefined), and a worktree with `project`. */
function setUp(config?: string, project?: string) {
  const root = mkdtempSync(path.join(os.tmpdir(), "tower-codex-policy-"));
  dirs.push(root);
  const home = path.join(root, "codex-home");
  const repo = path.join(root, "repo");
  const worktree = path.join(root, "repo-stream-A");
  mkdirSync(home);
  mkdirSync(path.join(worktree, ".codex"), { recursive: true });
  if (config !== undefined) writeFileSync(path.join(home, "config.toml"), config);
  if (project !== undefined) writeFileSync(path.join(worktree, ".codex", "config.toml"), project);
  const env = { CODEX_HOME: home, HOME: root };
  const layers = () => codexLayers(worktree, repo, env);
  return {
    worktree,
    repo,
    home,
    layers,
    only: async () => codexIncludeOnly(await layers()),
  };
}

const trusting = (folder: string) => `[projects."${folder}"]\ntrust_level = "trusted"\n`;

describe("the user's include_only for a Codex agent", () => {
  it("is the user's list, none without one or with an empty one, and none from a file that is not TOML", async () => {
    expect(await setUp().only()).toBeUndefined();
    expect(await setUp('model = "x"\n').only()).toBeUndefined();
    expect(
      await setUp('[shell_environment_policy]\ninherit = "core"\ninclude_only = []\n').only(),
    ).toBeUndefined();
    expect(
      await setUp('[shell_environment_policy]\ninclude_only = ["PATH", "HOME", 3]\n').only(),
    ).toEqual(["PATH", "HOME"]);
    expect(await setUp("[shell_environment_policy\ninclude_only = [").only()).toBeUndefined();
  });

  it("is the worktree's own list over the user's, once the user trusts the worktree or its repository", async () => {
    const user = '[shell_environment_policy]\ninclude_only = ["PATH"]\n';
    const project = '[shell_environment_policy]\ninclude_only = ["HOME", "LANG"]\n';
    // Not trusted: Codex does not read the project's file.
    expect(await setUp(user, project).only()).toEqual(["PATH"]);
    const byWorktree = setUp(user, project);
    writeFileSync(
      path.join(path.dirname(byWorktree.worktree), "codex-home", "config.toml"),
      user + trusting(byWorktree.worktree),
    );
    expect(await byWorktree.only()).toEqual(["HOME", "LANG"]);
    const byRepo = setUp(user, project);
    writeFileSync(
      path.join(path.dirname(byRepo.worktree), "codex-home", "config.toml"),
      user + trusting(byRepo.repo),
    );
    expect(await byRepo.only()).toEqual(["HOME", "LANG"]);
    // A trusted project without a list of its own: the user's.
    const none = setUp(user, 'model = "y"\n');
    writeFileSync(
      path.join(path.dirname(none.worktree), "codex-home", "config.toml"),
      user + trusting(none.repo),
    );
    expect(await none.only()).toEqual(["PATH"]);
  });

  it("gets Tower's names added after it, once each", () => {
    expect(
      withNames(["PATH", "TOWER_AGENT_ID"], ["TOWER_AGENT_ID", "GIT_CONFIG_PARAMETERS"]),
    ).toEqual(["PATH", "TOWER_AGENT_ID", "GIT_CONFIG_PARAMETERS"]);
  });

  it("is read from CODEX_HOME, else ~/.codex", () => {
    expect(codexHome({ CODEX_HOME: "/c", HOME: "/h" })).toBe("/c");
    expect(codexHome({ HOME: "/h" })).toBe("/h/.codex");
  });

  it("refuses a server of Tower's server's name reached by URL, naming the file, and keeps one with other keys", async () => {
    const url = setUp('[mcp_servers.tower]\nurl = "http://127.0.0.1:9/mcp"\n');
    const file = path.join(url.home, "config.toml");
    expect(() => requireCodexServerName("A1", [])).not.toThrow();
    const layers = await url.layers();
    expect(() => requireCodexServerName("A1", layers)).toThrow(RefusedError);
    expect(() => requireCodexServerName("A1", layers)).toThrow(
      `${file} defines an MCP server named "tower" reached by URL (url): Codex merges Tower's own server of that name into it and then refuses to start`,
    );
    // Another key of a server of that name (merged: Tower gives enabled and its tools), or a
    // URL server of another name: nothing to refuse.
    const other = setUp(
      '[mcp_servers.tower]\nenabled = false\n[mcp_servers.lint]\nurl = "http://127.0.0.1:9/mcp"\n',
    );
    const kept = await other.layers();
    expect(kept).toHaveLength(1);
    expect(() => requireCodexServerName("A1", kept)).not.toThrow();
  });
});

describe("a Codex agent's developer_instructions", () => {
  const layer = (kind: "user" | "profile" | "project" | "command" | "managed", value: unknown) => ({
    kind,
    file: `${kind}.toml`,
    config: value === undefined ? {} : { developer_instructions: value },
  });

  it("are Tower's briefing after the highest layer's own, after the command's words where the command gives them", () => {
    const of = (...layers: ReturnType<typeof layer>[]) => codexInstructions(layers, "BRIEF");
    expect(of()).toEqual({ value: "BRIEF", afterCommand: false, inPrompt: false });
    expect(of(layer("user", "mine"), layer("project", undefined))).toEqual({
      value: "mine\n\nBRIEF",
      afterCommand: false,
      inPrompt: false,
    });
    expect(of(layer("user", "mine"), layer("profile", "profile's"))).toMatchObject({
      value: "profile's\n\nBRIEF",
    });
    expect(of(layer("user", "mine"), layer("command", "the plan's"))).toEqual({
      value: "the plan's\n\nBRIEF",
      afterCommand: true,
      inPrompt: false,
    });
    // A managed configuration's outrank every -c: the briefing goes with the task.
    expect(of(layer("user", "mine"), layer("managed", "the admin's"))).toEqual({
      value: "mine\n\nBRIEF",
      afterCommand: false,
      inPrompt: true,
    });
  });
});
