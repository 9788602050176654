/**
 * Codex 0.171.0 and Gemini CLI 0.61.0, the real CLIs, started by Tower's room as for a user:
 * Tower's approve key answers their permission prompts (Codex's `y`, Gemini's `1`), their status
 * comes from what they announce (Codex's OSC 7501, Gemini's title), their session is recorded and
 * resumed by id, and a stopped Codex leaves no process behind (Tower turns its shared daemon off).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { codexHookHash, SESSION_FLAGS_SOURCE } from "../../src/agents/codex-hooks.js";
import { PROVISIONAL_LOCK_MS } from "../../src/agents/hook.js";
import { codexLaunch } from "../../src/agents/launch.js";
import { RefusedError } from "../../src/engine/errors.js";
import { acquireLocks, lockExpiry, lockLife } from "../../src/engine/locks.js";
import { StateStore } from "../../src/engine/state/index.js";
import {
  CLI,
  cleanEnv,
  makeRepo,
  readJson,
  tower,
  waitFor,
  waitForContent,
} from "../helpers/repo.js";
import { codexEnv, geminiEnv } from "./cli-env.js";
import { cliBinary, cliCache } from "./clis.js";
import { canOverlayEtc, type EtcOverlay, etcOverlay } from "./etc-overlay.js";
import { type Turn, type TurnAnswer, toolResults } from "./model-server.js";
import { describeProcesses, killAll, processesWithEnv } from "./processes.js";
import { codex, gemini } from "./profiles.js";
import {
  approveUntilWritten,
  expectLockedByMcp,
  holdFile,
  roomShowsLock,
  screenOf,
  screenShowsLine,
  snapshotHolding,
  startTowerRun,
  statusIs,
  type TowerRun,
  type TowerRunOptions,
} from "./tower-rig.js";
import { guardOutside } from "./write-flow.js";

const plan = (agent: string) => `version: 1
project: demo
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: "Create hello.txt", agent: ${agent} }
`;

/** The plan with a stream B whose agent B1 (a program that exits) can hold files. */
const withB1 = (agent: string) => `${plan(agent)}  B:
    name: Beta
    agents:
      - { id: B1, task: "Logging", agent: "true" }
`;

let run: TowerRun | undefined;
let outside: ReturnType<typeof guardOutside>;
beforeAll(() => {
  outside = guardOutside();
});
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});
afterAll(() => outside.check());

const sessionOf = async (r: TowerRun) =>
  (
    (await readJson(path.join(r.repo.stateDir, "agents.json"))) as {
      agents: Record<string, { session_id?: string }>;
    }
  ).agents.A1?.session_id;

describe("Codex in Tower (real CLI)", () => {
  it("waits on its edit prompt (OSC 7501), y approves it, its session is recorded and resumed, and nothing is left running", async () => {
    const hello = () => path.join(run!.worktree, "hello.txt");
    const write = (): TurnAnswer => ({
      text: "I'll create the file.",
      toolCalls: [codex.writeCall(hello(), "hello from codex\n", run!.worktree)],
    });
    run = await startTowerRun({
      // Read-only, so that Codex asks before it applies a patch.
      plan: plan(`["{CLI}", "-c", "sandbox_mode=\\"read-only\\"", "{task}"]`),
      stream: "A",
      cli: "codex",
      resume: true,
      // Its shared daemon left on in its own config: Tower's launch must turn it off.
      makeEnv: (modelUrl, trust) => codexEnv({ modelUrl, trust, daemon: true }),
      script: [write, { text: "Created it." }, { text: "You asked me to create hello.txt." }],
    });
    const r = run;
    await statusIs(r, "A1", "waiting", 90_000);
    await screenShowsLine(r, "A1", /Would you like to make the following edits\?/);
    expect(r.store.getState().agents.A1?.source).toMatch(/osc|title|screen/);
    // Once: Tower's y waits until Codex's screen is still, so the question takes the key.
    r.services.sessions.approve("A1");
    await waitForContent(hello(), "hello from codex\n", 30_000).catch((error: unknown) => {
      const screen = r.services.sessions.get("A1")?.text().join("\n") ?? "(no session)";
      throw new Error(`${String(error)}\nA1's screen:\n${screen}`);
    });
    await screenShowsLine(r, "A1", /Created it\./);
    // The finished turn (Codex's `state=done`) leaves it idle, not running.
    await statusIs(r, "A1", "idle", 15_000);
    // Its session, found in its own files, matches what it sent the model.
    const id = await waitFor(() => sessionOf(r), 60_000, "Codex's session in agents.json");
    const meta = JSON.parse(
      String(r.server.requests.find((q) => q.turn === 0)?.headers["x-codex-turn-metadata"]),
    );
    expect(meta.session_id).toBe(id);
    // Close the room: no Codex process of this run is left (no app-server daemon either).
    await r.closeRoom();
    const left = processesWithEnv("CODEX_HOME", r.agent.codexHome ?? "");
    killAll(left);
    expect(describeProcesses(left)).toBe("");
    // Reopen: `codex resume <id>`, the task not sent again; a new prompt continues the session.
    const before = r.server.requests.length;
    await r.reopen();
    await screenShowsLine(r, "A1", /Ask Codex to do anything|›/, 90_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(r.server.requests.slice(before).filter((q) => !q.side && q.api === "openai")).toEqual(
      [],
    );
    const session = r.services.sessions.get("A1")!;
    for (let i = 0; i < 20 && r.server.requests.length === before; i++) {
      session.write("what did I ask?");
      await new Promise((resolve) => setTimeout(resolve, 500));
      session.write("\r");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const next = await r.server.waitForTurn(2, 60_000);
    expect(JSON.parse(String(next.headers["x-codex-turn-metadata"])).session_id).toBe(id);
    expect(JSON.stringify(next.body)).toContain("Created it.");
  });
});

describe("Codex in Tower (real CLI), its session told by itself", () => {
  it("records the session its own SessionStart hook tells, not one a Codex run by hand began in its worktree meanwhile", async () => {
    run = await startTowerRun({
      // No task: A1 waits for its first prompt.
      plan: plan(`["{CLI}"]`),
      stream: "A",
      cli: "codex",
      resume: true,
      makeEnv: (modelUrl, trust) => codexEnv({ modelUrl, trust }),
      script: [{ text: "Done by hand." }, { text: "Done by A1." }],
    });
    const r = run;
    await screenShowsLine(r, "A1", /Ask Codex to do anything|›/, 90_000);
    // Someone runs Codex in A1's worktree (same CODEX_HOME): a session naming no agent.
    // (Not spawnSync: the model server answering it runs in this process.)
    const byHand = await new Promise<string>((resolve) => {
      const child = spawn(cliBinary("codex"), ["exec", "--skip-git-repo-check", "look around"], {
        cwd: r.worktree,
        env: r.agent.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      child.stderr.on("data", (chunk) => (out += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      child.on("close", () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
    expect(byHand).toMatch(/Done by hand\./);
    const handId = JSON.parse(
      String(r.server.requests.find((q) => q.turn === 0)?.headers["x-codex-turn-metadata"]),
    ).session_id;
    // Tower looks at Codex's session files every second: give it three looks.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await sessionOf(r)).toBeUndefined();
    // A1's first prompt begins its session, which its SessionStart hook tells Tower.
    const session = r.services.sessions.get("A1")!;
    for (let i = 0; i < 20 && r.server.requests.filter((q) => q.turn === 1).length === 0; i++) {
      session.write("hello");
      await new Promise((resolve) => setTimeout(resolve, 500));
      session.write("\r");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const own = JSON.parse(
      String((await r.server.waitForTurn(1, 60_000)).headers["x-codex-turn-metadata"]),
    ).session_id;
    expect(own).not.toBe(handId);
    let seen: string | undefined;
    await waitFor(
      async () => {
        seen = await sessionOf(r);
        return seen === own ? true : undefined;
      },
      30_000,
      () => `A1's own session ${own} in agents.json (it has ${seen}; the one by hand: ${handId})`,
    );
    // Told by Codex itself: its hook gave the file it keeps the session in too.
    const agents = (await readJson(path.join(r.repo.stateDir, "agents.json"))) as {
      agents: Record<string, { transcript_path?: string }>;
    };
    expect(agents.agents.A1?.transcript_path).toMatch(new RegExp(`${own}\\.jsonl$`));
    expect(existsSync(agents.agents.A1?.transcript_path ?? "")).toBe(true);
  });
});

describe("Codex in Tower (real CLI), Tower's tools", () => {
  it("is given Tower's MCP server, whose lock it calls without a prompt and which takes the lock", async () => {
    run = await startTowerRun({
      plan: plan(`["{CLI}", "{task}"]`),
      stream: "A",
      cli: "codex",
      // A server of the user's own config.toml under Tower's name, switched off and its lock
      // tool too: the keys Tower gives on the command line are merged into it, so Tower gives
      // these too.
      makeEnv: (modelUrl, trust) =>
        codexEnv({
          modelUrl,
          trust,
          config:
            '[mcp_servers.tower]\nenabled = false\ndisabled_tools = ["lock"]\nenabled_tools = ["status"]\n',
        }),
      script: [
        { toolCalls: [{ name: "tool_search", input: { query: "tower lock" } }] },
        {
          text: "Locking.",
          toolCalls: [
            {
              name: "lock",
              namespace: "mcp__tower",
              input: { paths: ["src/m.ts"], task: "by MCP" },
            },
          ],
        },
        { text: "Locked it." },
      ],
    });
    const r = run;
    await screenShowsLine(r, "A1", /Locked it\./, 90_000);
    await expectLockedByMcp(r, "src/m.ts");
  });

  // Codex merges Tower's keys into a server of that name: reached by URL, Codex refused to
  // start ("url is not supported for stdio", in the pane). Tower says why before, and which file.
  it("is not started where the user's config.toml has a server of Tower's server's name reached by URL, and says which file", async () => {
    run = await startTowerRun({
      plan: plan(`["{CLI}", "{task}"]`),
      stream: "A",
      cli: "codex",
      makeEnv: (modelUrl, trust) =>
        codexEnv({
          modelUrl,
          trust,
          config: '[mcp_servers.tower]\nurl = "http://127.0.0.1:9/mcp"\n',
        }),
      script: [{ text: "Never asked." }],
    });
    const r = run;
    const refusal = await waitFor(
      () => r.messages.find((m) => m.startsWith("A1: cannot start")),
      60_000,
      () => `A1 refused; messages: ${JSON.stringify(r.messages)}`,
    );
    const file = path.join(r.agent.env.CODEX_HOME as string, "config.toml");
    expect(refusal).toContain(
      `A1: cannot start: ${file} defines an MCP server named "tower" reached by URL (url)`,
    );
    expect(r.server.requests).toEqual([]);
    expect(r.store.getState().agents.A1?.failure).toContain("Give that server another name");
  });

  it("binds its patches: a file another agent holds is refused with why, without a prompt; an allowed patch takes the lock", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    run = await heldPatchRun(
      (modelUrl, trust) => codexEnv({ modelUrl, trust }),
      [
        () => ({
          text: "Patching another.",
          toolCalls: [codex.writeCall(inWorktree("ok.txt"), "ok\n", run!.worktree)],
        }),
        { text: "All done." },
      ],
    );
    const r = run;
    const result = await firstPatchResult(r);
    expect(String(result.content)).toMatch(
      /^Command blocked by PreToolUse hook: src\/held\.ts is locked by agent B1, stream B, working on "logging" until/,
    );
    expect(existsSync(inWorktree("src/held.ts"))).toBe(false);
    // The allowed patch: A1 holds the lock, and y applies it.
    await statusIs(r, "A1", "waiting", 60_000);
    await roomShowsLock(r, "ok.txt", "A1");
    await approveUntilWritten(r, "A1", inWorktree("ok.txt"), "ok\n");
    await screenShowsLine(r, "A1", /All done\./);
    // The edit is in the activity log, from the PostToolUse hook.
    const activity = path.join(r.repo.stateDir, "agent_activity.jsonl");
    await waitFor(
      () =>
        (existsSync(activity) &&
          readFileSync(activity, "utf8").includes('"action":"edited","file":"ok.txt"')) ||
        undefined,
      30_000,
      "the edit of ok.txt in the activity log",
    );
    expect(r.server.errors).toEqual([]);
  });

  // Codex's hooks are a feature of its own (`features.hooks`, formerly `codex_hooks`), which a
  // user's config.toml can turn off: Tower turns it on for its agents, as it does its server.
  // (With `hooks = false` there, Tower's `-c features.codex_hooks = true` left them off: the new
  // name wins over the old whichever layer gives it.)
  it.each(["hooks", "codex_hooks"])(
    "binds its patches where the user's config.toml turns Codex's hooks feature off (features.%s)",
    async (key) => {
      run = await heldPatchRun(
        (modelUrl, trust) =>
          // (Its own [features] table: codexEnv's is left out with daemon: true.)
          codexEnv({
            modelUrl,
            trust,
            daemon: true,
            config: `[features]\n${key} = false\ndaemon_auto_start = false\n`,
          }),
        [{ text: "All done." }],
      );
      const r = run;
      // Refused without a prompt (else the patch waits for y, and the result never comes).
      await expectHeldPatchRefused(r);
    },
  );
});

describe("Codex in Tower (real CLI), its command's own -c", () => {
  it("binds its patches in its mode without approvals or sandbox (--dangerously-bypass-approvals-and-sandbox): Tower's hooks still run", async () => {
    run = await heldPatchRun((modelUrl, trust) => codexEnv({ modelUrl, trust }), [], {
      args: ["--dangerously-bypass-approvals-and-sandbox"],
    });
    await expectHeldPatchRefused(run);
  });

  it("keeps its own developer_instructions (given after Tower's, so winning), with Tower's briefing after them, and binds its patches all the same", async () => {
    run = await heldPatchRun((modelUrl, trust) => codexEnv({ modelUrl, trust }), [], {
      args: ["-c", 'developer_instructions="Answer in French."'],
    });
    await expectHeldPatchRefused(run);
    const first = JSON.stringify((await run.server.waitForTurn(0)).body);
    expect(first).toContain("Answer in French.");
    expect(first).toContain("You are agent A1 of stream A");
  });

  it("keeps the developer_instructions of the user's config.toml (which Tower's -c outranks), with Tower's briefing after them", async () => {
    run = await heldPatchRun(
      (modelUrl, trust) =>
        codexEnv({ modelUrl, trust, top: 'developer_instructions = "Answer in Latin."' }),
      [],
    );
    const first = JSON.stringify((await run.server.waitForTurn(0, 90_000)).body);
    expect(first).toContain("Answer in Latin.");
    expect(first).toContain("You are agent A1 of stream A");
  });

  it("keeps its own hooks given with -c on an event of Tower's (hooks.PreToolUse, which would replace Tower's): both run, and Tower's still refuses a held file", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "tower-codex-own-hook-"));
    const ran = path.join(folder, "theirs.log");
    const own = {
      event: "PreToolUse" as const,
      matcher: "^apply_patch$",
      command: `echo ran >> ${ran}`,
    };
    try {
      // Trusted by the user once (Codex keeps the answer in config.toml), as the first hook of
      // the command line's PreToolUse.
      const trust = `[hooks.state."${SESSION_FLAGS_SOURCE}:pre_tool_use:0:0"]\ntrusted_hash = "${codexHookHash(own)}"\n`;
      run = await heldPatchRun(
        (modelUrl, trust_) => codexEnv({ modelUrl, trust: trust_, config: trust }),
        [],
        {
          args: [
            "-c",
            `hooks.PreToolUse=[{matcher = "${own.matcher}", hooks = [{type = "command", command = ${JSON.stringify(own.command)}}]}]`,
          ],
        },
      );
      await expectHeldPatchRefused(run);
      expect(readFileSync(ran, "utf8")).toContain("ran");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("turning its hooks off (after Tower's -c, so winning) is refused: Codex is not started, and tower check says so", async () => {
    run = await heldPatchRun((modelUrl, trust) => codexEnv({ modelUrl, trust }), [], {
      args: ["-c", "features.hooks=false"],
    });
    const r = run;
    const refusal = await waitFor(
      () => r.messages.find((m) => m.startsWith("A1: cannot start")),
      60_000,
      () => `A1 refused; messages: ${JSON.stringify(r.messages)}; screen:\n${screenOf(r, "A1")}`,
    );
    expect(refusal).toContain(
      "A1: cannot start: the agent's command in streams.yaml (its -c comes after Tower's on Codex's command line, and wins) sets features.hooks to false: Codex would run none of Tower's hooks for agent A1",
    );
    expect(r.server.requests).toEqual([]);
    expect(existsSync(path.join(r.worktree, "src/held.ts"))).toBe(false);
    const check = await tower(r.repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect((check.stdout + check.stderr).replace(/\s+/g, " ")).toContain(
      "sets features.hooks to false: Codex would run none of Tower's hooks (locks, scope), so Tower does not start the Codex agent A1 while it does. Take it out of the agent's command",
    );
  });

  it("turning them off by their old name (features.codex_hooks) does not: Tower's features.hooks wins, so the agent starts and its patches bind", async () => {
    run = await heldPatchRun((modelUrl, trust) => codexEnv({ modelUrl, trust }), [], {
      args: ["-c", "features.codex_hooks=false"],
    });
    await expectHeldPatchRefused(run);
  });
});

describe("Codex in Tower (real CLI), an administrator's requirements", () => {
  let overlay: EtcOverlay | undefined;
  afterEach(() => {
    overlay?.cleanup();
    overlay = undefined;
  });

  it.skipIf(!canOverlayEtc())(
    "a managed config.toml turning the hooks off by their old name (codex_hooks) leaves Tower's on; by their name (hooks) it refuses the agent",
    async () => {
      overlay = etcOverlay({ "codex/managed_config.toml": "[features]\ncodex_hooks = false\n" });
      run = await heldPatchRun((modelUrl, trust) => codexEnv({ modelUrl, trust }), [], {
        executable: overlay.wrapper("codex", cliBinary("codex")),
      });
      await expectHeldPatchRefused(run);
      await run.cleanup();
      run = undefined;
      overlay.cleanup();
      overlay = etcOverlay({ "codex/managed_config.toml": "[features]\nhooks = false\n" });
      const [command, ...words] = overlay.prefix;
      const repo = await makeRepo({ plan: withB1(JSON.stringify([cliBinary("codex"), "{task}"])) });
      try {
        const check = spawnSync(command!, [...words, process.execPath, CLI, "check"], {
          cwd: repo.root,
          env: cleanEnv(),
          encoding: "utf8",
        });
        expect(check.status, check.stdout + check.stderr).toBe(1);
        expect((check.stdout + check.stderr).replace(/\s+/g, " ")).toContain(
          "/etc/codex/managed_config.toml (an administrator's managed configuration, which outranks what Tower gives on Codex's command line) sets features.hooks to false: Codex would run none of Tower's hooks (locks, scope), so Tower does not start the Codex agent A1 while it does",
        );
      } finally {
        repo.cleanup();
      }
    },
  );

  it.skipIf(!canOverlayEtc())(
    "allowing only managed hooks (allow_managed_hooks_only): Codex runs none of Tower's, so tower check says so and Tower starts no Codex agent",
    async () => {
      // /etc/codex/requirements.toml for Codex (in a mount namespace of its own), not for Tower:
      // Codex, as an administrator's requirements make it, behind Tower's back.
      overlay = etcOverlay({ "codex/requirements.toml": "allow_managed_hooks_only = true\n" });
      const codexWithRequirements = overlay.wrapper("codex", cliBinary("codex"));
      run = await heldPatchRun(
        (modelUrl, trust) => codexEnv({ modelUrl, trust }),
        [{ text: "All done." }],
        { executable: codexWithRequirements },
      );
      const r = run;
      // Tower's hook would have refused the patch of the held file at once, without a prompt
      // (with allow_managed_hooks_only = false it does): here Codex asks for it instead, and the
      // model has no answer.
      const [call] = await r.server.callsOfTurn(0, 90_000);
      await statusIs(r, "A1", "waiting", 90_000);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const answered = r.server.requests.some((q) =>
        toolResults(q).some((result) => result.id === call?.id),
      );
      expect(answered, `the patch's result came without a prompt:\n${screenOf(r, "A1")}`).toBe(
        false,
      );
      r.services.sessions.deny("A1");
      expect(existsSync(path.join(r.worktree, "src/held.ts"))).toBe(false);
      // Tower, reading the same files, says so (and its launch refuses by the same check).
      const [command, ...words] = overlay.prefix;
      const check = spawnSync(command!, [...words, process.execPath, CLI, "check"], {
        cwd: r.repo.root,
        env: cleanEnv(),
        encoding: "utf8",
      });
      expect(check.status, check.stdout + check.stderr).toBe(1);
      expect((check.stdout + check.stderr).replace(/\s+/g, " ")).toContain(
        "/etc/codex/requirements.toml (an administrator's requirements) sets allow_managed_hooks_only to true (only the administrator's hooks run): Codex would run none of Tower's hooks (locks, scope), so Tower does not start the Codex agent A1 while it does",
      );
    },
  );
});

/**
 * A Codex agent, read-only (so that it asks before it applies a patch), whose first patch is of
 * src/held.ts, which B1 holds; then `more`; its executable the pinned Codex, or `executable`, and
 * `args` before its task.
 */
function heldPatchRun(
  makeEnv: TowerRunOptions["makeEnv"],
  more: Turn[],
  { executable = "{CLI}", args = [] }: { executable?: string; args?: string[] } = {},
): Promise<TowerRun> {
  const words = [executable, "-c", 'sandbox_mode="read-only"', ...args, "{task}"];
  return startTowerRun({
    plan: withB1(JSON.stringify(words)),
    stream: "A",
    cli: "codex",
    makeEnv,
    before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
    script: [
      () => ({
        text: "Patching.",
        toolCalls: [
          codex.writeCall(path.join(run!.worktree, "src/held.ts"), "mine\n", run!.worktree),
        ],
      }),
      ...more,
    ],
  });
}

/**
 * The first patch of heldPatchRun (of src/held.ts, which B1 holds) refused by Tower's hook, without
 * a prompt (else it waits for y, and its result never comes), and the file not written.
 */
async function expectHeldPatchRefused(r: TowerRun): Promise<void> {
  const result = await firstPatchResult(r, 60_000);
  expect(String(result.content)).toMatch(
    /^Command blocked by PreToolUse hook: src\/held\.ts is locked by agent B1, stream B/,
  );
  expect(existsSync(path.join(r.worktree, "src/held.ts"))).toBe(false);
}

/** Types `text` into A1's pane, then Enter (apart, so that the CLI reads no paste). */
async function typeLine(r: TowerRun, text: string): Promise<void> {
  const session = r.services.sessions.get("A1")!;
  session.write(text);
  await new Promise((resolve) => setTimeout(resolve, 500));
  session.write("\r");
  await new Promise((resolve) => setTimeout(resolve, 1_500));
}

/** The result the model got for the first patch of heldPatchRun. */
async function firstPatchResult(r: TowerRun, timeoutMs?: number) {
  const [call] = await r.server.callsOfTurn(0, 90_000);
  return (await r.server.waitForToolResult(call!.id, timeoutMs)).result;
}

/**
 * Answers the agent's prompt with Tower's approve key whenever it waits, until the model
 * endpoint has the result of `callId` (a key sent while the CLI still draws its question can be
 * lost: see approveUntilWritten).
 */
async function approveUntilResult(r: TowerRun, callId: string): Promise<void> {
  const answered = () =>
    r.server.requests.some((q) => toolResults(q).some((result) => result.id === callId));
  for (let i = 0; i < 10 && !answered(); i++) {
    if (r.store.getState().agents.A1?.status === "waiting") r.services.sessions.approve("A1");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }
}

describe("Codex in Tower (real CLI), a patch that fails", () => {
  it("leaves its lock provisional (Codex sends PostToolUse only for a patch applied): it keeps no one out past that life", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    run = await startTowerRun({
      plan: plan(`["{CLI}", "-c", "sandbox_mode=\\"read-only\\"", "{task}"]`),
      stream: "A",
      cli: "codex",
      makeEnv: (modelUrl, trust) => codexEnv({ modelUrl, trust }),
      script: [
        () => ({
          text: "Patching.",
          toolCalls: [codex.writeCall(inWorktree("dir/x.txt"), "x\n", run!.worktree)],
        }),
        { text: "All done." },
      ],
    });
    const r = run;
    const entry = async () => (await r.project.store.read("locks")).locks["dir/x.txt"];
    const [call] = await r.server.callsOfTurn(0, 90_000);
    await statusIs(r, "A1", "waiting", 60_000);
    await roomShowsLock(r, "dir/x.txt", "A1");
    expect(lockLife((await entry())!)).toBe(PROVISIONAL_LOCK_MS);
    // A file appears where the patch's folder goes while Codex asks: the patch, approved, fails.
    writeFileSync(inWorktree("dir"), "a file\n");
    await approveUntilResult(r, call!.id);
    const { result } = await r.server.waitForToolResult(call!.id);
    expect(String(result.content)).toMatch(/Failed to write file/);
    await screenShowsLine(r, "A1", /All done\./);
    // No PostToolUse came (it would have logged the edit and made the lock full).
    const activity = readFileSync(path.join(r.repo.stateDir, "agent_activity.jsonl"), "utf8");
    expect(activity).not.toContain('"action":"edited"');
    const left = (await entry())!;
    expect(lockLife(left)).toBe(PROVISIONAL_LOCK_MS);
    // So it lapses: another agent takes it over once its time is past (given, not waited for).
    const expiry = lockExpiry(left);
    if (!("at" in expiry)) throw new Error(expiry.problem);
    const byB1 = (ms: number) =>
      acquireLocks(r.project.store, {
        paths: ["dir/x.txt"],
        agent: "B1",
        stream: "B",
        now: new Date(expiry.at.getTime() + ms),
      });
    expect((await byB1(-1000)).ok).toBe(false);
    expect((await byB1(1000)).results[0]?.outcome).toBe("taken_over");
    expect(r.server.errors).toEqual([]);
  });
});

describe("Codex in Tower (real CLI), notes", () => {
  it("tells of an allowed patch out of its scope (scope_mode: warn): the model hears it in its next request", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    run = await startTowerRun({
      plan: plan(`["{CLI}", "-c", "sandbox_mode=\\"read-only\\"", "{task}"]`)
        .replace("project: demo", "project: demo\nscope_mode: warn")
        .replace("    name: Alpha", '    name: Alpha\n    scope: ["src/**"]'),
      stream: "A",
      cli: "codex",
      makeEnv: (modelUrl, trust) => codexEnv({ modelUrl, trust }),
      script: [
        () => ({
          text: "Writing the notes.",
          toolCalls: [codex.writeCall(inWorktree("notes.md"), "notes\n", run!.worktree)],
        }),
        { text: "All done." },
      ],
    });
    const r = run;
    await statusIs(r, "A1", "waiting", 90_000);
    await approveUntilWritten(r, "A1", inWorktree("notes.md"), "notes\n");
    const next = await r.server.waitForTurn(1);
    expect(JSON.stringify(next.body)).toContain(
      "notes.md is outside the scope of stream A (src/**): prefer to change only",
    );
    await screenShowsLine(r, "A1", /All done\./);
    expect(r.server.errors).toEqual([]);
  });
});

/**
 * Gemini CLI in stream A with the plan's `command`, B1 holding src/held.ts: its model writes
 * that file, then src/ok.ts, then is done.
 */
function geminiHeldThenOwn(command: string): Promise<TowerRun> {
  const inWorktree = (file: string) => path.join(run!.worktree, file);
  const writing = (file: string, content: string, text: string) => () => ({
    text,
    toolCalls: [gemini.writeCall(inWorktree(file), content, "")],
  });
  return startTowerRun({
    plan: withB1(command),
    stream: "A",
    cli: "gemini",
    makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
    // B1 holds src/held.ts before the agent starts.
    before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
    script: [
      writing("src/held.ts", "mine\n", "Writing."),
      writing("src/ok.ts", "ok\n", "Writing another."),
      { text: "All done." },
    ],
  }).then((made) => {
    run = made;
    return made;
  });
}

describe("Gemini CLI in Tower (real CLI)", () => {
  it("waits on its permission box (its title says so), 1 approves, and it resumes its own session", async () => {
    const hello = () => path.join(run!.worktree, "hello.txt");
    run = await startTowerRun({
      plan: plan(`["{CLI}", "--prompt-interactive", "{task}"]`),
      stream: "A",
      cli: "gemini",
      resume: true,
      makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
      script: [
        () => ({
          text: "I'll create the file.",
          toolCalls: [gemini.writeCall(hello(), "hello from gemini\n", "")],
        }),
        { text: "Created it." },
      ],
    });
    const r = run;
    await statusIs(r, "A1", "waiting", 120_000);
    await screenShowsLine(r, "A1", /Apply this change\?/);
    // Gemini draws its box before it reads the keyboard: Tower's approve is sent once it is up.
    await approveUntilWritten(r, "A1", hello(), "hello from gemini\n");
    await screenShowsLine(r, "A1", /Created it\./);
    const id = await sessionOf(r);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await r.closeRoom();
    await r.reopen();
    await screenShowsLine(r, "A1", /Type your message/, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(r.store.getState().agents.A1?.status).not.toBe("exited");
    expect(await sessionOf(r)).toBe(id);
  });

  it("has its briefing in its instructions (a context file of Tower's), not in the prompt, so that it outlives /clear", async () => {
    run = await startTowerRun({
      plan: plan(`["{CLI}", "--prompt-interactive", "{task}"]`),
      stream: "A",
      cli: "gemini",
      makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
      script: [{ text: "Created nothing." }, { text: "Still here." }],
    });
    const r = run;
    const first = await r.server.waitForTurn(0, 120_000);
    const body = first.body as { systemInstruction?: unknown; contents?: unknown };
    expect(JSON.stringify(body.systemInstruction)).toContain("You are agent A1 of stream A");
    // The prompt is the task (as Claude Code's and Codex's are).
    expect(JSON.stringify(body.contents)).not.toContain("You are agent A1");
    expect(JSON.stringify(body.contents)).toContain("Create hello.txt");
    await screenShowsLine(r, "A1", /Created nothing\./);
    // /clear: a new conversation, the briefing still there.
    const session = r.services.sessions.get("A1")!;
    await typeLine(r, "/clear");
    await screenShowsLine(r, "A1", /Type your message/);
    for (let i = 0; i < 10 && !r.server.requests.some((q) => q.turn === 1); i++) {
      session.write("who are you?");
      await new Promise((resolve) => setTimeout(resolve, 500));
      session.write("\r");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    const next = await r.server.waitForTurn(1, 60_000);
    expect(JSON.stringify(next.body)).not.toContain("Create hello.txt");
    expect(
      JSON.stringify((next.body as { systemInstruction?: unknown }).systemInstruction),
    ).toContain("You are agent A1 of stream A");
  });

  it("is given Tower's MCP server, whose tools it calls without a prompt and which change the shared state", async () => {
    run = await startTowerRun({
      plan: plan(`["{CLI}", "--prompt-interactive", "{task}"]`),
      stream: "A",
      cli: "gemini",
      // A user's own settings, which Tower's server joins (their MCP servers stay theirs),
      // with lists that would keep it from starting (Gemini starts no server `mcp.excluded`
      // names, and only those a non-empty `mcp.allowed` names): Tower's is started all the same.
      makeEnv: (modelUrl, trust) =>
        geminiEnv({
          modelUrl,
          trust,
          settings: {
            ui: { hideTips: true },
            mcp: { allowed: ["theirs"], excluded: ["tower", "other"] },
          },
        }),
      script: [
        {
          text: "Locking.",
          toolCalls: [{ name: "mcp_tower_lock", input: { paths: ["src/m.ts"], task: "by MCP" } }],
        },
        { text: "Locked it." },
      ],
    });
    const r = run;
    await screenShowsLine(r, "A1", /Locked it\./, 120_000);
    await expectLockedByMcp(r, "src/m.ts");
    // Nothing of the user's own Gemini folder was changed.
    expect(
      JSON.parse(readFileSync(path.join(r.agent.home, ".gemini", "settings.json"), "utf8")),
    ).not.toHaveProperty("mcpServers");
  });

  it("binds its writes: a file another agent holds is refused with why, without a prompt; an allowed write takes the lock", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    const r = await geminiHeldThenOwn(`["{CLI}", "--prompt-interactive", "{task}"]`);
    const [call] = await r.server.callsOfTurn(0);
    const { result } = await r.server.waitForToolResult(call!.id);
    expect(result.isError).toBe(true);
    expect(JSON.parse(String(result.content)).error).toContain(
      'src/held.ts is locked by agent B1, stream B, working on "logging" until',
    );
    expect(existsSync(inWorktree("src/held.ts"))).toBe(false);
    // The allowed write: the lock is A1's before the human answers Gemini's own prompt.
    await screenShowsLine(r, "A1", /Apply this change\?/, 120_000);
    await roomShowsLock(r, "src/ok.ts", "A1");
    // Its status is still its title's: waiting on the question, y answers it.
    await statusIs(r, "A1", "waiting", 30_000);
    await approveUntilWritten(r, "A1", inWorktree("src/ok.ts"), "ok\n");
    await screenShowsLine(r, "A1", /All done\./);
    expect(r.server.errors).toEqual([]);
  });

  it("binds the writes of a subagent it starts (invoke_agent, its generalist), in --yolo: a file another agent holds is refused, the subagent hears why", async () => {
    const held = () => path.join(run!.worktree, "src/held.ts");
    run = await startTowerRun({
      plan: withB1(`["{CLI}", "--yolo", "--prompt-interactive", "{task}"]`),
      stream: "A",
      cli: "gemini",
      makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        () => ({
          text: "Delegating.",
          toolCalls: [
            {
              name: "invoke_agent",
              input: { agent_name: "generalist", prompt: "Write src/held.ts." },
            },
          ],
        }),
        // The subagent's first request: its write.
        () => ({ text: "Writing.", toolCalls: [gemini.writeCall(held(), "mine\n", "")] }),
        { text: "Could not." },
        { text: "All done." },
      ],
    });
    const r = run;
    const [call] = await r.server.callsOfTurn(1);
    const { result } = await r.server.waitForToolResult(call!.id);
    expect(JSON.parse(String(result.content)).error).toContain("src/held.ts is locked by agent B1");
    const [delegated] = await r.server.callsOfTurn(0);
    await r.server.waitForToolResult(delegated!.id, 60_000);
    expect(existsSync(held())).toBe(false);
  });

  it("binds its writes in its mode that approves everything (--yolo): Tower's hooks still refuse a held file", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    const r = await geminiHeldThenOwn(`["{CLI}", "--yolo", "--prompt-interactive", "{task}"]`);
    const [call] = await r.server.callsOfTurn(0);
    const { result } = await r.server.waitForToolResult(call!.id);
    expect(JSON.parse(String(result.content)).error).toContain("src/held.ts is locked by agent B1");
    expect(existsSync(inWorktree("src/held.ts"))).toBe(false);
    // Its own write, without a prompt, takes its lock.
    await waitForContent(inWorktree("src/ok.ts"), "ok\n", 60_000);
    await roomShowsLock(r, "src/ok.ts", "A1");
    // And is in a snapshot of the stream's worktree, told by its AfterTool hook.
    const snapshot = await snapshotHolding(r, "src/ok.ts");
    expect(snapshot.message).toBe("after A1's AfterTool");
  });

  // An administrator's system settings come over all others, Tower's home's among them; Gemini
  // reads them only from a file that root owns, in folders root owns, none writable by others
  // (as the CLI cache's folders are when the tests run as root, as in CI).
  it.skipIf(process.getuid?.() !== 0)(
    "is not started where the administrator's system settings turn hooks off (GEMINI_CLI_SYSTEM_SETTINGS_PATH), and says which file",
    async () => {
      const system = mkdtempSync(path.join(cliCache(), "runs", "gemini-system-"));
      const file = path.join(system, "settings.json");
      writeFileSync(file, '{ "hooksConfig": { "enabled": false } }\n', { mode: 0o644 });
      const inWorktree = (name: string) => path.join(run!.worktree, name);
      try {
        run = await startTowerRun({
          plan: withB1(`["{CLI}", "--prompt-interactive", "{task}"]`),
          stream: "A",
          cli: "gemini",
          makeEnv: (modelUrl, trust) =>
            geminiEnv({ modelUrl, trust, env: { GEMINI_CLI_SYSTEM_SETTINGS_PATH: file } }),
          before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
          script: [
            () => ({
              text: "Writing.",
              toolCalls: [gemini.writeCall(inWorktree("src/held.ts"), "mine\n", "")],
            }),
            { text: "Wrote it." },
          ],
        });
        const r = run;
        const refusal = await waitFor(
          () => r.messages.find((m) => m.startsWith("A1: cannot start")),
          60_000,
          () =>
            `A1 refused; messages: ${JSON.stringify(r.messages)}; screen:\n${screenOf(r, "A1")}`,
        );
        expect(refusal).toContain(
          `A1: cannot start: ${file} sets hooksConfig.enabled to false: Gemini CLI applies these system settings over all others and would run no hook at all`,
        );
        expect(refusal).toContain("change that file (or ask your administrator to");
        expect(r.server.requests).toEqual([]);
        expect(existsSync(inWorktree("src/held.ts"))).toBe(false);
        const check = await tower(r.repo.root, ["check"], {
          GEMINI_CLI_SYSTEM_SETTINGS_PATH: file,
        });
        expect(check.code).toBe(1);
        expect(check.stderr).toContain(
          `${file} sets hooksConfig.enabled to false: Gemini CLI applies these system settings over all others`,
        );
        expect(check.stderr).toContain(
          "Tower does not start the Gemini CLI agent A1 while it does",
        );
      } finally {
        rmSync(system, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    "has its briefing with its task where the administrator's system settings name the context files (they replace Tower's briefing file)",
    async () => {
      const system = mkdtempSync(path.join(cliCache(), "runs", "gemini-system-"));
      const file = path.join(system, "settings.json");
      writeFileSync(file, '{ "context": { "fileName": ["AGENTS.md"] } }\n', { mode: 0o644 });
      try {
        run = await startTowerRun({
          plan: plan(`["{CLI}", "--prompt-interactive", "{task}"]`),
          stream: "A",
          cli: "gemini",
          makeEnv: (modelUrl, trust) =>
            geminiEnv({ modelUrl, trust, env: { GEMINI_CLI_SYSTEM_SETTINGS_PATH: file } }),
          script: [{ text: "Created nothing." }],
        });
        const first = await run.server.waitForTurn(0, 120_000);
        const body = first.body as { systemInstruction?: unknown; contents?: unknown };
        expect(JSON.stringify(body.contents)).toContain("You are agent A1 of stream A");
        expect(JSON.stringify(body.contents)).toContain("Create hello.txt");
      } finally {
        rmSync(system, { recursive: true, force: true });
      }
    },
  );

  it("a write that fails after its prompt was answered (AfterTool with an error) releases its provisional lock at once", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    run = await startTowerRun({
      plan: plan(`["{CLI}", "--prompt-interactive", "{task}"]`),
      stream: "A",
      cli: "gemini",
      makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
      script: [
        () => ({
          text: "Writing.",
          toolCalls: [gemini.writeCall(inWorktree("src/racy.ts"), "mine\n", "")],
        }),
        { text: "All done." },
      ],
    });
    const r = run;
    const [call] = await r.server.callsOfTurn(0);
    await screenShowsLine(r, "A1", /Apply this change\?/, 120_000);
    await roomShowsLock(r, "src/racy.ts", "A1");
    expect(lockLife((await r.project.store.read("locks")).locks["src/racy.ts"]!)).toBe(
      PROVISIONAL_LOCK_MS,
    );
    // A folder appears where the file goes while the prompt waits: the write fails once allowed.
    mkdirSync(inWorktree("src/racy.ts"), { recursive: true });
    await statusIs(r, "A1", "waiting", 30_000);
    await approveUntilResult(r, call!.id);
    const { result } = await r.server.waitForToolResult(call!.id);
    expect(result.isError).toBe(true);
    await waitFor(
      async () =>
        (await r.project.store.read("locks")).locks["src/racy.ts"] === undefined ? true : undefined,
      15_000,
      () =>
        `src/racy.ts released; locks: ${readFileSync(path.join(r.repo.stateDir, "file_locks.json"), "utf8")}`,
    );
    // By Tower's answer to AfterTool (the agent still runs), not by its exit.
    const activity = readFileSync(path.join(r.repo.stateDir, "agent_activity.jsonl"), "utf8");
    expect(activity).toMatch(
      /"action":"released","file":"src\/racy\.ts","auto":true,"provisional":true/,
    );
    await screenShowsLine(r, "A1", /All done\./);
    expect(r.server.errors).toEqual([]);
  });

  it("a write declined at its prompt (Esc, which no hook tells of) releases its provisional lock once Gemini has been idle a moment", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    run = await startTowerRun({
      plan: plan(`["{CLI}", "--prompt-interactive", "{task}"]`),
      stream: "A",
      cli: "gemini",
      makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
      script: [
        () => ({
          text: "Writing.",
          toolCalls: [gemini.writeCall(inWorktree("src/no.ts"), "mine\n", "")],
        }),
        { text: "All done." },
      ],
    });
    const r = run;
    const entry = async () => (await r.project.store.read("locks")).locks["src/no.ts"];
    await screenShowsLine(r, "A1", /Apply this change\?/, 120_000);
    await roomShowsLock(r, "src/no.ts", "A1");
    expect(lockLife((await entry())!)).toBe(PROVISIONAL_LOCK_MS);
    await statusIs(r, "A1", "waiting", 30_000);
    r.services.sessions.deny("A1");
    await screenShowsLine(r, "A1", /Request cancelled/, 30_000);
    await statusIs(r, "A1", "idle", 30_000);
    await waitFor(
      async () => ((await entry()) === undefined ? true : undefined),
      15_000,
      () =>
        `src/no.ts released; locks: ${readFileSync(path.join(r.repo.stateDir, "file_locks.json"), "utf8")}`,
    );
    // Its activity line follows the locks file's write.
    const activity = path.join(r.repo.stateDir, "agent_activity.jsonl");
    await waitFor(
      () =>
        /"action":"released","file":"src\/no\.ts","auto":true,"provisional":true/.test(
          readFileSync(activity, "utf8"),
        ) || undefined,
      10_000,
      () => `the release of src/no.ts in the activity log: ${readFileSync(activity, "utf8")}`,
    );
    expect(existsSync(inWorktree("src/no.ts"))).toBe(false);
  });

  it("tells of an allowed write out of its scope (scope_mode: warn): the human before it, the model in the write's result", async () => {
    const inWorktree = (file: string) => path.join(run!.worktree, file);
    run = await startTowerRun({
      plan: plan(`["{CLI}", "--prompt-interactive", "{task}"]`)
        .replace("project: demo", "project: demo\nscope_mode: warn")
        .replace("    name: Alpha", '    name: Alpha\n    scope: ["src/**"]'),
      stream: "A",
      cli: "gemini",
      makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
      script: [
        () => ({
          text: "Writing the notes.",
          toolCalls: [gemini.writeCall(inWorktree("docs/out.md"), "notes\n", "")],
        }),
        { text: "All done." },
      ],
    });
    const r = run;
    const [call] = await r.server.callsOfTurn(0);
    await screenShowsLine(r, "A1", /Apply this change\?/, 120_000);
    // Before the write, the human: Gemini shows the hook's message.
    await screenShowsLine(r, "A1", /docs\/out\.md is outside the scope of stream A/);
    await approveUntilWritten(r, "A1", inWorktree("docs/out.md"), "notes\n");
    // After it, the model: the note appended to the write's result.
    const { result } = await r.server.waitForToolResult(call!.id);
    expect(result.isError).toBeFalsy();
    expect(String(result.content)).toContain(
      "docs/out.md is outside the scope of stream A (src/**): prefer to change only",
    );
    await screenShowsLine(r, "A1", /All done\./);
    expect(r.server.errors).toEqual([]);
  });
});

/**
 * A profile chosen on the agent's command line (`codex -p <name>`, in the plan): Codex 0.171
 * reads `$CODEX_HOME/<name>.config.toml` over the user's config.toml (and under `-c`). What Tower
 * gives for an agent of that command (codexLaunch), given to the real CLI's `codex sandbox`, which
 * applies the configuration's shell_environment_policy to the command it runs (`env`).
 */
describe("Codex in Tower (real CLI), a profile chosen on its command line", () => {
  const made: (() => void)[] = [];
  afterEach(() => {
    for (const undo of made.splice(0)) undo();
  });

  /** Codex's environment with `profile` as `work.config.toml`, and Tower's launch for `command`. */
  async function launchWith(profile: string, command: string[]) {
    const agent = codexEnv({ modelUrl: "http://127.0.0.1:9", trust: [] });
    const state = mkdtempSync(path.join(os.tmpdir(), "tower-codex-profile-"));
    made.push(agent.cleanup, () => rmSync(state, { recursive: true, force: true }));
    const codexHome = agent.codexHome as string;
    writeFileSync(path.join(codexHome, "work.config.toml"), profile);
    const worktree = path.join(state, "wt");
    mkdirSync(worktree);
    const launch = codexLaunch({
      identity: {
        agent: "A1",
        stream: "A",
        worktree,
        repoRoot: worktree,
        stateDir: state,
        task: "t",
      },
      store: new StateStore(state),
      tower: [process.execPath, path.join(state, "tower.js")],
      briefing: "b",
      session: { id: "", resume: false },
      env: { ...agent.env, TOWER_HOOK_PYTHON: "off" },
      shellEnv: { GIT_CONFIG_PARAMETERS: "'core.hookspath'='/guard'" },
      command,
    });
    return { agent, codexHome, worktree, launch };
  }

  it("with an include_only: the commands Codex runs get Tower's variables all the same, and only those the list names besides", async () => {
    // TMPDIR too: Codex's sandbox makes its mount targets' folder in the temporary folder of the
    // environment it gives the command (without TMPDIR, in the machine's /tmp, where it stays).
    const { agent, worktree, launch } = await launchWith(
      '[shell_environment_policy]\ninclude_only = ["PATH", "HOME", "TMPDIR"]\n',
      ["codex", "-p", "work", "{task}"],
    );
    const { args } = await launch;
    const [binary = ""] = agent.command;
    const env = execFileSync(binary, ["sandbox", ...args, "-p", "work", "--", "env"], {
      cwd: worktree,
      env: agent.env,
      encoding: "utf8",
      timeout: 60_000,
    });
    const names = env.split("\n").map((line) => line.split("=")[0]);
    expect(env).toContain("GIT_CONFIG_PARAMETERS='core.hookspath'='/guard'");
    expect(env).toContain("TOWER_AGENT_ID=A1");
    expect(names).toContain("PATH");
    // The profile's list still keeps the rest out (LANG is in the CLI's environment).
    expect(agent.env.LANG).toBeDefined();
    expect(names).not.toContain("LANG");
  });

  it("a -c in its command giving shell_environment_policy (or its set) whole replaces Tower's variables: it is not started", async () => {
    for (const given of [
      'shell_environment_policy={inherit="all"}',
      'shell_environment_policy.set={FOO="1"}',
    ]) {
      const plain = await launchWith("", ["codex", "{task}"]);
      const { agent, worktree } = plain;
      // Codex's own reading: the command's -c comes after Tower's, and the commands it runs lack
      // Tower's variables.
      const { args } = await plain.launch;
      const [binary = ""] = agent.command;
      const env = execFileSync(binary, ["sandbox", ...args, "-c", given, "--", "env"], {
        cwd: worktree,
        env: agent.env,
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(env).not.toContain("TOWER_AGENT_ID=");
      const { launch } = await launchWith("", ["codex", "-c", given, "{task}"]);
      await expect(launch).rejects.toThrow(RefusedError);
      await expect(launch).rejects.toThrow(/the agent's command in streams\.yaml/);
      await expect(launch).rejects.toThrow(/TOWER_AGENT_ID/);
    }
  });

  it("with a server of Tower's server's name reached by URL: Codex would not start with Tower's, so Tower refuses first, naming the profile's file", async () => {
    const { agent, codexHome, worktree, launch } = await launchWith(
      '[mcp_servers.tower]\nurl = "http://127.0.0.1:9/mcp"\n',
      ["codex", "--profile=work", "{task}"],
    );
    const file = path.join(codexHome, "work.config.toml");
    await expect(launch).rejects.toThrow(RefusedError);
    await expect(launch).rejects.toThrow(
      `${file} defines an MCP server named "tower" reached by URL (url)`,
    );
    // What Codex itself does with Tower's server given on its command line and that profile.
    const [binary = ""] = agent.command;
    const codexRun = spawnSync(
      binary,
      [
        "-c",
        `mcp_servers.tower.command=${JSON.stringify(process.execPath)}`,
        "-p",
        "work",
        "mcp",
        "list",
      ],
      { cwd: worktree, env: agent.env, encoding: "utf8", timeout: 60_000 },
    );
    expect(codexRun.status).not.toBe(0);
    expect(codexRun.stderr).toContain("url is not supported for stdio");
  });
});
