/**
 * The server's info file, `server.json` beside its socket in the room's private folder: which
 * repository, which process, since when, how many agents and clients. `tower ls` reads them all;
 * `tower` reads its repository's to know whether a server runs. Written whole to a fresh file
 * and renamed into place (only the server writes it; a reader sees one version or the other).
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  promises as fsp,
  fstatSync,
  lstatSync,
  openSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { isZombie } from "../pty/leftovers.js";
import { checkPrivate, runtimeRoot } from "../room/runtime-dir.js";
import { registeredRooms } from "./registry.js";

export const INFO_FILE = "server.json";
export const LOG_FILE = "server.log";
/** The name `tower server stop` gives itself as a client: the server says who stopped it. */
export const STOP_CLIENT = "tower server stop";

/**
 * Where a server's log lines go: its stderr, which for a server started in the background
 * (startServer) is the room folder's server.log. Should that file go (the folder cleaned from
 * outside, then put back by the server), the lines go to a new server.log there, not into the
 * removed file nobody can read.
 */
export function serverLog(dir: string): (line: string) => void {
  const file = path.join(dir, LOG_FILE);
  if (!sameFile(2, file)) return (line) => void process.stderr.write(`${line}\n`);
  let fd = 2;
  return (line) => {
    if (!sameFile(fd, file)) {
      try {
        const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
        const next = openSync(file, flags | constants.O_NOFOLLOW, 0o600);
        if (fd !== 2) closeSync(fd);
        fd = next;
      } catch {
        // No folder to write in this moment: the line goes where the last ones went.
      }
    }
    try {
      writeSync(fd, `${line}\n`);
    } catch {}
  };
}

/** Whether the descriptor `fd` is the file at `file` (not a link to it). */
function sameFile(fd: number, file: string): boolean {
  try {
    const [open, there] = [fstatSync(fd), lstatSync(file)];
    return open.dev === there.dev && open.ino === there.ino;
  } catch {
    return false;
  }
}

export interface ServerInfo {
  pid: number;
  /** The repository's main worktree root. */
  repo: string;
  project: string;
  socket: string;
  started: string;
  /** Agents not exited, and all agents the room knows. */
  agents: { running: number; total: number };
  clients: number;
  version: string;
}

export async function writeInfo(dir: string, info: ServerInfo): Promise<void> {
  const target = path.join(dir, INFO_FILE);
  const fresh = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  await fsp.writeFile(fresh, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  await fsp.rename(fresh, target).catch(async (error: unknown) => {
    await fsp.unlink(fresh).catch(() => {});
    throw error;
  });
}

export async function readInfo(dir: string): Promise<ServerInfo | undefined> {
  try {
    const value = JSON.parse(await fsp.readFile(path.join(dir, INFO_FILE), "utf8")) as ServerInfo;
    return typeof value.pid === "number" && typeof value.repo === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function removeInfo(dir: string, pid = process.pid): Promise<void> {
  const info = await readInfo(dir);
  if (info?.pid === pid) await fsp.unlink(path.join(dir, INFO_FILE)).catch(() => {});
}

/**
 * Whether process `pid` runs: it exists and has not exited. A zombie has (a server whose parent
 * is an init that reaps late, or never, as in some containers, stays one): `tower server stop`
 * waited on it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

/** The info of the server running for the room folder `dir`, or undefined (none, or it died). */
export async function liveServer(dir: string): Promise<ServerInfo | undefined> {
  const info = await readInfo(dir);
  return info && isAlive(info.pid) ? info : undefined;
}

/**
 * Every room of this user on this machine whose server is alive: those in this process's
 * runtime folder, and those the registry names in other runtime folders (registry.ts), each
 * read only where it and its runtime folder are private folders of this user.
 */
export async function listRooms(env: NodeJS.ProcessEnv = process.env): Promise<ServerInfo[]> {
  const root = runtimeRoot(env);
  const dirs: string[] = [];
  // What others could have put there is not read as this user's rooms.
  if (await checkPrivate(root)) {
    try {
      for (const name of (await fsp.readdir(root)).sort()) dirs.push(path.join(root, name));
    } catch {}
  }
  for (const dir of await registeredRooms(env)) {
    if (dirs.includes(dir)) continue;
    const safe = await Promise.all([checkPrivate(path.dirname(dir)), checkPrivate(dir)]).catch(
      () => [false],
    );
    if (safe.every(Boolean)) dirs.push(dir);
  }
  const rooms: ServerInfo[] = [];
  for (const dir of dirs) {
    const info = await liveServer(dir);
    if (info && !rooms.some((room) => room.pid === info.pid)) rooms.push(info);
  }
  return rooms;
}
