/**
 * Finding and starting the repository's server from a client: its private folder, whether a
 * server answers there, and starting one in the background (detached from the terminal, its
 * output in `server.log` beside the socket) when none does.
 */
import { closeSync, openSync, realpathSync } from "node:fs";
import path from "node:path";
import { selfCommand } from "../agents/self.js";
import { withBundleSetAside } from "../cli/certificate-bundle.js";
import { childProcess } from "../engine/child-process.js";
import { TargetError } from "../engine/errors.js";
import {
  type ClientInfo,
  type Connection,
  connectThroughCommand,
  connectToRoom,
  HandshakeError,
  roomSocketPath,
  socketAnswers,
} from "../room/protocol/index.js";
import { roomDir, roomDirPath } from "../room/runtime-dir.js";
import { claimedRoomDir, claimedServer, readClaim } from "./claim.js";
import { isAlive, LOG_FILE, liveServer, type ServerInfo } from "./info.js";

/** Whether the server of the room folder `dir` answers on its socket. */
export async function serverAnswers(dir: string): Promise<boolean> {
  return (await answeringServer(dir)) !== undefined;
}

/** The server of the room folder `dir`, if it runs and answers on its socket. */
async function answeringServer(dir: string): Promise<ServerInfo | undefined> {
  const info = await liveServer(dir);
  return info && (await socketAnswers(roomSocketPath(dir))) ? info : undefined;
}

/** Where the repository's server is: its room folder, and the server when one answers there. */
export interface FoundServer {
  dir: string;
  server?: ServerInfo;
}

/**
 * The repository's server and its room folder: this process's own folder (roomDir) when a
 * server answers there or none runs anywhere; the one the repository's claim names (claim.ts)
 * when its server runs from another runtime folder.
 */
export async function findServer(repoRoot: string): Promise<FoundServer> {
  // A runtime folder that cannot be made (XDG_RUNTIME_DIR names a missing folder) has no server;
  // one that is not safe to use is said so.
  const own = await roomDir(repoRoot).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return roomDirPath(repoRoot);
    throw error;
  });
  const server = await answeringServer(own);
  if (server) return { dir: own, server };
  // The claim's folder: its server.json is read there once, then the socket probed.
  const claimed = await claimedServer(repoRoot, own);
  return claimed && (await socketAnswers(roomSocketPath(claimed.dir)))
    ? { dir: claimed.dir, server: claimed.info }
    : { dir: own };
}

const START_WAIT_MS = 30_000;

/**
 * Node's options for a server started in the background:
 * - V8's young generation at most 4 MB a half instead of 16. Measured with eight flooding
 *   agents: the server's resident set 160 MB instead of 195-200, CPU per MB the same (55-58 ms,
 *   mixed output). At 1 MB it cost a quarter more CPU (more of the emulators' short-lived
 *   objects survive into the old generation).
 * - The old generation grown by a quarter over what the last full collection kept, instead of
 *   V8's factor of up to 4 for a heap it collects quickly (a server's heap is mostly the
 *   emulators' scrollback, which lives as long as the agents): the heap climbed in a sawtooth
 *   over minutes of output. Measured with the flooding agents for three minutes after the
 *   flood: the server's median 134 MB instead of 180, its peak 137 instead of 226; CPU per MB
 *   2-4% more in back-to-back throughput runs (1.08x and 1.02x tmux's throughput, mixed and
 *   plain long lines).
 */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=4", "--heap-growing-percent=25"];

/**
 * Starts `tower server` for `repoRoot` in the background and resolves, with its room folder,
 * when the repository's server answers: the one started here, or another started at the same
 * moment (a second `tower`, `tower attach --start`, `tower attach --ssh`) that won the race, in
 * this folder or, by the claim, in another one. The error quotes the end of the log if the one
 * started here stops and no other is on its way.
 */
export async function startServer(
  repoRoot: string,
  options: { resume?: boolean } = {},
): Promise<string> {
  const dir = await roomDir(repoRoot);
  const log = path.join(dir, LOG_FILE);
  const out = openSync(log, "a", 0o600);
  const [node, ...tower] = selfCommand();
  const args = [
    ...SERVER_NODE_FLAGS,
    ...tower,
    "server",
    ...(options.resume === false ? ["--no-resume"] : []),
  ];
  const child = childProcess().spawn(node ?? process.execPath, args, {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", out, out],
    env: withBundleSetAside(process.env),
  });
  closeSync(out);
  child.unref();
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = signal ? `stopped by ${signal}` : `exited with code ${code}`;
  });
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline) {
    const found = await runningServer(repoRoot, dir);
    if (found) return found;
    // The one started here stopped: most often because another server of the repository took
    // the socket or the claim first, and answers once its room is open (after its agents are
    // started, seconds on a loaded machine). That one is waited for while it is on its way.
    if (exited && !(await anotherStarting(repoRoot, dir, child.pid))) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { readFile } = await import("node:fs/promises");
  const tail = (await readFile(log, "utf8").catch(() => "")).trim().split("\n").slice(-5);
  throw new Error(
    `the Tower server did not start (${exited ?? "no answer within 30 s"}); its log ${log} ends:\n${tail.join("\n")}`,
  );
}

/**
 * The room folder of the repository's server once it is up and answers (server.json written,
 * the socket answering): this process's folder `dir`, or the folder the claim names.
 */
async function runningServer(repoRoot: string, dir: string): Promise<string | undefined> {
  if (await serverAnswers(dir)) return dir;
  const claimed = await claimedServer(repoRoot, dir);
  return claimed && (await socketAnswers(roomSocketPath(claimed.dir))) ? claimed.dir : undefined;
}

/**
 * Whether another server of the repository is on its way up: the room folder's socket answers
 * (a server listens there, its room still opening), or a live process other than `started`
 * holds the repository's claim as a server (take-claim.ts writes the record once it holds it).
 */
async function anotherStarting(
  repoRoot: string,
  dir: string,
  started: number | undefined,
): Promise<boolean> {
  if (await socketAnswers(roomSocketPath(dir))) return true;
  const claim = readClaim(repoRoot);
  return claim?.host === "server" && claim.pid !== started && isAlive(claim.pid);
}

/**
 * How long a local server may take to welcome a client. It answers a hello at once, before its
 * room is ready, so one that has not within this is stopped or hung.
 */
const WELCOME_MS = 10_000;

/** A server that takes connections and never answers them (stopped with SIGSTOP, or hung). */
export class UnansweringServerError extends TargetError {
  override name = "UnansweringServerError";
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** `text` as one word of a shell command: quoted only when it has to be. */
const shellWord = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : shellQuote(text));

/**
 * The commands that open the room of `repoRoot` again and start a new server for it, as typed
 * in the client's folder `cwd`: the short ones inside the repository, the repository named
 * from anywhere else (where `tower attach` alone opens the only room running, or another one).
 */
export function wayBack(repoRoot: string, cwd: string): { reopen: string; restart: string } {
  const inside = (() => {
    try {
      const relative = path.relative(realpathSync(repoRoot), realpathSync(cwd));
      return !relative.startsWith("..") && !path.isAbsolute(relative);
    } catch {
      return false;
    }
  })();
  if (inside) return { reopen: "tower attach", restart: "tower" };
  return {
    reopen: `tower attach ${shellWord(repoRoot)}`,
    restart: `tower attach --start ${shellWord(repoRoot)}`,
  };
}

/** Connects to the room in `dir`; a server that does not answer in time is said as such. */
async function connectAnswered(
  dir: string,
  repoRoot: string,
  client: ClientInfo,
): Promise<Connection> {
  try {
    const connection = await connectToRoom(dir, client, {}, { timeoutMs: WELCOME_MS });
    const { pid } = connection.welcome.server;
    const { reopen, restart } = wayBack(repoRoot, process.cwd());
    return { ...connection, whenLost: () => lostServer(pid, dir, restart), reopen };
  } catch (error) {
    if (!(error instanceof HandshakeError && error.timedOut)) throw error;
    const pid = (await liveServer(dir))?.pid;
    const it = pid === undefined ? "" : ` (pid ${pid})`;
    const what =
      pid === undefined
        ? "it is stopped or hung"
        : `it is stopped or hung (kill -CONT ${pid} wakes a stopped one; kill -9 ${pid} ends it, and the next tower starts its agents again)`;
    throw new UnansweringServerError(
      `the Tower server of ${repoRoot}${it} accepts connections but does not answer: ${what}`,
    );
  }
}

/**
 * What a control room says when its local server went without a word: the socket closed with
 * no bye, which a server that stops always sends (kill -9, an OOM kill, a crash in native code).
 * Like tmux's "[lost server]", with what the user can do: the agents' terminals were the
 * server's, and a new server resumes their recorded conversations.
 */
export function lostServer(pid: number, dir: string, restart = "tower"): string {
  return `the Tower server (pid ${pid}) went away without a word: killed, or it crashed (its log: ${path.join(dir, LOG_FILE)}). The agents' terminals went with it; their worktrees and commits stay. \`${restart}\` starts a new server, which restarts the agents and resumes their conversations`;
}

/** Connects to the repository's server, starting it first when `start` and none runs. */
export async function connectLocal(
  repoRoot: string,
  client: ClientInfo,
  options: { start?: boolean; resume?: boolean } = {},
): Promise<Connection & { started: boolean }> {
  const dir = await roomDir(repoRoot);
  // A server that answers: straight to it, one connection (no probe first). One that takes the
  // connection and never answers is not waited for twice.
  const direct = await connectAnswered(dir, repoRoot, client).catch((error: unknown) => {
    if (error instanceof UnansweringServerError) throw error;
    return undefined;
  });
  if (direct) return { ...direct, started: false };
  // None here: the repository's server may run from another runtime folder.
  const claimed = await claimedRoomDir(repoRoot, dir);
  if (claimed) return { ...(await connectAnswered(claimed, repoRoot, client)), started: false };
  let started = false;
  if (!(await serverAnswers(dir))) {
    if (!options.start) {
      throw new Error(
        `no Tower server runs for ${repoRoot}: run \`tower\` (which starts one) or \`tower server\``,
      );
    }
    // The server that answers may be another one, started at the same moment, in the folder
    // the claim names.
    const serving = await startServer(repoRoot, options);
    started = true;
    return { ...(await connectAnswered(serving, repoRoot, client)), started };
  }
  return { ...(await connectAnswered(dir, repoRoot, client)), started };
}

export interface SshTarget {
  host: string;
  path: string | undefined;
}

/** `user@host[:path]` */
export function parseSshTarget(text: string): SshTarget {
  const match = /^([^:\s]+)(?::(.*))?$/.exec(text);
  if (!match?.[1]) {
    throw new Error(`--ssh ${JSON.stringify(text)}: expected user@host or user@host:path`);
  }
  return { host: match[1], path: match[2] || undefined };
}

/**
 * Connects through `ssh host 'cd path && tower server --stdio'`. The remote command is `tower`
 * unless `TOWER_REMOTE_COMMAND` names another (a full path, say); `TOWER_SSH` replaces `ssh`
 * and `sshArgs` adds options (a test's own known-hosts file and key).
 */
export async function connectSsh(
  target: SshTarget,
  client: ClientInfo,
  options: { remoteCommand?: string; ssh?: string; sshArgs?: string[] } = {},
): Promise<Connection> {
  const tower = options.remoteCommand ?? process.env.TOWER_REMOTE_COMMAND ?? "tower";
  const remote = `${target.path ? `cd ${shellQuote(target.path)} && ` : ""}${tower} server --stdio`;
  const ssh = options.ssh ?? process.env.TOWER_SSH ?? "ssh";
  // -T: no terminal on the far side (the protocol is binary); BatchMode: never prompt on it.
  const connection = await connectThroughCommand(
    ssh,
    [...(options.sshArgs ?? []), "-T", "-o", "BatchMode=yes", target.host, remote],
    client,
  );
  return { ...connection, whenLost: (said) => lostLink(target, said), reopen: reopenSsh(target) };
}

/** The command that opens the room of `target` again. */
function reopenSsh(target: SshTarget): string {
  return `tower attach --ssh ${shellWord(`${target.host}${target.path ? `:${target.path}` : ""}`)}`;
}

/**
 * What a control room says when its SSH link ended without the server's bye: the link dropped
 * (ssh killed, the network gone), or the far side's server went. The agents run there, and go
 * on unless that server went.
 */
export function lostLink(target: SshTarget, said: string): string {
  return `the link to the room on ${target.host} ended (${said}): its agents go on there unless its server stopped; \`${reopenSsh(target)}\` opens it again`;
}
