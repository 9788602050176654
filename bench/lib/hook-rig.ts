/**
 * What the hook round-trip benchmark (bench/hooks.ts) runs `tower hook PreToolUse` against: a
 * throwaway repository with streams A and B started (`tower start A B`), the room's hook
 * endpoint listening in this process on that project (the compiled dist/room/hook-endpoint.js,
 * as `tower` runs it), Claude Code's PreToolUse payload for a Write by agent A1 in its worktree,
 * and the environment Tower gives A1 (TOWER_* variables; TOWER_HOOK_SOCKET when a room is asked).
 *
 * Three decisions, each as the hook makes it for real:
 * - `free`: a file nobody holds: allowed, and the hook takes the lock for A1 (released again,
 *   untimed, after each sample, so that every sample finds the same state);
 * - `own`: a file A1 holds already: allowed, the lock renewed;
 * - `held`: a file B1 holds: denied, naming B1 (and recorded as a refusal).
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { HookRequest } from "../../src/agents/hook-events.js";
import type * as ForwardModule from "../../src/agents/hook-forward.js";
import type * as LaunchModule from "../../src/agents/launch.js";
import type * as ProjectModule from "../../src/engine/project.js";
import type * as HookEndpointModule from "../../src/room/hook-endpoint.js";
import { loadEngine } from "./engine.js";
import { cpuTime } from "./procs.js";
import { CLI, cleanEnv, git, makeBenchRepo, PROJECT_ROOT, tower } from "./repo.js";
import { nowMs } from "./stats.js";

export const DECISIONS = ["free", "own", "held"] as const;
export type Decision = (typeof DECISIONS)[number];

/** The agent whose hooks run (stream A of the test plan, scope config/**), and the holder. */
const AGENT = { id: "A1", stream: "A", task: "Consolidate config" } as const;
const HOLDER = { id: "B1", stream: "B", task: "Structured logging" } as const;

const FILES: Readonly<Record<Decision, (i: number) => string>> = {
  free: (i) => `config/free-${i}.py`,
  own: () => "config/own.py",
  held: () => "config/held.py",
};

/** About 2 KB, the size of a small source file an agent writes. */
const CONTENT = Array.from(
  { length: 40 },
  (_, i) => `SETTING_${i} = os.environ.get("SETTING_${i}", "default value ${i}")`,
).join("\n");

export interface HookRig {
  root: string;
  worktree: string;
  /** The room's socket (while the endpoint runs). */
  socket: string;
  /** How many statuses the room announced (one per allowed PreToolUse it answered). */
  announced(): number;
  /** The repository-relative file of the `i`th sample of `decision`. */
  file(decision: Decision, i: number): string;
  /** Claude Code's PreToolUse event for a Write of `file` by A1. */
  payload(file: string): Record<string, unknown>;
  /** What `tower hook` sends the room for that event (cli/hook-main.ts). */
  request(file: string): HookRequest;
  /**
   * The command Claude Code runs for PreToolUse, exactly as Tower's launch writes it into the
   * agent's settings (dist/agents/launch.js), for `sh -c` (as Claude Code runs it).
   */
  hookCommand: string;
  /** The same as `tower hook` in Node (the command when no Python is found). */
  nodeHookCommand: string;
  /** A1's environment, with or without the room's socket. */
  env(withRoom: boolean): NodeJS.ProcessEnv;
  /** Releases A1's lock on a `free` file after a sample: true when A1 held it. */
  releaseFree(file: string): Promise<boolean>;
  /** The holder of `file` in file_locks.json now. */
  holder(file: string): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

export async function makeHookRig(): Promise<HookRig> {
  const repo = await makeBenchRepo();
  const parent = path.dirname(repo.root);
  let endpoint: HookEndpointModule.HookEndpoint | undefined;
  try {
    const started = await tower(repo.root, ["start", "A", "B"]);
    if (started.code !== 0) throw new Error(`tower start A B failed: ${started.stderr}`);
    // `tower start` puts worktrees beside the repository: <project>-stream-<id>.
    const worktree = path.join(parent, "demo-stream-A");
    git(worktree, "rev-parse", "--git-dir");
    const held = await tower(repo.root, [
      "lock",
      FILES.held(0),
      "--agent",
      HOLDER.id,
      "--task",
      HOLDER.task,
    ]);
    if (held.code !== 0) throw new Error(`tower lock (B1) failed: ${held.stderr}`);

    const dist = (file: string) => pathToFileURL(path.join(PROJECT_ROOT, "dist", file)).href;
    const { openProject } = (await import(dist("engine/project.js"))) as typeof ProjectModule;
    const { startHookEndpoint } = (await import(
      dist("room/hook-endpoint.js")
    )) as typeof HookEndpointModule;
    const { claudeSettings } = (await import(dist("agents/launch.js"))) as typeof LaunchModule;
    const { findPython, writeForwarder } = (await import(
      dist("agents/hook-forward.js")
    )) as typeof ForwardModule;
    // As a launch writes them: the Python forwarder when there is a Python, and `tower hook`.
    const python = await findPython();
    // Its folder made first, as a launch makes it (writeForwarder writes into a folder it is given).
    const launchFolder = path.join(parent, "launch-A1");
    mkdirSync(launchFolder, { recursive: true });
    const forwarder = python ? { python, script: await writeForwarder(launchFolder) } : undefined;
    const hookCommand = preToolUseCommand(claudeSettings([process.execPath, CLI], forwarder));
    const nodeHookCommand = preToolUseCommand(claudeSettings([process.execPath, CLI]));
    const engine = await loadEngine();
    const project = await openProject(repo.root, cleanEnv());
    let announcements = 0;
    endpoint = await startHookEndpoint(project, () => {
      announcements++;
    });
    const store = new engine.StateStore(repo.stateDir);
    const own = await engine.acquireLocks(store, {
      paths: [FILES.own(0)],
      agent: AGENT.id,
      stream: AGENT.stream,
      task: AGENT.task,
      source: "hook",
    });
    if (!own.ok) throw new Error(`A1 could not take ${FILES.own(0)}`);

    const payload = (file: string) => ({
      session_id: "5e1f2a3b-0000-4000-8000-00000000b0b0",
      transcript_path: path.join(parent, "transcript.jsonl"),
      cwd: worktree,
      permission_mode: "acceptEdits",
      hook_event_name: "PreToolUse",
      tool_name: "Write",
      tool_input: { file_path: path.join(worktree, file), content: CONTENT },
      tool_use_id: `toolu_bench_${file.replace(/\W/g, "_")}`,
    });
    const room = endpoint;
    const rig: HookRig = {
      root: repo.root,
      worktree,
      socket: room.socket,
      hookCommand,
      nodeHookCommand,
      announced: () => announcements,
      file: (decision, i) => FILES[decision](i),
      payload,
      request: (file) => ({
        event: "PreToolUse",
        payload: payload(file),
        agent: { id: AGENT.id, stream: AGENT.stream, worktree },
      }),
      env: (withRoom) => ({
        ...cleanEnv(),
        TOWER_AGENT_ID: AGENT.id,
        TOWER_STREAM: AGENT.stream,
        TOWER_WORKTREE: worktree,
        TOWER_REPO_ROOT: repo.root,
        TOWER_STATE_DIR: repo.stateDir,
        TOWER_TASK: AGENT.task,
        ...(withRoom && { TOWER_HOOK_SOCKET: room.socket }),
      }),
      async releaseFree(file) {
        const released = await engine.releaseLocks(store, { paths: [file], agent: AGENT.id });
        return released.ok && released.results[0]?.outcome === "released";
      },
      async holder(file) {
        return (await store.read("locks")).locks[file]?.agent;
      },
      async cleanup() {
        await room.close();
        // The room's private folder for this repository (the socket is gone already).
        rmSync(path.dirname(room.socket), { recursive: true, force: true });
        repo.cleanup();
      },
    };
    return rig;
  } catch (error) {
    await endpoint?.close();
    repo.cleanup();
    throw error;
  }
}

export interface Timed {
  ms: number;
  /**
   * The CPU time (user + system) of the process and the processes it waited for, read from this
   * process's children's times once it was reaped: in clock ticks (10 ms), so only a mean over
   * many runs says much.
   */
  cpuMs: number;
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` with `input` on its stdin and times it from just before the spawn to its exit with
 * its output read (what Claude Code waits for before it goes on).
 */
export function timedSpawn(
  argv: readonly string[],
  input: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    const cpu0 = cpuTime(process.pid).childrenMs;
    const t0 = nowMs();
    const child = spawn(file ?? process.execPath, args, { cwd, env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const ms = nowMs() - t0;
      const cpuMs = cpuTime(process.pid).childrenMs - cpu0;
      resolve({ ms, cpuMs, code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

/** The PreToolUse command of Claude Code settings made by `claudeSettings`. */
function preToolUseCommand(settings: Record<string, unknown>): string {
  const hooks = settings.hooks as Record<string, { hooks: { command: string }[] }[]>;
  const command = hooks.PreToolUse?.[0]?.hooks[0]?.command;
  if (!command) throw new Error("Tower's Claude Code settings have no PreToolUse command");
  return command;
}

/** The environment without NODE_EXTRA_CA_CERTS (which Node reads at every start-up). */
export function withoutExtraCa(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _, ...rest } = env;
  return rest;
}

/**
 * The least a Node client of the room can do for the same event: read it from stdin, send the
 * request line `tower hook` sends, print the decision. A CommonJS file that loads nothing but
 * `net`: the floor for `tower hook` against a room (`node hook-client.cjs PreToolUse`).
 */
export function writeMinimalClient(dir: string): string {
  const file = path.join(dir, "hook-client.cjs");
  writeFileSync(
    file,
    `const net = require("node:net");
const e = process.env;
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const agent = { id: e.TOWER_AGENT_ID, stream: e.TOWER_STREAM, worktree: e.TOWER_WORKTREE };
  const request = { event: process.argv[2], payload: JSON.parse(input), agent };
  let reply = "";
  const c = net.connect(e.TOWER_HOOK_SOCKET, () => c.write(JSON.stringify(request) + "\\n"));
  c.setEncoding("utf8");
  c.on("data", (d) => { reply += d; });
  c.on("end", () => {
    const answer = JSON.parse(reply);
    if (answer.output) process.stdout.write(JSON.stringify(answer.output) + "\\n");
  });
});
`,
  );
  return file;
}

/** The same exchange from this process: the room's own time for a request, Node start-up aside. */
export function askInProcess(socket: string, request: HookRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const c = net.connect(socket, () => c.write(`${JSON.stringify(request)}\n`));
    c.setEncoding("utf8");
    c.on("data", (d: string) => {
      reply += d;
    });
    c.on("end", () => resolve(reply));
    c.on("error", reject);
  });
}
