/**
 * Helpers for the server tests: a temporary repository whose stream A runs the fake agent, the
 * built CLI's `tower server` as a real background process, and remote clients on its socket.
 * Each test has its own runtime folder (XDG_RUNTIME_DIR), so `tower ls` sees only its rooms.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectToRoom } from "../../src/room/protocol/index.js";
import { roomDir } from "../../src/room/runtime-dir.js";
import { createRoomStore, type RoomStore } from "../../src/room/state.js";
import { isAlive, readInfo } from "../../src/server/info.js";
import { RemoteRoom } from "../../src/server/remote.js";
import { CLI, cleanEnv, makeRepo, type TempRepo, tower, waitFor } from "../helpers/repo.js";
import { fakeAgent, plain, yamlArgv } from "../room/helpers.js";

/** The fake agent: a banner, then a prompt that echoes each line it is told. */
export const ECHO_AGENT = fakeAgent("banner", "say ready {agent}", "echo");

export const planWith = (agent: readonly string[] = ECHO_AGENT) => `version: 1
project: shop
agent: ${yamlArgv(agent)}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }]
`;

export interface ServerRig {
  repo: TempRepo;
  root: string;
  /** The runtime folder of this test (XDG_RUNTIME_DIR). */
  runtime: string;
  env: NodeJS.ProcessEnv;
  dir: string;
  cleanup(): Promise<void>;
}

const rigs: ServerRig[] = [];
const clients: RemoteRoom[] = [];

/** A repository with stream A started (not its agents: the server starts them). */
export async function serverRig(plan = planWith()): Promise<ServerRig> {
  const repo = await makeRepo({ plan });
  const root = realpathSync(repo.root);
  const runtime = mkdtempSync(path.join(os.tmpdir(), "tower-run-"));
  const env = cleanEnv({ XDG_RUNTIME_DIR: runtime });
  const start = await tower(root, ["start", "A"], { XDG_RUNTIME_DIR: runtime });
  if (start.code !== 0) throw new Error(`tower start A failed: ${start.stderr}`);
  const dir = await roomDir(root, env);
  const rig: ServerRig = {
    repo,
    root,
    runtime,
    env,
    dir,
    cleanup: async () => {
      const info = await readInfo(dir);
      if (info && isAlive(info.pid)) {
        process.kill(info.pid, "SIGTERM");
        await waitFor(() => (isAlive(info.pid) ? undefined : true), 15_000, "the server to stop");
      }
      repo.cleanup();
      rmSync(runtime, { recursive: true, force: true });
    },
  };
  rigs.push(rig);
  return rig;
}

export async function cleanupRigs(): Promise<void> {
  for (const client of clients.splice(0)) client.detach();
  for (const rig of rigs.splice(0)) await rig.cleanup().catch(() => {});
}

/** Starts `tower server` in the background, as `tower` does; resolves when it answers. */
export async function startServer(rig: ServerRig, args: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, "server", ...args], {
    cwd: rig.root,
    env: rig.env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`tower server exited: ${stderr}`);
      const info = await readInfo(rig.dir);
      return info?.pid === child.pid ? true : undefined;
    },
    15_000,
    "the server to answer",
  );
  return child;
}

/** A client on the server's socket, its room mirrored in a fresh room store. */
export async function attach(
  rig: ServerRig,
  name = "test",
  size = { cols: 120, rows: 40 },
): Promise<{ remote: RemoteRoom; store: RoomStore }> {
  const store = createRoomStore();
  const connection = await connectToRoom(rig.dir, { ...size, name });
  const remote = await RemoteRoom.attach(connection, store);
  clients.push(remote);
  return { remote, store };
}

/** The pane text of `agent` in a client's store. */
export function screenOf(store: RoomStore, agent: string): string {
  const frame = store.getState().frames[agent];
  return frame ? plain(frame.rows) : "";
}

export function waitForScreen(store: RoomStore, agent: string, text: string, timeoutMs = 10_000) {
  return waitFor(
    () => (screenOf(store, agent).includes(text) ? true : undefined),
    timeoutMs,
    `"${text}" on ${agent}'s screen (it shows:\n${screenOf(store, agent)})`,
  );
}

/** What agents.json says of `agent`. */
/**
 * The pid agents.json records for an agent, or undefined while it records none: a record
 * corrected to exited says `pid: null` (a new server does that before it starts the agent
 * again), and null is not a pid.
 */
export function recordedPid(rig: ServerRig, agent: string): number | undefined {
  const pid = agentRecord(rig, agent)?.pid;
  return typeof pid === "number" ? pid : undefined;
}

export function agentRecord(rig: ServerRig, agent: string): Record<string, unknown> | undefined {
  try {
    const file = JSON.parse(readFileSync(path.join(rig.repo.stateDir, "agents.json"), "utf8"));
    return file.agents?.[agent];
  } catch {
    return undefined;
  }
}
