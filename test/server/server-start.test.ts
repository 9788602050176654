/**
 * A server's start-up gone wrong, and starts that race: a server that fails once its socket
 * listens (its token, its room or its info cannot be made) says why and ends, leaving no socket,
 * claim or temporary file behind, and a client it let in meanwhile is told why instead of waiting
 * for a room that never comes; two starts at the same moment both join the one server that won;
 * a stale socket is replaced only under the room folder's lock.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
} from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openProject } from "../../src/engine/project.js";
import { tryLockExclusive } from "../../src/engine/state/flock.js";
import {
  connectThroughCommand,
  connectToRoom,
  ROOM_SOCKET,
  socketAnswers,
  TOKEN_FILE,
} from "../../src/room/protocol/index.js";
import { Room } from "../../src/room/room.js";
import { roomDir } from "../../src/room/runtime-dir.js";
import { createRoomStore } from "../../src/room/state.js";
import { readClaim } from "../../src/server/claim.js";
import { hostRoom } from "../../src/server/host.js";
import { INFO_FILE, isAlive, readInfo } from "../../src/server/info.js";
import { RemoteRoom } from "../../src/server/remote.js";
import { takeClaim } from "../../src/server/take-claim.js";
import { CLI, cleanEnv, waitFor } from "../helpers/repo.js";
import { agentRecord, cleanupRigs, recordedPid, type ServerRig, serverRig } from "./helpers.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
  await cleanupRigs();
});

/** `tower server` run to its end, or stopped after `timeoutMs` if it keeps running. */
function serverRun(
  rig: ServerRig,
  timeoutMs = 20_000,
  whileRunning?: (child: ChildProcess) => void,
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, "server"],
      { cwd: rig.root, env: rig.env, timeout: timeoutMs, killSignal: "SIGKILL" },
      (_error, _stdout, stderr) =>
        resolve({ code: child.exitCode, stderr: String(stderr), ms: Date.now() - started }),
    );
    whileRunning?.(child);
  });
}

/** Whether the repository's claim is free: taken here and released at once. */
function claimFree(rig: ServerRig): boolean {
  const claim = takeClaim(rig.root, rig.dir);
  if (claim.held) claim.release();
  return claim.held;
}

/** A socket at `file` that nothing listens on any more: its server was killed with -9. */
async function staleSocket(file: string): Promise<void> {
  const script = `require("node:net").createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, "SIGKILL"))`;
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
    child.on("exit", () => resolve());
  });
  expect(existsSync(file)).toBe(true);
  expect(await socketAnswers(file)).toBe(false);
}

/** The `tower server` processes (not the --stdio bridges) of this test's runtime folder. */
function servers(rig: ServerRig): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      const env = readFileSync(`/proc/${name}/environ`, "utf8").split("\0");
      if (
        argv.includes("server") &&
        !argv.includes("--stdio") &&
        env.includes(`XDG_RUNTIME_DIR=${rig.runtime}`)
      ) {
        found.push(Number(name));
      }
    } catch {}
  }
  return found;
}

describe("a server that fails once it listens", () => {
  it("its token cannot be written (room.token a folder): it says why and ends; no socket, claim or temporary token stays", async () => {
    const rig = await serverRig();
    mkdirSync(path.join(rig.dir, TOKEN_FILE));
    const run = await serverRun(rig);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("EISDIR");
    expect(existsSync(path.join(rig.dir, ROOM_SOCKET))).toBe(false);
    expect(await socketAnswers(path.join(rig.dir, ROOM_SOCKET))).toBe(false);
    expect(claimFree(rig)).toBe(true);
    expect(readdirSync(rig.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("its info cannot be written (server.json a folder): it stops the agent it started, says why and ends", async () => {
    const rig = await serverRig();
    mkdirSync(path.join(rig.dir, INFO_FILE));
    const agents = new Set<number>();
    const run = await serverRun(rig, 20_000, (child) => {
      const watch = setInterval(() => {
        const pid = recordedPid(rig, "A1");
        if (pid !== undefined) agents.add(pid);
        if (child.exitCode !== null || child.signalCode !== null) clearInterval(watch);
      }, 5);
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("EISDIR");
    // The room had opened: its agent was started, then stopped with it (agents.json says so).
    expect(agentRecord(rig, "A1")).toMatchObject({ status: "exited" });
    for (const pid of agents) expect(isAlive(pid)).toBe(false);
    expect(existsSync(path.join(rig.dir, ROOM_SOCKET))).toBe(false);
    expect(existsSync(path.join(rig.dir, TOKEN_FILE))).toBe(false);
    expect(claimFree(rig)).toBe(true);
    expect(readdirSync(rig.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("its room cannot open: a client let in meanwhile is told why instead of waiting for the room; the socket and the claim go", async () => {
    const rig = await serverRig();
    // Hosted in this process, whose runtime folder is the test run's.
    const project = await openProject(rig.root, cleanEnv());
    const dir = await roomDir(rig.root);
    let fail!: (error: Error) => void;
    const opening = new Promise<Room>((_, reject) => {
      fail = reject;
    });
    // Rejected before the host awaits it, on a loaded machine: not an unhandled rejection.
    opening.catch(() => {});
    vi.spyOn(Room, "open").mockImplementation(() => opening);
    const log: string[] = [];
    const hosting = hostRoom(project, { log: (line) => log.push(line) });
    hosting.catch(() => {});
    await waitFor(
      async () =>
        existsSync(path.join(dir, TOKEN_FILE)) && (await socketAnswers(path.join(dir, ROOM_SOCKET)))
          ? true
          : undefined,
      15_000,
      "the socket to answer",
    );
    const connection = await connectToRoom(dir, { cols: 80, rows: 24, name: "early" });
    const attaching = RemoteRoom.attach(connection, createRoomStore()).then(
      () => "attached",
      (error: Error) => error.message,
    );
    cleanups.push(() => connection.transport.close("test over"));
    fail(new Error("the room could not open (test)"));
    await expect(hosting).rejects.toThrow("the room could not open (test)");
    const said = await Promise.race([
      attaching,
      new Promise<string>((resolve) => setTimeout(() => resolve("still waiting"), 10_000)),
    ]);
    expect(said).toBe(
      "the Tower server closed the connection: the server could not start: the room could not open (test)",
    );
    expect(await socketAnswers(path.join(dir, ROOM_SOCKET))).toBe(false);
    expect(existsSync(path.join(dir, TOKEN_FILE))).toBe(false);
    expect(claimFree(rig)).toBe(true);
    expect(log.join("\n")).toContain("the room could not open (test)");
  });
});

describe("two starts at the same moment", () => {
  it("two tower server --stdio (two tower attach --ssh) in a repository with no server: both join the one server that starts", async () => {
    const rig = await serverRig();
    const join = (name: string) =>
      connectThroughCommand(
        process.execPath,
        [CLI, "server", "--stdio"],
        { cols: 80, rows: 24, name },
        { cwd: rig.root, env: rig.env },
      ).then(async (connection) => {
        cleanups.push(() => connection.transport.close("test over"));
        const store = createRoomStore();
        await RemoteRoom.attach(connection, store);
        return store.getState().agentOrder;
      });
    const joined = await Promise.allSettled([join("one"), join("two")]);
    expect(joined.map((j) => (j.status === "fulfilled" ? j.value : String(j.reason)))).toEqual([
      ["A1"],
      ["A1"],
    ]);
    // The server started second refuses to stand beside the first and ends (a moment later on
    // a loaded machine).
    const pid = (await readInfo(rig.dir))?.pid;
    await waitFor(() => (servers(rig).length === 1 ? true : undefined), 15_000, "one server").catch(
      () => {},
    );
    expect(servers(rig)).toEqual([pid]);
  });
});

describe("a stale socket in the room folder", () => {
  it("is replaced under the folder's lock: a server waits while another process holds it, then serves", async () => {
    const rig = await serverRig();
    await staleSocket(path.join(rig.dir, ROOM_SOCKET));
    const lockFile = path.join(rig.dir, "room.lock");
    const fd = openSync(lockFile, constants.O_RDWR | constants.O_CREAT, 0o600);
    let open = true;
    const unlock = () => {
      if (open) closeSync(fd);
      open = false;
    };
    cleanups.push(unlock);
    expect(tryLockExclusive(fd)).toBe(true);
    const child = spawn(process.execPath, [CLI, "server"], {
      cwd: rig.root,
      env: rig.env,
      stdio: "ignore",
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill("SIGTERM");
    });
    // Past its claim, the server comes to the socket, and waits for the lock there.
    await waitFor(() => (readClaim(rig.root)?.pid === child.pid ? true : undefined), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(child.exitCode).toBe(null);
    expect(await socketAnswers(path.join(rig.dir, ROOM_SOCKET))).toBe(false);
    unlock();
    await waitFor(
      async () =>
        (await readInfo(rig.dir))?.pid === child.pid &&
        (await socketAnswers(path.join(rig.dir, ROOM_SOCKET)))
          ? true
          : undefined,
      15_000,
      "the server to answer once the lock is free",
    );
  });
});
