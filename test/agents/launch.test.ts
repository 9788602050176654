/** What Tower adds to an agent CLI's command line, as plain functions. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codexHookHash } from "../../src/agents/codex-hooks.js";
import {
  agentCli,
  appendArgs,
  choosesSession,
  claudeLaunch,
  codexLaunch,
  geminiLaunch,
  insertArgs,
  type LaunchRequest,
} from "../../src/agents/launch.js";
import { RefusedError } from "../../src/engine/errors.js";
import { StateFileError, StateStore } from "../../src/engine/state/index.js";

/** An agent's launch request, its state in `state`, with `more` over it. */
function launchRequest(state: string, more: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    identity: {
      agent: "A1",
      stream: "A",
      worktree: "/w",
      repoRoot: "/r",
      stateDir: state,
      task: "t",
    },
    store: new StateStore(state),
    tower: ["/usr/bin/node", "/t/tower.js"],
    briefing: "b",
    session: { id: "", resume: false },
    env: { TOWER_HOOK_PYTHON: "off" },
    ...more,
  };
}

describe("agent launch", () => {
  it("knows the CLI a command runs, by its program", () => {
    expect(agentCli("claude {task}")).toBe("claude");
    expect(agentCli(["/opt/x/node_modules/.bin/codex", "{task}"])).toBe("codex");
    expect(agentCli("FOO=1 exec gemini -i {task}")).toBe("gemini");
    expect(agentCli("sh -c 'claude {task}'")).toBeUndefined();
  });

  it("tells a command that picks its own conversation, per CLI (-c is Codex's config)", () => {
    expect(choosesSession("claude --continue")).toBe(true);
    expect(choosesSession(["claude", "-r", "x"])).toBe(true);
    expect(choosesSession(["codex", "-c", 'sandbox_mode="read-only"', "{task}"])).toBe(false);
    expect(choosesSession(["codex", "resume", "abc"])).toBe(true);
    expect(choosesSession("gemini --session-id=x")).toBe(true);
    expect(choosesSession("aider --continue")).toBe(false);
  });

  it("puts arguments after the program, or at the end, quoting them in a shell command", () => {
    expect(insertArgs(["codex", "{task}"], ["-c", "a=1"])).toEqual([
      "codex",
      "-c",
      "a=1",
      "{task}",
    ]);
    expect(insertArgs("X=1 codex {task}", ["-c", "a b"])).toBe("X=1 codex '-c' 'a b' {task}");
    expect(appendArgs("claude {task}", ["--x=it's"])).toBe("claude {task} '--x=it'\\''s'");
  });

  it("turns Codex's shared daemon off and gives it Tower's MCP server and trusted hooks on the command line", async () => {
    const state = mkdtempSync(path.join(os.tmpdir(), "tower-launch-"));
    try {
      const { args } = await codexLaunch(launchRequest(state, { briefing: 'You are "A1".' }));
      const config = args.filter((_, i) => args[i - 1] === "-c");
      expect(config).toContain("features.daemon_auto_start=false");
      expect(config).toContain('tui.alternate_screen="never"');
      expect(config).toContain('mcp_servers.tower.command="/usr/bin/node"');
      expect(config).toContain('mcp_servers.tower.args=["/t/tower.js","mcp"]');
      expect(config).toContain('mcp_servers.tower.default_tools_approval_mode="approve"');
      expect(config).toContain('developer_instructions="You are \\"A1\\"."');
      // Its hooks on patches (without Python: `tower hook` itself), and their trust.
      // (Bash: Codex's shell tool, whose `apply_patch <<'EOF'` Codex applies itself.)
      const command = "'/usr/bin/node' '/t/tower.js' 'hook' 'PreToolUse'";
      expect(config).toContain(
        `hooks.PreToolUse=[{matcher = "^(apply_patch|Bash)$", hooks = [{type = "command", command = ${JSON.stringify(command)}, timeout = 15}]}]`,
      );
      const hash = codexHookHash({
        event: "PreToolUse",
        matcher: "^(apply_patch|Bash)$",
        command,
        timeout: 15,
      });
      const trust = config.find((c) => c.startsWith("hooks.state="));
      expect(trust).toContain(
        `"/<session-flags>/config.toml:pre_tool_use:0:0" = {trusted_hash = "${hash}"}`,
      );
      expect(trust).toContain('"/<session-flags>/config.toml:post_tool_use:0:0"');
      // Before each request to the model: the room's snapshot of what a shell Codex keeps open
      // wrote (write_stdin fires no tool event).
      const request = "'/usr/bin/node' '/t/tower.js' 'hook' 'CodexModelRequest'";
      expect(config).toContain(
        `hooks.PreModelRequest=[{hooks = [{type = "command", command = ${JSON.stringify(request)}, timeout = 15}]}]`,
      );
      expect(trust).toContain(
        `"/<session-flags>/config.toml:pre_model_request:0:0" = {trusted_hash = "${codexHookHash({ event: "PreModelRequest", command: request, timeout: 15 })}"}`,
      );
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it("gives Codex the command's own hooks on its events again after the command's words, Tower's after them, trusted at their places", async () => {
    const state = mkdtempSync(path.join(os.tmpdir(), "tower-launch-"));
    try {
      const theirs = '[{matcher = "x", hooks = [{type = "command", command = "mine"}]}]';
      const { args, argsAfter = [] } = await codexLaunch(
        launchRequest(state, {
          env: { TOWER_HOOK_PYTHON: "off", CODEX_HOME: state },
          command: ["codex", "-c", `hooks.PreToolUse=${theirs}`],
        }),
      );
      const config = (words: string[]) => words.filter((_, i) => words[i - 1] === "-c");
      expect(config(args).some((c) => c.startsWith("hooks.PreToolUse="))).toBe(false);
      expect(config(args).some((c) => c.startsWith("hooks.PostToolUse="))).toBe(true);
      const [after] = config(argsAfter);
      expect(after).toMatch(
        /^hooks\.PreToolUse=\[\{matcher = "x", hooks = \[\{type = "command", command = "mine"\}\]\}, \{matcher = "\^\(apply_patch\|Bash\)\$"/,
      );
      const trust = config(args).find((c) => c.startsWith("hooks.state=")) ?? "";
      // Theirs is the first group (their trust, the user's, names it so); Tower's the second.
      expect(trust).toContain('"/<session-flags>/config.toml:pre_tool_use:1:0"');
      expect(trust).not.toContain('"/<session-flags>/config.toml:pre_tool_use:0:0"');
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it("gives Claude Code settings that keep Tower's hooks on though the user's turn all hooks off", async () => {
    const state = mkdtempSync(path.join(os.tmpdir(), "tower-launch-"));
    try {
      const { args } = await claudeLaunch(
        launchRequest(state, { session: { id: "s", resume: false } }),
      );
      const file = args.find((a) => a.startsWith("--settings="))?.slice("--settings=".length);
      expect(file).toBe(path.join(state, "launch", "A1", "claude-settings.json"));
      const settings = JSON.parse(readFileSync(String(file), "utf8"));
      // `disableAllHooks: true` in ~/.claude/settings.json (or the project's) would drop them all;
      // --settings outranks those.
      expect(settings.disableAllHooks).toBe(false);
      expect(Object.keys(settings.hooks)).toContain("PreToolUse");
      // Its file tools and its shell (the room's snapshots before and after a command).
      expect(settings.hooks.PreToolUse[0].matcher).toBe("Write|Edit|MultiEdit|NotebookEdit|Bash");
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it("refuses Gemini CLI in a worktree whose own settings switch hooks off, having written nothing; elsewhere its hooks have names of the launch's own", async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), "tower-launch-gemini-"));
    try {
      const { state, worktree, trusted, request } = geminiWorktree(parent, "b");
      const file = path.join(worktree, ".gemini", "settings.json");
      writeFileSync(file, '{ "hooksConfig": { "enabled": false } }\n');
      const refused = geminiLaunch(request);
      await expect(refused).rejects.toThrow(RefusedError);
      await expect(refused).rejects.toThrow(`${file} sets hooksConfig.enabled to false`);
      expect(readdirSync(state)).toEqual([]);
      expect(readFileSync(file, "utf8")).toBe('{ "hooksConfig": { "enabled": false } }\n');
      writeFileSync(file, '{ "hooksConfig": { "enabled": true } }\n');
      const names = async () => {
        const launch = await geminiLaunch(request);
        // Trusted by a rule of its own: trusted by the variable too, for the whole run.
        expect(launch.env).toEqual({
          GEMINI_CLI_TRUST_WORKSPACE: "true",
          GEMINI_RESTRICTED_MODE: "",
          // The user's own file, where a change made in the agent belongs.
          GEMINI_CLI_TRUSTED_FOLDERS_PATH: path.join(
            parent,
            "home",
            ".gemini",
            "trustedFolders.json",
          ),
          GEMINI_CLI_HOME: path.join(state, "launch", "A1", "gemini-home"),
        });
        const settings = JSON.parse(
          readFileSync(
            path.join(String(launch.env.GEMINI_CLI_HOME), ".gemini", "settings.json"),
            "utf8",
          ),
        ) as { hooks: Record<string, { matcher: string; hooks: { name: string }[] }[]> };
        // Its file tools and its shell (the room's snapshots before and after a command).
        expect(settings.hooks.BeforeTool?.[0]?.matcher).toBe(
          "write_file|replace|run_shell_command",
        );
        return Object.values(settings.hooks).map((entries) => entries[0]?.hooks[0]?.name);
      };
      const first = await names();
      expect(first).toEqual([
        expect.stringMatching(/^tower-BeforeTool-/),
        expect.stringMatching(/^tower-AfterTool-/),
      ]);
      expect(await names()).not.toEqual(first);
      // Trusted through its repository only: Gemini gets the trust by its variable.
      writeFileSync(trusted, JSON.stringify({ "/r": "TRUST_FOLDER" }));
      expect((await geminiLaunch(request)).env.GEMINI_CLI_TRUST_WORKSPACE).toBe("true");
      // Neither: refused, before Gemini could ask and run the task without Tower's hooks.
      writeFileSync(trusted, JSON.stringify({ [worktree]: "DO_NOT_TRUST", "/r": "TRUST_FOLDER" }));
      await expect(geminiLaunch(request)).rejects.toThrow(`says DO_NOT_TRUST for ${worktree}`);
      writeFileSync(trusted, "{}");
      await expect(geminiLaunch(request)).rejects.toThrow(
        `Gemini CLI trusts neither ${worktree} nor its repository /r`,
      );
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("gives Gemini CLI the briefing as a context file of its home, or with the task where the worktree's settings name their own context files", async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), "tower-launch-gemini-"));
    try {
      const { state, worktree, request } = geminiWorktree(parent, "You are agent A1");
      const briefingFile = path.join(
        state,
        "launch",
        "A1",
        "gemini-home",
        ".gemini",
        "TOWER-BRIEFING.md",
      );
      const launch = await geminiLaunch(request);
      expect(launch.briefInPrompt).toBeUndefined();
      expect(readFileSync(briefingFile, "utf8")).toBe("You are agent A1\n");
      // The worktree's own list would replace the home's: the briefing goes with the task.
      writeFileSync(
        path.join(worktree, ".gemini", "settings.json"),
        '{ "context": { "fileName": ["AGENTS.md"] } }\n',
      );
      expect((await geminiLaunch(request)).briefInPrompt).toBe(true);
      expect(existsSync(briefingFile)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  describe("never writes an agent's launch files through a link", () => {
    let parent: string;
    let state: string;
    let outside: string;
    const request = (env: NodeJS.ProcessEnv = {}): LaunchRequest =>
      launchRequest(state, {
        session: { id: "s", resume: false },
        env: { HOME: path.join(parent, "home"), ...env },
      });
    beforeEach(() => {
      parent = mkdtempSync(path.join(os.tmpdir(), "tower-launch-links-"));
      state = path.join(parent, "state");
      outside = path.join(parent, "outside");
      mkdirSync(state);
      mkdirSync(outside);
      writeFileSync(path.join(outside, "victim.json"), "theirs\n");
    });
    afterEach(() => rmSync(parent, { recursive: true, force: true }));
    const untouched = () => {
      expect(readdirSync(outside)).toEqual(["victim.json"]);
      expect(readFileSync(path.join(outside, "victim.json"), "utf8")).toBe("theirs\n");
    };

    it("refuses a link at the launch folder, at the agent's, or at a file in it, naming it", async () => {
      for (const [name, target] of [
        ["launch", outside],
        ["launch/A1", outside],
        ["launch/A1/claude-settings.json", path.join(outside, "victim.json")],
        ["launch/A1/mcp.json", path.join(outside, "victim.json")],
      ] as const) {
        rmSync(path.join(state, "launch"), { recursive: true, force: true });
        mkdirSync(path.dirname(path.join(state, name)), { recursive: true });
        symlinkSync(target, path.join(state, name));
        const launched = claudeLaunch(request({ TOWER_HOOK_PYTHON: "off" }));
        await expect(launched, name).rejects.toThrow(StateFileError);
        await expect(launched, name).rejects.toThrow(
          `${path.join(state, name)} is a symbolic link`,
        );
        untouched();
      }
    });

    it("refuses a link at the hook forwarder or at Gemini's home, naming it", async () => {
      mkdirSync(path.join(state, "launch", "A1"), { recursive: true });
      const forwarder = path.join(state, "launch", "A1", "tower-hook.py");
      symlinkSync(path.join(outside, "victim.json"), forwarder);
      // With Python found (as hook-forward.test.ts needs it), the forwarder is written first.
      await expect(codexLaunch(request({ PATH: process.env.PATH }))).rejects.toThrow(
        `${forwarder} is a symbolic link`,
      );
      rmSync(forwarder);
      const home = path.join(state, "launch", "A1", "gemini-home");
      symlinkSync(outside, home);
      await expect(geminiLaunch(request({ TOWER_HOOK_PYTHON: "off" }))).rejects.toThrow(
        `${home} is a symbolic link`,
      );
      expect(existsSync(path.join(outside, ".gemini"))).toBe(false);
      untouched();
    });
  });
});

/**
 * In `parent`: a state folder, a worktree with a `.gemini` folder that Gemini trusts (a rule of
 * its own in the user's trusted folders), and the request to launch agent A1 there.
 */
function geminiWorktree(parent: string, briefing: string) {
  const state = path.join(parent, "state");
  const worktree = path.join(parent, "wt");
  mkdirSync(state);
  mkdirSync(path.join(worktree, ".gemini"), { recursive: true });
  // Gemini trusts the worktree (else it would run no hook there).
  const trusted = path.join(parent, "home", ".gemini", "trustedFolders.json");
  mkdirSync(path.dirname(trusted), { recursive: true });
  writeFileSync(trusted, JSON.stringify({ [worktree]: "TRUST_FOLDER" }));
  const request: LaunchRequest = {
    identity: { agent: "A1", stream: "A", worktree, repoRoot: "/r", stateDir: state, task: "t" },
    store: new StateStore(state),
    tower: ["/usr/bin/node", "/t/tower.js"],
    briefing,
    session: { id: "s", resume: false },
    env: { HOME: path.join(parent, "home"), TOWER_HOOK_PYTHON: "off" },
  };
  return { state, worktree, trusted, request };
}
