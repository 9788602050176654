/**
 * Two `tower` opened at the same moment in a repository with no server: one server, both on it.
 * The room's private folder emptied or removed from outside while the server runs (a temp-folder
 * cleaner such as systemd-tmpfiles, a careless rm): the server puts back its socket, token, hook
 * socket and info, so `tower`, `tower attach` and `tower ls` still find it, and a `tower` that
 * comes before it has done so joins it rather than starting a second server beside it (which
 * would show no agent, as the running ones belong to the first).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HOOK_SOCKET } from "../../src/room/hook-endpoint.js";
import { ROOM_SOCKET, socketAnswers, TOKEN_FILE } from "../../src/room/protocol/index.js";
import { readClaim } from "../../src/server/claim.js";
import { INFO_FILE, isAlive, LOG_FILE, readInfo } from "../../src/server/info.js";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, cleanEnv, tower, waitFor } from "../helpers/repo.js";
import { cleanupRigs, recordedPid, type ServerRig, serverRig } from "./helpers.js";

const rigs: TmuxRig[] = [];
const rooms: ServerRig[] = [];
/** Runtime folders of other terminals (another XDG_RUNTIME_DIR), removed after each test. */
const runtimes: string[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) rig.kill();
  const others = runtimes.splice(0);
  // Stopped before the repository goes: a server stopping its agents writes their exit there.
  for (const pid of others.flatMap((runtime) => servers(runtime)).filter(isAlive)) {
    process.kill(pid, "SIGTERM");
    await waitFor(() => (isAlive(pid) ? undefined : true), 15_000, `server ${pid} to stop`);
  }
  for (const runtime of others) rmSync(runtime, { recursive: true, force: true });
  // A second server, had one started, is not the one the info names (cleanupRigs stops that).
  const strays = rooms.splice(0).flatMap((room) => servers(room));
  await cleanupRigs();
  for (const pid of strays.filter(isAlive)) process.kill(pid, "SIGTERM");
});

function open(rig: ServerRig, args = "", runtime = rig.runtime): TmuxRig {
  const tmux = new TmuxRig(
    rig.root,
    `node ${CLI} ${args}`,
    { cols: 120, rows: 30 },
    {
      TOWER_IN_PROCESS: "0",
      XDG_RUNTIME_DIR: runtime,
    },
  );
  rigs.push(tmux);
  return tmux;
}

/** The pids of the Tower servers started with this runtime folder (a rig's, or another). */
function servers(rig: ServerRig | string): number[] {
  const runtime = typeof rig === "string" ? rig : rig.runtime;
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      const env = readFileSync(`/proc/${name}/environ`, "utf8").split("\0");
      if (argv.includes("server") && env.includes(`XDG_RUNTIME_DIR=${runtime}`)) {
        found.push(Number(name));
      }
    } catch {}
  }
  return found;
}

/**
 * `rm -rf dir` run again until it holds: the server may put files back while the folder is
 * being emptied (rmdir then fails with ENOTEMPTY), at its own pace on a loaded machine.
 */
async function removeUntilGone(dir: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** A room whose server `tower` started, its agent ready, the client detached. */
async function detachedRoom() {
  const rig = await serverRig();
  rooms.push(rig);
  const first = open(rig);
  await first.waitForText("ready A1", 20_000);
  first.keys("D");
  await first.waitForText("[exited 0]");
  const server = (await readInfo(rig.dir))!.pid;
  const agent = await waitFor(() => recordedPid(rig, "A1"));
  return { rig, server, agent };
}

describe("two towers at once", () => {
  it("in a repository with no server: one server starts, both control rooms open on it", async () => {
    for (let round = 0; round < 2; round++) {
      const rig = await serverRig();
      rooms.push(rig);
      const [one, two] = [open(rig), open(rig)];
      await one.waitForText("ready A1", 30_000);
      await two.waitForText("ready A1", 30_000);
      await waitFor(
        () => (servers(rig).length === 1 ? true : undefined),
        10_000,
        "one server",
      ).catch(() => {});
      expect(servers(rig)).toHaveLength(1);
      // server.json counts the clients a moment after they attached (its writes are batched).
      await waitFor(
        async () => ((await readInfo(rig.dir))?.clients === 2 ? true : undefined),
        10_000,
        "server.json to count two clients",
      );
      for (const t of [one, two]) t.kill();
    }
  });
});

describe("the room's folder cleaned from outside", () => {
  it("its socket removed: a tower server started then refuses to stand beside it; the next tower joins it", async () => {
    const { rig, server, agent } = await detachedRoom();
    rmSync(path.join(rig.dir, ROOM_SOCKET));
    // Whether the first one has put its socket back yet or not, a second stops before it listens.
    const second = await tower(rig.root, ["server"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(
      `tower: another Tower server (pid ${server}) already serves ${rig.root}: attach to it (tower attach), or stop it first (tower server stop)`,
    );
    rmSync(path.join(rig.dir, ROOM_SOCKET));
    const next = open(rig);
    await next.waitForText("ready A1", 20_000);
    // A server that tower started meanwhile stops itself, refused, once the first one answers.
    await waitFor(() => (servers(rig).length === 1 ? true : undefined), 10_000, "one server").catch(
      () => {},
    );
    expect(servers(rig)).toEqual([server]);
    expect((await readInfo(rig.dir))?.pid).toBe(server);
    expect(recordedPid(rig, "A1")).toBe(agent);
    expect(isAlive(agent)).toBe(true);
  });

  it("the whole folder removed: the server puts it back; a second server refuses; tower ls and tower attach find it", async () => {
    const { rig, server, agent } = await detachedRoom();
    // As `rm -rf` run until it holds: the server may put a file back while the folder is being
    // emptied (its rmdir then fails with ENOTEMPTY), which is what this test is about.
    await removeUntilGone(rig.dir);
    // No info left to name it: the agent it runs does (agents.json, its parent).
    const second = await tower(rig.root, ["server"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(second.stderr).toContain(`another Tower server (pid ${server}) already serves`);
    await waitFor(
      () =>
        [ROOM_SOCKET, TOKEN_FILE, HOOK_SOCKET, INFO_FILE].every((f) =>
          existsSync(path.join(rig.dir, f)),
        )
          ? true
          : undefined,
      10_000,
      "the server's files back in its folder",
    );
    // Listened on again, not only files: the agents' hooks reach the room.
    expect(await socketAnswers(path.join(rig.dir, HOOK_SOCKET))).toBe(true);
    // Its log goes on in the folder (not into the removed file): what it put back, and the
    // clients that come.
    const log = () => readFileSync(path.join(rig.dir, LOG_FILE), "utf8");
    await waitFor(() => (existsSync(path.join(rig.dir, LOG_FILE)) ? true : undefined), 5_000);
    expect(log()).toContain(`in ${rig.dir} (removed from outside)`);
    expect(statSync(path.join(rig.dir, LOG_FILE)).mode & 0o777).toBe(0o600);
    const ls = await tower(rig.root, ["ls"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(ls.stdout).toContain(String(server));
    const again = open(rig, "attach");
    await again.waitForText("ready A1", 20_000);
    await waitFor(() => (log().includes("client attached") ? true : undefined), 5_000, "the log");
    expect(servers(rig)).toEqual([server]);
    expect(recordedPid(rig, "A1")).toBe(agent);
  });
});

/** `tower server` run to its end, or stopped after `timeoutMs` if it serves instead. */
function serverRun(
  root: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, "server"],
      { cwd: root, env: cleanEnv(env), timeout: timeoutMs, killSignal: "SIGTERM" },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr: String(stderr) }),
    );
  });
}

describe("a terminal whose runtime folder differs (another XDG_RUNTIME_DIR: su, a service, SSH without a login session)", () => {
  it("finds the repository's server: tower ps, tower and tower server stop use it, and a tower server refuses to stand beside it", async () => {
    const { rig, server, agent } = await detachedRoom();
    const other = mkdtempSync(path.join(os.tmpdir(), "tower-run-"));
    runtimes.push(other);
    const env = { XDG_RUNTIME_DIR: other };
    const ps = await tower(rig.root, ["ps"], env);
    // Running, or idle once its prompt has been quiet a moment (the room's live view either way).
    expect(ps.stdout).toMatch(new RegExp(`A1\\s+A\\s+(running|idle)\\s+${agent}`));
    // tower ls of that terminal lists it too (outside the repository: it knows no repository).
    const ls = await tower(os.tmpdir(), ["ls", "--json"], env);
    expect(
      (JSON.parse(ls.stdout) as { pid: number; repo: string }[]).map((r) => [r.pid, r.repo]),
    ).toEqual([[server, rig.root]]);
    const there = open(rig, "", other);
    await there.waitForText("ready A1", 20_000);
    expect(servers(other)).toEqual([]);
    there.kill();
    // With no agent running, agents.json names no server: the repository's own record does.
    process.kill(agent, "SIGTERM");
    await waitFor(() => (isAlive(agent) ? undefined : true), 10_000, "A1 to stop");
    const second = await serverRun(rig.root, env);
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(
      `tower: another Tower server (pid ${server}) already serves ${rig.root}: attach to it (tower attach), or stop it first (tower server stop)`,
    );
    expect(servers(other)).toEqual([]);
    const stop = await tower(rig.root, ["server", "stop"], env);
    expect(stop.stdout).toContain(`stopped the Tower server of ${rig.root} (pid ${server})`);
    expect(isAlive(server)).toBe(false);
    // Stopped, the record names no server: a tower server of the other folder serves now.
    const next = await startServerIn(rig.root, other);
    expect(servers(other)).toEqual([next]);
    // Each terminal's tower ls lists it: the one of its own folder and the first one's.
    for (const runtime of [other, rig.runtime]) {
      const listed = await tower(os.tmpdir(), ["ls"], { XDG_RUNTIME_DIR: runtime });
      expect(listed.stdout).toMatch(new RegExp(`${rig.root}\\s+${next}\\s`));
      expect(listed.stdout).not.toContain(String(server));
    }
  });
});

/** Starts `tower server` with this runtime folder; resolves with its pid once it answers. */
async function startServerIn(root: string, runtime: string): Promise<number> {
  const { roomDir } = await import("../../src/room/runtime-dir.js");
  const dir = await roomDir(root, cleanEnv({ XDG_RUNTIME_DIR: runtime }));
  const child = execFile(process.execPath, [CLI, "server"], {
    cwd: root,
    env: cleanEnv({ XDG_RUNTIME_DIR: runtime }),
  });
  return waitFor(
    async () => {
      const info = await readInfo(dir);
      return info?.pid === child.pid && (await socketAnswers(path.join(dir, ROOM_SOCKET)))
        ? child.pid
        : undefined;
    },
    15_000,
    "the other folder's server to answer",
  );
}

describe("a control room that hosts the agents itself (tower --in-process)", () => {
  it("does not open beside the repository's server, and no server starts beside it", async () => {
    const { rig, server } = await detachedRoom();
    const env = { XDG_RUNTIME_DIR: rig.runtime };
    const beside = await tower(rig.root, ["--in-process"], env);
    expect(beside.code).toBe(1);
    expect(beside.stderr.trim()).toBe(
      `tower: a Tower server (pid ${server}) runs the agents of ${rig.root}: open its room with tower (or tower attach), or stop it first (tower server stop) to host them in this process`,
    );
    expect((await tower(rig.root, ["server", "stop"], env)).code).toBe(0);
    const here = open(rig, "--in-process");
    await here.waitForText("ready A1", 20_000);
    const second = await serverRun(rig.root, env);
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toMatch(
      new RegExp(
        `^tower: a Tower control room \\(pid \\d+\\) hosts the agents of ${rig.root} in its own process \\(tower --in-process\\): quit it first$`,
      ),
    );
    expect(servers(rig)).toEqual([]);
    // The control room leaves (its terminal closed) before the repository goes: it stops A1 and
    // writes that in the state folder as it does.
    const host = readClaim(rig.root)?.pid;
    here.kill();
    if (host !== undefined) {
      await waitFor(() => (isAlive(host) ? undefined : true), 15_000, "the control room to leave");
    }
  });
});
