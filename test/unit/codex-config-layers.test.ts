/**
 * The layers of Codex's configuration beyond the user's and the project's file
 * (src/agents/codex-config.ts), as Codex 0.171.0 reads them: a profile chosen on the agent's
 * command line (`--profile <name>`: `$CODEX_HOME/<name>.config.toml`, above the user's file and
 * under `-c`), `shell_environment_policy.filters` (0.171's form of `include_only`), an
 * administrator's managed configuration (`/etc/codex/managed_config.toml`, above `-c`) and
 * requirements (`/etc/codex/requirements.toml`, whose `mcp_servers` allows only the servers it
 * names). The managed files' paths are fixed under /etc (nothing moves them), so these tests give
 * the reading functions files of their own. Real files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CODEX_MANAGED_CONFIG,
  CODEX_REQUIREMENTS,
  CODEX_SYSTEM_CONFIG,
  codexCommandHooks,
  codexCommandLayer,
  codexCommandSettings,
  codexLayers,
  codexProfile,
  codexRequirements,
  codexShellArgs,
  codexShellLimit,
  requireCodexHooksFeature,
  requireCodexServerName,
  requireCodexShellVariables,
} from "../../src/agents/codex-config.js";
import { RefusedError } from "../../src/engine/errors.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Tower's variables, as codexLaunch gives them (who the agent is, and the guard's). */
const VARIABLES = {
  TOWER_AGENT_ID: "A1",
  TOWER_STREAM: "A",
  GIT_CONFIG_PARAMETERS: "'core.hookspath'='/g'",
};
const NAMES = Object.keys(VARIABLES);
const NODE = "/usr/bin/node";

interface Files {
  user?: string;
  profile?: [string, string];
  project?: string;
  system?: string;
  managed?: string;
  requirements?: string;
}

/** A user's Codex folder, a worktree, and system files of the test's own, with what is given. */
function setUp(files: Files) {
  const root = mkdtempSync(path.join(os.tmpdir(), "tower-codex-layers-"));
  dirs.push(root);
  const home = path.join(root, "codex-home");
  const repo = path.join(root, "repo");
  const worktree = path.join(root, "repo-stream-A");
  const etc = path.join(root, "etc-codex");
  mkdirSync(home);
  mkdirSync(etc);
  mkdirSync(path.join(worktree, ".codex"), { recursive: true });
  const system = {
    config: path.join(etc, "config.toml"),
    managed: path.join(etc, "managed_config.toml"),
    requirements: path.join(etc, "requirements.toml"),
  };
  const write = (file: string, text: string | undefined) => {
    if (text !== undefined) writeFileSync(file, text);
  };
  write(path.join(home, "config.toml"), files.user);
  if (files.profile) write(path.join(home, `${files.profile[0]}.config.toml`), files.profile[1]);
  write(path.join(worktree, ".codex", "config.toml"), files.project);
  write(system.config, files.system);
  write(system.managed, files.managed);
  write(system.requirements, files.requirements);
  const env = { CODEX_HOME: home, HOME: root };
  return {
    home,
    worktree,
    repo,
    system,
    layers: (profile?: string) =>
      codexLayers(worktree, repo, env, {
        profile,
        systemConfig: system.config,
        managedConfig: system.managed,
      }),
    requirements: () => codexRequirements(system.requirements),
  };
}

const trusting = (folder: string) => `[projects."${folder}"]\ntrust_level = "trusted"\n`;
const includeOnly = (names: string[]) =>
  `[shell_environment_policy]\ninclude_only = ${JSON.stringify(names)}\n`;
const filters = (entries: Record<string, string>) =>
  `[shell_environment_policy.filters]\n${Object.entries(entries)
    .map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`)
    .join("\n")}\n`;

describe("the Codex files Tower reads", () => {
  it("are the system's under /etc/codex by default (fixed paths on Linux)", () => {
    expect(CODEX_SYSTEM_CONFIG).toBe("/etc/codex/config.toml");
    expect(CODEX_MANAGED_CONFIG).toBe("/etc/codex/managed_config.toml");
    expect(CODEX_REQUIREMENTS).toBe("/etc/codex/requirements.toml");
  });

  it("in Codex's order: system, user, the profile chosen, the trusted project, then the managed one (above -c)", async () => {
    const s = setUp({
      system: 'model = "s"\n',
      user: 'model = "u"\n',
      project: 'model = "w"\n',
      managed: 'model = "m"\n',
    });
    // The profile trusts the worktree: Codex reads the project's file then.
    writeFileSync(path.join(s.home, "work.config.toml"), `model = "p"\n${trusting(s.worktree)}`);
    const layers = await s.layers("work");
    expect(layers.map((l) => [l.kind, l.file])).toEqual([
      ["system", s.system.config],
      ["user", path.join(s.home, "config.toml")],
      ["profile", path.join(s.home, "work.config.toml")],
      ["project", path.join(s.worktree, ".codex", "config.toml")],
      ["managed", s.system.managed],
    ]);
    // Without the profile chosen, its file is not read, nor the project it trusts.
    expect((await s.layers()).map((l) => l.kind)).toEqual(["system", "user", "managed"]);
  });

  it("takes the project's trust from the system's, the user's or the profile's projects, the worktree's first", async () => {
    const project = includeOnly(["HOME"]);
    const bySystem = setUp({ project });
    writeFileSync(bySystem.system.config, trusting(bySystem.repo));
    expect((await bySystem.layers()).map((l) => l.kind)).toEqual(["system", "project"]);
    // The worktree marked untrusted decides, though its repository is trusted.
    const untrusted = setUp({ project });
    writeFileSync(
      path.join(untrusted.home, "config.toml"),
      `${trusting(untrusted.repo)}[projects."${untrusted.worktree}"]\ntrust_level = "untrusted"\n`,
    );
    expect((await untrusted.layers()).map((l) => l.kind)).toEqual(["user"]);
  });
});

describe("the profile an agent's command chooses", () => {
  it("is its --profile or -p, in any of the forms Codex takes", () => {
    expect(codexProfile(["codex", "-p", "work", "{task}"])).toBe("work");
    expect(codexProfile(["/x/codex", "--profile", "work", "{task}"])).toBe("work");
    expect(codexProfile(["codex", "--profile=work", "{task}"])).toBe("work");
    expect(codexProfile(["codex", "-pwork"])).toBe("work");
    expect(codexProfile(["codex", "-p=work"])).toBe("work");
    expect(codexProfile("codex --profile 'work' {task}")).toBe("work");
    expect(codexProfile(["codex", "-c", "a=1", "{task}"])).toBeUndefined();
    // -P is Codex's permissions profile, not a configuration's.
    expect(codexProfile(["codex", "-P", "work"])).toBeUndefined();
    // A name Codex would refuse (a path) is left to Codex.
    expect(codexProfile(["codex", "-p", "../x"])).toBeUndefined();
  });

  it("has its include_only given back with Tower's names, over the user's", async () => {
    const s = setUp({
      user: includeOnly(["PATH"]),
      profile: ["work", includeOnly(["PATH", "HOME"])],
    });
    expect(codexShellArgs(await s.layers("work"), NAMES)).toEqual([
      ["shell_environment_policy.include_only", JSON.stringify(["PATH", "HOME", ...NAMES])],
    ]);
    expect(codexShellArgs(await s.layers(), NAMES)).toEqual([
      ["shell_environment_policy.include_only", JSON.stringify(["PATH", ...NAMES])],
    ]);
  });

  it("has its server of Tower's name reached by URL refused, naming the profile's file", async () => {
    const s = setUp({ profile: ["work", '[mcp_servers.tower]\nurl = "http://127.0.0.1:9/mcp"\n'] });
    const layers = await s.layers("work");
    expect(() => requireCodexServerName("A1", layers)).toThrow(RefusedError);
    expect(() => requireCodexServerName("A1", layers)).toThrow(
      `${path.join(s.home, "work.config.toml")} defines an MCP server named "tower" reached by URL (url)`,
    );
  });
});

describe("shell_environment_policy.filters (Codex 0.171's include_only)", () => {
  it("with include entries: Tower's names are given as filters of their own (merged into the user's)", async () => {
    const s = setUp({ user: filters({ PATH: "include", HOME: "include", "AWS_*": "exclude" }) });
    const layers = await s.layers();
    expect(codexShellLimit(layers)).toEqual({ by: "filters", patterns: ["PATH", "HOME"] });
    expect(codexShellArgs(layers, NAMES)).toEqual(
      NAMES.map((name) => [`shell_environment_policy.filters.${name}`, '"include"']),
    );
  });

  it("with only exclude entries: nothing to add", async () => {
    const s = setUp({ user: filters({ "AWS_*": "exclude" }) });
    expect(codexShellLimit(await s.layers())).toBeUndefined();
    expect(codexShellArgs(await s.layers(), NAMES)).toEqual([]);
  });

  it("a higher layer's filters replace a lower one's include_only, and the other way round", async () => {
    const overList = setUp({ user: includeOnly(["PATH"]), project: filters({ HOME: "include" }) });
    writeFileSync(
      path.join(overList.home, "config.toml"),
      includeOnly(["PATH"]) + trusting(overList.worktree),
    );
    expect(codexShellLimit(await overList.layers())).toEqual({ by: "filters", patterns: ["HOME"] });
    const overFilters = setUp({
      user: filters({ PATH: "include" }),
      project: includeOnly(["HOME"]),
    });
    writeFileSync(
      path.join(overFilters.home, "config.toml"),
      filters({ PATH: "include" }) + trusting(overFilters.worktree),
    );
    expect(codexShellLimit(await overFilters.layers())).toEqual({
      by: "include_only",
      patterns: ["HOME"],
    });
    expect(codexShellArgs(await overFilters.layers(), NAMES)).toEqual([
      ["shell_environment_policy.include_only", JSON.stringify(["HOME", ...NAMES])],
    ]);
  });
});

describe("an administrator's managed configuration (above Tower's -c)", () => {
  it("is not what Tower's own list is made from", async () => {
    const s = setUp({
      user: includeOnly(["PATH"]),
      managed: includeOnly(["PATH", "TOWER_*", "GIT_*"]),
    });
    expect(codexShellArgs(await s.layers(), NAMES)).toEqual([
      ["shell_environment_policy.include_only", JSON.stringify(["PATH", ...NAMES])],
    ]);
  });

  it("refuses an include_only without Tower's names, naming the file, the setting and the names", async () => {
    const s = setUp({ managed: includeOnly(["PATH", "HOME", "TOWER_AGENT_ID"]) });
    const layers = await s.layers();
    expect(() => requireCodexShellVariables("A1", layers, VARIABLES)).toThrow(RefusedError);
    expect(() => requireCodexShellVariables("A1", layers, VARIABLES)).toThrow(
      `${s.system.managed} (an administrator's managed configuration, which outranks what Tower gives on Codex's command line) sets shell_environment_policy.include_only without TOWER_STREAM, GIT_CONFIG_PARAMETERS`,
    );
  });

  it("keeps one whose patterns match Tower's names (as Codex matches them: * and ?, any case)", async () => {
    for (const managed of [
      includeOnly(["PATH", "tower_*", "GIT_CONFIG_PARAMET?RS"]),
      filters({ "TOWER_*": "include", "GIT_*": "include" }),
      '[shell_environment_policy]\nexclude = ["TOWER_*"]\ninherit = "core"\n',
      'model = "m"\n',
    ]) {
      const layers = await setUp({ user: filters({ PATH: "include" }), managed }).layers();
      expect(() => requireCodexShellVariables("A1", layers, VARIABLES), managed).not.toThrow();
    }
    // Nothing managed: nothing to refuse.
    expect(() =>
      requireCodexShellVariables("A1", [{ kind: "user", file: "/u", config: {} }], VARIABLES),
    ).not.toThrow();
  });

  it("refuses filters that leave out one of Tower's names, or turn it to exclude", async () => {
    const narrow = await setUp({
      managed: filters({ PATH: "include", "TOWER_*": "include" }),
    }).layers();
    expect(() => requireCodexShellVariables("A1", narrow, VARIABLES)).toThrow(
      `sets shell_environment_policy.filters without GIT_CONFIG_PARAMETERS`,
    );
    // The user's filters get Tower's names from Tower; the managed one turns one to exclude.
    const flipped = await setUp({
      user: filters({ PATH: "include" }),
      managed: filters({ tower_agent_id: "exclude" }),
    }).layers();
    expect(() => requireCodexShellVariables("A1", flipped, VARIABLES)).toThrow(
      `sets shell_environment_policy.filters without TOWER_AGENT_ID`,
    );
  });

  it("refuses a value of its own for one of Tower's variables (shell_environment_policy.set)", async () => {
    const s = setUp({ managed: '[shell_environment_policy.set]\nGIT_CONFIG_PARAMETERS = ""\n' });
    const layers = await s.layers();
    expect(() => requireCodexShellVariables("A1", layers, VARIABLES)).toThrow(
      `${s.system.managed} (an administrator's managed configuration, which outranks what Tower gives on Codex's command line) sets shell_environment_policy.set.GIT_CONFIG_PARAMETERS`,
    );
  });

  it("refuses a server of Tower's name with a key Tower gives, or reached by URL; keeps one of another name", async () => {
    const off = setUp({ managed: '[mcp_servers.tower]\nenabled = false\ncommand = "x"\n' });
    const offLayers = await off.layers();
    expect(() => requireCodexServerName("A1", offLayers)).toThrow(RefusedError);
    expect(() => requireCodexServerName("A1", offLayers)).toThrow(
      `${off.system.managed} (an administrator's managed configuration, which outranks what Tower gives on Codex's command line) defines an MCP server named "tower" (command, enabled)`,
    );
    const url = setUp({ managed: '[mcp_servers.tower]\nurl = "http://127.0.0.1:9/mcp"\n' });
    const urlLayers = await url.layers();
    expect(() => requireCodexServerName("A1", urlLayers)).toThrow(
      `${url.system.managed} defines an MCP server named "tower" reached by URL (url)`,
    );
    const other = setUp({
      managed:
        '[mcp_servers.lint]\nurl = "http://127.0.0.1:9/mcp"\n[mcp_servers.tower]\nstartup_timeout_sec = 20\n',
    });
    const otherLayers = await other.layers();
    expect(() => requireCodexServerName("A1", otherLayers)).not.toThrow();
  });
});

describe("an administrator's requirements (requirements.toml)", () => {
  it("are read from the file given, none when absent or not TOML", async () => {
    expect(await setUp({}).requirements()).toBeUndefined();
    expect(await setUp({ requirements: "[mcp_servers\n" }).requirements()).toBeUndefined();
    const s = setUp({ requirements: 'allowed_approval_policies = ["never"]\n' });
    expect(await s.requirements()).toEqual({
      file: s.system.requirements,
      config: { allowed_approval_policies: ["never"] },
    });
  });

  it("refuse an mcp_servers allow-list without Tower's server, or naming it by another command; keep one naming it", async () => {
    const check = async (requirements: string) => {
      const s = setUp({ requirements });
      const found = await s.requirements();
      return {
        file: s.system.requirements,
        run: () => requireCodexServerName("A1", [], { requirements: found, command: NODE }),
      };
    };
    const without = await check('[mcp_servers.docs.identity]\ncommand = "docs"\n');
    expect(without.run).toThrow(RefusedError);
    expect(without.run).toThrow(
      `${without.file} (an administrator's requirements) allows only the MCP servers its mcp_servers names, and not Tower's ("tower", command "${NODE}"): Codex would switch Tower's server off. Add [mcp_servers.tower.identity] with command = "${NODE}" to it`,
    );
    // An empty list allows none.
    expect((await check("[mcp_servers]\n")).run).toThrow(RefusedError);
    expect((await check('[mcp_servers.tower.identity]\ncommand = "node"\n')).run).toThrow(
      RefusedError,
    );
    expect((await check('[mcp_servers.tower.identity]\nurl = "http://x/mcp"\n')).run).toThrow(
      RefusedError,
    );
    expect((await check(`[mcp_servers.tower.identity]\ncommand = "${NODE}"\n`)).run).not.toThrow();
    expect((await check('allowed_approval_policies = ["never"]\n')).run).not.toThrow();
  });
});

describe("Codex's hooks feature", () => {
  it("turned off by a managed configuration (above -c) refuses the agent; by the user's, Tower's -c turns it on", async () => {
    const off = "[features]\nhooks = false\n";
    const user = setUp({ user: off });
    expect(() => requireCodexHooksFeature("A1", [])).not.toThrow();
    requireCodexHooksFeature("A1", await user.layers());
    const managed = setUp({ managed: off });
    const refuse = async () => requireCodexHooksFeature("A1", await managed.layers());
    await expect(refuse()).rejects.toThrow(RefusedError);
    await expect(refuse()).rejects.toThrow(
      `${managed.system.managed} (an administrator's managed configuration, which outranks what Tower gives on Codex's command line) sets features.hooks to false: Codex would run none of Tower's hooks for agent A1`,
    );
    requireCodexHooksFeature("A1", await setUp({ managed: "[features]\nhooks = true\n" }).layers());
    // Its old name, however high: Tower's features.hooks = true wins over it (real CLI).
    requireCodexHooksFeature(
      "A1",
      await setUp({ managed: "[features]\ncodex_hooks = false\n" }).layers(),
    );
  });

  it("run for the administrator's only (requirements' allow_managed_hooks_only) refuses the agent", async () => {
    const only = setUp({ requirements: "allow_managed_hooks_only = true\n" });
    const refuse = async () =>
      requireCodexHooksFeature("A1", await only.layers(), await only.requirements());
    await expect(refuse()).rejects.toThrow(RefusedError);
    await expect(refuse()).rejects.toThrow(
      `${only.system.requirements} (an administrator's requirements) sets allow_managed_hooks_only to true (only the administrator's hooks run): Codex would run none of Tower's hooks for agent A1`,
    );
    for (const requirements of [
      "allow_managed_hooks_only = false\n",
      'allow_managed_hooks_only = "yes"\n',
      "",
    ]) {
      const s = setUp({ requirements });
      requireCodexHooksFeature("A1", await s.layers(), await s.requirements());
    }
  });
});

describe("the agent's own -c settings (after Tower's, so above them)", () => {
  it("are read as Codex reads them: TOML values, else strings; dotted keys as paths", () => {
    expect(codexCommandSettings(["codex", "{task}"])).toBeUndefined();
    expect(
      codexCommandSettings([
        "codex",
        "-c",
        "features.codex_hooks=false",
        "--config",
        'model="o3"',
        "-csandbox_mode=read-only",
        '--config=shell_environment_policy.include_only=["PATH"]',
        "-c",
        "no-equals",
        "--",
        "-c",
        "after=dashes",
      ]),
    ).toEqual({
      config: {
        features: { codex_hooks: false },
        model: "o3",
        sandbox_mode: "read-only",
        shell_environment_policy: { include_only: ["PATH"] },
      },
      keys: [
        "features.codex_hooks",
        "model",
        "sandbox_mode",
        "shell_environment_policy.include_only",
      ],
    });
    // As a plan's string command is split.
    expect(codexCommandSettings("codex -c features.codex_hooks=false {task}")?.config).toEqual({
      features: { codex_hooks: false },
    });
  });

  it("that turn Codex's hooks off, or replace Tower's, refuse the agent, naming its command", async () => {
    const s = setUp({});
    const layersOf = async (command: string[]) => [
      ...(await s.layers()),
      ...codexCommandLayer(command),
    ];
    const refusal = async (command: string[]) => {
      try {
        requireCodexHooksFeature("A1", await layersOf(command));
      } catch (error) {
        expect(error).toBeInstanceOf(RefusedError);
        return (error as Error).message;
      }
      return undefined;
    };
    expect(await refusal(["codex", "-c", "features.hooks=false"])).toBe(
      "the agent's command in streams.yaml (its -c comes after Tower's on Codex's command line, and wins) sets features.hooks to false: Codex would run none of Tower's hooks for agent A1, so its patches would not be checked against the files other agents hold nor take locks. Take it out of the agent's command, then start A1 again",
    );
    // An event of Tower's as something else than a list of groups (a list Tower merges with its
    // own: codexCommandHooks).
    expect(await refusal(["codex", "-c", "hooks.PreToolUse=none"])).toContain(
      "sets hooks.PreToolUse: Codex would run none of Tower's hooks for agent A1",
    );
    expect(await refusal(["codex", "-c", "hooks.PostToolUse.x=1"])).toContain(
      "sets hooks.PostToolUse.x:",
    );
    expect(await refusal(["codex", "-c", "hooks.PreToolUse=[]"])).toBeUndefined();
    expect(
      codexCommandHooks(
        codexCommandLayer([
          "codex",
          "-c",
          'hooks.SessionStart=[{hooks = [{type = "command", command = "x"}]}]',
          "-c",
          "hooks.Stop=[]",
        ]),
      ),
    ).toEqual({ SessionStart: [{ hooks: [{ type: "command", command: "x" }] }] });
    expect(await refusal(["codex", "-c", "hooks={}"])).toContain("sets hooks:");
    // The features whole: Tower's features.hooks = true with them.
    expect(await refusal(["codex", "-c", "features={}"])).toContain("sets features:");
    expect(await refusal(["codex", "-c", 'hooks.state."x:y:0:0"={}'])).toContain(
      "sets hooks.state",
    );
    // Settings that leave Tower's be.
    expect(await refusal(["codex", "-c", "hooks.Stop=[]", "-c", "features.hooks=true"])).toBe(
      undefined,
    );
    expect(await refusal(["codex", "-c", "features.codex_hooks=false"])).toBeUndefined();
    // Below Tower's -c (the user's config.toml) they do not count: Tower's wins there.
    expect(await refusal(["codex", "-c", "model=o3"])).toBeUndefined();
  });

  it("that set Tower's MCP server's keys, or the servers whole, refuse the agent", async () => {
    const layers = async (command: string[]) => [
      ...(await setUp({}).layers()),
      ...codexCommandLayer(command),
    ];
    const server = async (command: string[]) => {
      const given = await layers(command);
      return () => requireCodexServerName("A1", given);
    };
    expect(await server(["codex", "-c", 'mcp_servers.tower.command="/bin/other"'])).toThrow(
      `the agent's command in streams.yaml (its -c comes after Tower's on Codex's command line, and wins) defines an MCP server named "tower" (command): Codex would take these over what Tower gives its own server of that name, the agent's tools. Take it out of the agent's command, then start A1 again`,
    );
    expect(await server(["codex", "-c", "mcp_servers={}"])).toThrow(
      "sets mcp_servers whole: Codex would take it in place of Tower's MCP server",
    );
    expect(await server(["codex", "-c", 'mcp_servers.tower={command="x"}'])).toThrow(
      "sets mcp_servers.tower whole",
    );
  });

  it("that keep Tower's variables from the commands refuse the agent", async () => {
    const layers = [
      ...(await setUp({}).layers()),
      ...codexCommandLayer(["codex", "-c", 'shell_environment_policy.include_only=["PATH"]']),
    ];
    expect(() => requireCodexShellVariables("A1", layers, VARIABLES)).toThrow(
      "the agent's command in streams.yaml (its -c comes after Tower's on Codex's command line, and wins) sets shell_environment_policy.include_only without TOWER_AGENT_ID, TOWER_STREAM, GIT_CONFIG_PARAMETERS",
    );
    const fine = [
      ...(await setUp({}).layers()),
      ...codexCommandLayer([
        "codex",
        "-c",
        `shell_environment_policy.include_only=${JSON.stringify(["PATH", ...NAMES])}`,
      ]),
    ];
    expect(() => requireCodexShellVariables("A1", fine, VARIABLES)).not.toThrow();
  });

  it("that give shell_environment_policy or its set whole (replacing Tower's variables there) refuse the agent; single keys do not", async () => {
    const layers = async (setting: string, user: Record<string, string> = {}) => [
      ...(await setUp(user).layers()),
      ...codexCommandLayer(["codex", "-c", setting]),
    ];
    const all = await layers('shell_environment_policy={inherit="all"}');
    expect(() => requireCodexShellVariables("A1", all, VARIABLES)).toThrow(
      "the agent's command in streams.yaml (its -c comes after Tower's on Codex's command line, and wins) sets shell_environment_policy whole: Codex would take it in place of what Tower gives there, TOWER_AGENT_ID, TOWER_STREAM, GIT_CONFIG_PARAMETERS for every command agent A1 runs (the guard's, and who the agent is). Set single keys instead (shell_environment_policy.inherit=...), or take it out of the agent's command, then start A1 again",
    );
    const set = await layers('shell_environment_policy.set={FOO="1"}');
    expect(() => requireCodexShellVariables("A1", set, VARIABLES)).toThrow(
      "sets shell_environment_policy.set whole",
    );
    // Where the user's config has filters, Tower gives its names there too: replaced whole, gone.
    const filtered = await layers('shell_environment_policy.filters={PATH="include"}', {
      user: '[shell_environment_policy]\nfilters = { HOME = "include" }\n',
    });
    expect(() => requireCodexShellVariables("A1", filtered, VARIABLES)).toThrow(
      "sets shell_environment_policy.filters whole",
    );
    for (const single of [
      'shell_environment_policy.inherit="all"',
      'shell_environment_policy.set.FOO="1"',
    ]) {
      const given = await layers(single);
      expect(() => requireCodexShellVariables("A1", given, VARIABLES)).not.toThrow();
    }
  });

  it("are read into the layers when the command is given, above the files and below the managed one", async () => {
    const s = setUp({ user: 'model = "a"\n', managed: 'model = "c"\n' });
    const layers = await codexLayers(
      s.worktree,
      s.repo,
      { CODEX_HOME: s.home },
      {
        command: ["codex", "-c", 'model="b"'],
        systemConfig: s.system.config,
        managedConfig: s.system.managed,
      },
    );
    expect(layers.map((l) => [l.kind, l.config.model])).toEqual([
      ["user", "a"],
      ["command", "b"],
      ["managed", "c"],
    ]);
  });
});
