/**
 * The Python forwarder Claude Code runs for each hook event of an agent Tower started
 * (src/agents/hook-forward.ts): run exactly as the agent's settings say, through `sh -c`, against
 * the room's real hook endpoint, against no room, and against a room that fails; and how the
 * interpreter is found. Real files, real Python, the built CLI for the fallback.
 */
import { execFile } from "node:child_process";
import { promises as fsp, mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findPython, hookWords, writeForwarder } from "../../src/agents/hook-forward.js";
import { claudeSettings } from "../../src/agents/launch.js";
import { openProject } from "../../src/engine/project.js";
import { REFUSED_ACTION } from "../../src/engine/refusals.js";
import { StateStore } from "../../src/engine/state/index.js";
import { type HookEndpoint, startHookEndpoint } from "../../src/room/hook-endpoint.js";
import {
  CLI,
  cleanEnv,
  makeRepo,
  readJson,
  readJsonlFile,
  type TempRepo,
  tower,
} from "../helpers/repo.js";
import { addStream, writeStreamsState } from "../helpers/streams.js";

const TOWER = [process.execPath, CLI];

let repo: TempRepo;
let worktreeA: string;
let endpoint: HookEndpoint | undefined;
let command: string;
const announced: string[] = [];

beforeEach(async () => {
  repo = await makeRepo();
  const a = addStream(repo, "A");
  const b = addStream(repo, "B");
  writeStreamsState(repo, [a, b]);
  worktreeA = a.worktree;
  const python = await findPython();
  if (!python) throw new Error("these tests need python3 on the PATH");
  const script = await writeForwarder(await new StateStore(repo.stateDir).folder("launch", "A1"));
  command = preToolUse(claudeSettings(TOWER, { python, script }));
  announced.length = 0;
});
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
  repo.cleanup();
});

function preToolUse(settings: Record<string, unknown>): string {
  const hooks = settings.hooks as Record<string, { hooks: { command: string }[] }[]>;
  return hooks.PreToolUse?.[0]?.hooks[0]?.command ?? "";
}

async function startRoom(): Promise<string> {
  const project = await openProject(repo.root, cleanEnv());
  endpoint = await startHookEndpoint(project, (agent, status) => {
    announced.push(`${agent} ${status}`);
  });
  return endpoint.socket;
}

function agentEnv(socket: string | undefined, agent = "A1"): NodeJS.ProcessEnv {
  return cleanEnv({
    TOWER_AGENT_ID: agent,
    TOWER_STREAM: "A",
    TOWER_WORKTREE: worktreeA,
    TOWER_REPO_ROOT: repo.root,
    TOWER_STATE_DIR: repo.stateDir,
    TOWER_TASK: `task of ${agent}`,
    ...(socket && { TOWER_HOOK_SOCKET: socket }),
  });
}

/** As Claude Code runs a hook: the settings' command string through the shell. */
function run(
  line: string,
  payload: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  pretty = false,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "/bin/sh",
      ["-c", line],
      { cwd: worktreeA, env },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
    child.stdin?.end(pretty ? JSON.stringify(payload, null, 2) : JSON.stringify(payload));
  });
}

const write = (file: string) => ({
  session_id: "11111111-2222-3333-4444-555555555555",
  transcript_path: "/tmp/none.jsonl",
  hook_event_name: "PreToolUse",
  tool_name: "Write",
  tool_input: { file_path: path.join(worktreeA, file), content: "x\n" },
  tool_use_id: "toolu_1",
});

const decision = (stdout: string) =>
  stdout.trim() === ""
    ? undefined
    : (JSON.parse(stdout) as { hookSpecificOutput?: Record<string, string> }).hookSpecificOutput;

async function holder(file: string): Promise<string | undefined> {
  const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
    locks: Record<string, { agent: string }>;
  };
  return locks.locks[file]?.agent;
}

async function bothWays(env: NodeJS.ProcessEnv): Promise<void> {
  expect((await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"])).code).toBe(0);
  const denied = await run(command, write("config/app.py"), env);
  expect(denied).toMatchObject({ code: 0, stderr: "" });
  expect(decision(denied.stdout)?.permissionDecision).toBe("deny");
  expect(decision(denied.stdout)?.permissionDecisionReason).toMatch(/locked by agent B1/);
  const allowed = await run(command, write("config/new.py"), env);
  expect(allowed).toMatchObject({ code: 0, stdout: "", stderr: "" });
  expect(await holder("config/new.py")).toBe("A1");
  expect(await holder("config/app.py")).toBe("B1");
}

describe("the hook forwarder", () => {
  it("is what the agent's settings run, with tower hook behind it", () => {
    const words = (line: string) => line.replace(/'/g, "");
    expect(words(command)).toMatch(
      /\/python3[.\d]* -I -S \S*\/tower-hook\.py PreToolUse \S+ \S+tower\.js$/,
    );
    // Without Python, the settings run tower hook itself.
    expect(words(preToolUse(claudeSettings(TOWER)))).toMatch(/tower\.js hook PreToolUse$/);
    expect(hookWords(TOWER, "Stop")).toEqual([...TOWER, "hook", "Stop"]);
  });

  it("asks the room: denies a write to a held file naming the holder, takes the lock for an allowed one, and the room announces it", async () => {
    const socket = await startRoom();
    await bothWays(agentEnv(socket));
    // Only the allowed write announces a status, and it came from the room.
    expect(announced).toEqual(["A1 running"]);
    // The event as it comes, line breaks, quotes, backslashes and all.
    const odd = 'config/"odd" \\ näme.py';
    const event = {
      ...write(odd),
      tool_input: { file_path: path.join(worktreeA, odd), content: 'a\n"b"\n' },
    };
    const result = await run(command, event, agentEnv(socket), true);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(await holder(odd)).toBe("A1");
    expect(announced).toEqual(["A1 running", "A1 running"]);
    // What the answer did not wait for (the announcement in agents.json, the refusal for the
    // report) is written after it, and in before the room is gone.
    await endpoint?.close();
    endpoint = undefined;
    const agents = (await readJson(path.join(repo.stateDir, "agents.json"))) as {
      agents: Record<string, { announced?: { status: string; event: string } }>;
    };
    expect(agents.agents.A1?.announced).toMatchObject({ status: "running", event: "PreToolUse" });
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(
      activity.some(
        (e) => e.agent === "A1" && e.action === REFUSED_ACTION && String(e.reason).includes("B1"),
      ),
    ).toBe(true);
  });

  it("does the work through tower hook when no room answers", async () => {
    await bothWays(agentEnv(path.join(os.tmpdir(), `no-room-${process.pid}.sock`)));
    await bothWays(agentEnv(undefined));
    expect(announced).toEqual([]);
  });

  it("does the work through tower hook when the room could not (a failed or unreadable answer)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bad-room-"));
    const replies = ['{"failed": true, "warning": "the room: broken"}\n', "not json\n"];
    for (const reply of replies) {
      const socket = path.join(dir, `room-${replies.indexOf(reply)}.sock`);
      const server = net.createServer((c) => {
        c.on("data", () => c.end(reply));
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        const file = `config/bad-${replies.indexOf(reply)}.py`;
        const result = await run(command, write(file), agentEnv(socket));
        expect(result).toMatchObject({ code: 0, stdout: "" });
        expect(await holder(file)).toBe("A1");
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("prints the room's warning and leaves it recorded once, by the room", async () => {
    const socket = await startRoom();
    // An agent the plan does not have: the room allows (never holds an agent up) and warns.
    const result = await run(command, write("config/z.py"), agentEnv(socket, "Z9"));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/a hook for Z9 \(stream A\), which the plan does not have/);
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    const warnings = activity.filter((e) => e.action === "warning" && e.for_agent === "Z9");
    expect(warnings).toHaveLength(1);
  });

  it("finds the real interpreter behind a shim, and none when told off or when there is none", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-python-"));
    const real = await findPython();
    const shim = path.join(dir, "python3");
    writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(real)} "$@"\n`, { mode: 0o755 });
    expect(await findPython({ PATH: dir })).toBe(real);
    expect(await findPython({ PATH: dir, TOWER_HOOK_PYTHON: "off" })).toBeUndefined();
    expect(await findPython({ PATH: path.join(dir, "nothing-here") })).toBeUndefined();
    await fsp.rm(dir, { recursive: true, force: true });
  });
});
