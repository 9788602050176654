/**
 * `tower server`: one room per repository, hosted outside any terminal, so the agents outlive
 * every control room. Clients reach it on `room.sock` in the repository's private folder
 * (runtime-dir.ts); each welcomed client gets the room's state (feed.ts), its events, and
 * answers to its commands. A client leaving, in good order or not, is a detach: the agents go
 * on. The `shutdown` command (`tower server stop`, `q` then stop) or SIGTERM/SIGINT stops the
 * agents gracefully, then the server. A hang-up is ignored: a server has no terminal to lose.
 * Its files in the folder are put back if something removes them (keep-folder.ts), and a second
 * server for the same repository stops before it listens (refuseBesideAnother).
 */

import { readFileSync } from "node:fs";
import { VERSION } from "../cli/version.js";
import { TargetError } from "../engine/errors.js";
import type { Project } from "../engine/project.js";
import { findAgentProcess, runningTower } from "../pty/index.js";
import { commandProblem } from "../room/command-check.js";
import type { RoomCommand, RoomEvent, RoomReply } from "../room/commands.js";
import { HOOK_SOCKET } from "../room/hook-endpoint.js";
import {
  answerCommands,
  type HelloMessage,
  type RoomServer,
  serveUnixSocket,
  type Transport,
} from "../room/protocol/index.js";
import { Room } from "../room/room.js";
import { roomDir } from "../room/runtime-dir.js";
import { createRoomStore, type RoomStore } from "../room/state.js";
import { claimedBy } from "./claim.js";
import { serverAnswers } from "./connect.js";
import { ClientFeed } from "./feed.js";
import {
  INFO_FILE,
  isAlive,
  liveServer,
  readInfo,
  removeInfo,
  type ServerInfo,
  STOP_CLIENT,
  serverLog,
  writeInfo,
} from "./info.js";
import { type KeptFolder, keepFolder, POLL_MS } from "./keep-folder.js";
import { registerRoom, unregisterRoom } from "./registry.js";
import { underRoomLock } from "./room-lock.js";
import { type ClaimResult, claimOrWait, takeClaim } from "./take-claim.js";

export interface HostOptions {
  /** Resume the agents' previous conversations (default true). */
  resume?: boolean;
  /** Lines for the server's log (default: stderr). */
  log?: (line: string) => void;
}

export interface HostedRoom {
  room: Room;
  store: RoomStore;
  dir: string;
  socketPath: string;
  /** Resolves when the server has stopped (shutdown, a signal, or `stop()`). */
  stopped: Promise<void>;
  /** Stops the agents (gracefully), says bye to the clients, removes the socket and info. */
  stop(reason?: string): Promise<void>;
}

const GREETING_MS = 60_000;

interface Client {
  transport: Transport;
  hello: HelloMessage;
  feed: ClientFeed;
  /** The client's last layout (its screen, zoom and selection). */
  layout?: RoomCommand & { type: "layout" };
  /** The client's pane commands run so far, one after another (see IN_ORDER). */
  inOrder: Promise<unknown>;
}

/**
 * What a client does to the panes (its keys, pastes, approvals, its layout), run one after
 * another in the order it sent them: the commands of a connection otherwise run side by side (a
 * slow merge does not hold up a lock list), and a key whose turn took one more step (putting
 * the typing client's layout back first) let the keys read with it reach the agent before it.
 */
const IN_ORDER: ReadonlySet<string> = new Set([
  "layout",
  "input",
  "paste",
  "approve",
  "deny",
  "scroll",
  "copy",
]);

/** The agents that agents.json says were running: a new server restarts (resumes) them. */
async function previouslyRunning(project: Project): Promise<string[]> {
  try {
    const file = await project.store.read("agents");
    return Object.entries(file.agents)
      .filter(([, entry]) => entry.status !== "exited")
      .map(([id]) => id);
  } catch {
    return [];
  }
}

export async function hostRoom(project: Project, options: HostOptions = {}): Promise<HostedRoom> {
  const dir = await roomDir(project.repo.mainRoot);
  const log = options.log ?? serverLog(dir);
  const store = createRoomStore();
  const clients = new Set<Client>();
  let room: Room | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let stopping: Promise<void> | undefined;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  let greeting: { text: string; until: number } | undefined;
  const started = new Date().toISOString();
  let infoTimer: NodeJS.Timeout | undefined;
  const info = (): ServerInfo => {
    const agents = Object.values(store.getState().agents);
    return {
      pid: process.pid,
      repo: project.repo.mainRoot,
      project: project.plan.project,
      socket: server.socketPath,
      started,
      agents: {
        running: agents.filter((a) => a.status !== "exited").length,
        total: agents.length,
      },
      clients: clients.size,
      version: VERSION,
    };
  };
  const saveInfo = () => {
    if (stopping || infoTimer) return;
    infoTimer = setTimeout(() => {
      infoTimer = undefined;
      if (!stopping) void writeInfo(dir, info()).catch(() => {});
    }, 100);
  };

  /**
   * Pane sizes follow the client that was active last (tmux's window-size latest): each
   * client's last layout is kept, and a client that types or pastes while another's layout is
   * in force has its own put back first.
   */
  let layoutOwner: Client | undefined;
  const follow = async (client: Client, c: RoomCommand) => {
    if (c.type === "layout") {
      client.layout = c;
      layoutOwner = client;
    } else if ((c.type === "input" || c.type === "paste") && layoutOwner !== client) {
      if (client.layout && room) {
        layoutOwner = client;
        await room.run(client.layout);
      }
    }
  };

  const handle = async (client: Client, command: unknown): Promise<RoomReply> => {
    const problem = commandProblem(command);
    if (problem !== undefined) return { ok: false, error: problem };
    const c = command as RoomCommand;
    if (c.type === "shutdown") {
      // Answered once the agents are stopped; the server says bye and leaves right after.
      await room?.close();
      const by = client.hello.client.name;
      const reason =
        by === STOP_CLIENT
          ? `the server was stopped (${STOP_CLIENT})`
          : `the server was stopped from another control room (${by}: q, then s)`;
      setImmediate(() => void stop(reason));
      return { ok: true, text: "stopped every agent and the server" };
    }
    const run = async (): Promise<RoomReply> => {
      await ready;
      if (!room) return { ok: false, error: "the room is not open" };
      await follow(client, c);
      return room.run(c);
    };
    if (!IN_ORDER.has(c.type)) return run();
    const turn = client.inOrder.then(run);
    client.inOrder = turn.catch(() => {});
    return turn;
  };

  const admit = (transport: Transport, hello: HelloMessage) => {
    void ready.then(() => {
      if (stopping || transport.closed) return transport.close("the server is stopping");
      const client: Client = {
        transport,
        hello,
        feed: new ClientFeed(transport, store),
        inOrder: Promise.resolve(),
      };
      clients.add(client);
      log(`client attached: ${hello.client.name} (${hello.client.cols}x${hello.client.rows})`);
      saveInfo();
      // A new server says which agents it restarted to those who attach in its first minute.
      if (greeting && Date.now() < greeting.until) {
        transport.send({ type: "event", event: { type: "message", text: greeting.text } });
      }
      answerCommands(transport, (command) => handle(client, command));
      transport.on("close", (reason) => {
        clients.delete(client);
        if (layoutOwner === client) {
          // The panes go back to the size of a client still here.
          layoutOwner = [...clients].reverse().find((c) => c.layout);
          if (layoutOwner?.layout) void room?.run(layoutOwner.layout);
        }
        log(`client detached: ${hello.client.name}: ${reason}`);
        saveInfo();
      });
    });
  };

  // A server already running for the repository from another runtime folder holds its claim
  // (claim.ts): this one stops here. One in the same folder whose socket is gone puts it back at
  // once (keep-folder.ts): it serves, and this one stops there, before it listens.
  let claim = await claimRepository(project, dir);
  let claiming: NodeJS.Timeout | undefined;
  /** The claim given up (and no longer sought), for a server that does not start after all. */
  const letGo = () => {
    clearInterval(claiming);
    if (claim.held) claim.release();
  };
  /**
   * Clients welcomed before the room is open: they wait (admit) for it, and are told why the
   * server did not start if it does not open.
   */
  const early = new Set<Transport>();
  let opened = false;
  let startFailed: string | undefined;
  let server: RoomServer;
  try {
    await refuseBesideAnother(project, dir);
    // Beside a hung server of this folder (refuseBesideAnother lets this one serve), the claim
    // is taken once that one ends.
    claiming = claim.held
      ? undefined
      : setInterval(() => {
          claim = takeClaim(project.repo.mainRoot, dir);
          if (claim.held) clearInterval(claiming);
        }, CLAIM_RETRY_MS);
    claiming?.unref();
    // The socket first: a second server for the same repository stops here, before any agent.
    server = await serveUnixSocket(dir, {
      onClient: (transport, hello) => {
        if (startFailed !== undefined) return farewell(transport, startFailed);
        if (!opened) {
          early.add(transport);
          transport.on("close", () => early.delete(transport));
        }
        admit(transport, hello);
      },
      // A connection that closes before its hello is a probe (is a server there?), not a refusal.
      onRefused: (reason) => {
        if (!reason.startsWith("closed before the hello")) log(`refused a client: ${reason}`);
      },
      // A stale socket (its server killed with -9) is replaced by one server at a time.
      exclusive: underRoomLock(dir),
      onError: (error) => log(`the room's socket: ${error.message} (it goes on)`),
      // The plan's `ui:` too, as it is when the client comes (the plan may have been read again):
      // `tower attach` draws with the plan's keys without reading the plan.
      welcome: {
        server: { version: VERSION, repo: project.repo.mainRoot },
        get ui() {
          return { keys: project.plan.uiKeys, mouse: project.plan.uiMouse };
        },
      },
    });
  } catch (error) {
    letGo();
    throw error;
  }

  let kept: KeptFolder | undefined;
  const stop = (reason = "the server stopped"): Promise<void> => {
    stopping ??= (async () => {
      if (infoTimer) clearTimeout(infoTimer);
      kept?.close();
      log(`stopping: ${reason}`);
      // No new client from here; the socket's close completes once the clients are gone.
      const closing = server.close().catch(() => {});
      await room?.close();
      for (const client of clients) {
        client.feed.stop();
        if (!client.transport.closed) {
          client.transport.send({ type: "bye", reason });
          client.transport.close(reason);
        }
      }
      // A client that does not leave (still in its hello, or not reading) does not hold it up.
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 6_000).unref())]);
      await removeInfo(dir);
      await unregisterRoom(dir).catch(() => {});
      letGo();
      resolveStopped();
    })();
    return stopping;
  };

  try {
    const earlier = await previouslyRunning(project);
    room = await Room.open(project, store, { resume: options.resume ?? true });
    room.on((event: RoomEvent) => {
      for (const client of clients) {
        if (client.transport.closed) continue;
        try {
          client.transport.send({ type: "event", event });
        } catch (error) {
          // Too big for a frame (a validation's line of megabytes): that event is not shown.
          log(
            `an event (${event.type}) was not sent to ${client.hello.client.name}: ${(error as Error).message}`,
          );
        }
      }
    });
    store.subscribe((s, prev) => {
      if (s.agents !== prev.agents) saveInfo();
    });
    const restarted = earlier.filter((id) => store.getState().agents[id] !== undefined);
    if (restarted.length > 0) {
      const text = restartedNote(restarted, options.resume ?? true);
      log(text);
      greeting = { text, until: Date.now() + GREETING_MS };
    }
    await writeInfo(dir, info());
    // Listed by `tower ls` from any runtime folder; a server unlisted still serves.
    await registerRoom(dir).catch((error: unknown) =>
      log(
        `tower ls of other runtime folders will not list this server: ${(error as Error).message}`,
      ),
    );
  } catch (error) {
    // Listening, and maybe with agents started: all of it stops (the agents, the socket, the
    // claim) before the error goes on, and the clients let in meanwhile are told why. Left as
    // it was, the process stayed with its socket answering hellos and its claim held: every
    // `tower` waited for a room that never came, and no other server could start.
    startFailed = `the server could not start: ${(error as Error).message}`;
    for (const transport of early) farewell(transport, startFailed);
    const stopped = stop(startFailed);
    // Clients still in admit's wait see the server stopping and are closed.
    markReady();
    await stopped;
    throw error;
  }
  let keepFailed = false;
  const keepInPlace = async () => {
    if (stopping) return;
    try {
      // The folder itself first, made private again if it went.
      await roomDir(project.repo.mainRoot);
      const put = await server.ensure();
      if (await room?.keepHookSocket()) put.push(HOOK_SOCKET);
      if ((await readInfo(dir)) === undefined && !stopping) {
        await writeInfo(dir, info());
        put.push(INFO_FILE);
      }
      if (put.length > 0) log(`put back ${put.join(", ")} in ${dir} (removed from outside)`);
      keepFailed = false;
    } catch (error) {
      if (!keepFailed) log(`cannot keep the server's files in ${dir}: ${(error as Error).message}`);
      keepFailed = true;
    }
  };
  kept = keepFolder(dir, keepInPlace);
  opened = true;
  early.clear();
  markReady();
  log(`Tower server for ${project.repo.mainRoot} on ${server.socketPath} (pid ${process.pid})`);
  return { room, store, dir, socketPath: server.socketPath, stopped, stop };
}

/** Says bye to a client with `reason`, and closes its connection. */
function farewell(transport: Transport, reason: string): void {
  if (transport.closed) return;
  transport.send({ type: "bye", reason });
  transport.close(reason);
}

const CLAIM_RETRY_MS = 2_000;

/**
 * Takes the repository's claim (claim.ts); stops this server when another process holds it
 * from another room folder, or hosts the agents itself. A server of this same folder holding
 * it: refuseBesideAnother decides.
 */
async function claimRepository(project: Project, dir: string): Promise<ClaimResult> {
  const claim = await claimOrWait(project.repo.mainRoot, dir, "server");
  if (claim.held || (claim.other?.dir === dir && claim.other.host === "server")) return claim;
  throw new TargetError(claimedBy(claim.other, project.repo.mainRoot));
}

/** Whether `pid` runs `tower server` (its command line has the word). */
function isTowerServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("server");
  } catch {
    return false;
  }
}

/**
 * Another server of this repository's room: the one its folder's info names, or the Tower whose
 * agents agents.json records as running (found even when the whole folder was removed).
 */
async function otherServer(project: Project, dir: string): Promise<number | undefined> {
  const info = await liveServer(dir);
  if (info && info.pid !== process.pid && isTowerServer(info.pid)) return info.pid;
  const agents = await project.store
    .read("agents")
    .then((file) => file.agents)
    .catch(() => ({}));
  for (const [id, record] of Object.entries(agents)) {
    if (typeof record.pid !== "number") continue;
    const agent = findAgentProcess(record.pid, id, project.repo.mainRoot);
    const tower = agent && runningTower(agent);
    if (tower !== undefined && tower !== process.pid && isTowerServer(tower)) return tower;
  }
  return undefined;
}

/**
 * Stops a new server before it listens when another one runs for the repository: that one puts
 * its socket back if it went (at once, or within POLL_MS), and answers; a second server beside it
 * would show none of its agents, and take its hook socket. One that does not answer in time
 * (hung) is replaced.
 */
async function refuseBesideAnother(project: Project, dir: string): Promise<void> {
  const other = await otherServer(project, dir);
  if (other === undefined) return;
  const deadline = Date.now() + 3 * POLL_MS + 500;
  while (Date.now() < deadline && isAlive(other)) {
    if (await serverAnswers(dir)) {
      throw new TargetError(
        `another Tower server (pid ${other}) already serves ${project.repo.mainRoot}: attach to it (tower attach), or stop it first (tower server stop)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What a new server says of the agents it started again after the one before it stopped. */
export function restartedNote(agents: readonly string[], resume: boolean): string {
  const one = agents.length === 1;
  const how = resume
    ? one
      ? "its conversation resumes where the agent can"
      : "their conversations resume where each agent can"
    : one
      ? "it starts afresh (--no-resume)"
      : "they start afresh (--no-resume)";
  return `restarted ${agents.join(", ")}: the server before this one stopped; ${how}`;
}
