/**
 * The room's socket: `room.sock` in the room's private folder (runtime-dir.ts). Only the owner
 * can reach a socket in a folder of mode 0700, and the hello's token (token.ts) proves it again,
 * since Node cannot ask a unix socket for its peer's uid.
 */
import { promises as fsp } from "node:fs";
import net from "node:net";
import path from "node:path";
import { TargetError, UnsafePathError } from "../../engine/errors.js";
import { SocketAtPath } from "./socket-path.js";
import { StreamTransport } from "./stream-transport.js";
import type { Transport, TransportLimits } from "./transport.js";

export const ROOM_SOCKET = "room.sock";

/** The room's socket path in its private folder. */
export function roomSocketPath(dir: string): string {
  return path.join(dir, ROOM_SOCKET);
}

/** A transport on a connected socket. */
export function socketTransport(socket: net.Socket, limits: TransportLimits = {}): StreamTransport {
  const transport = new StreamTransport(
    {
      input: socket,
      output: socket,
      end: () => socket.end(),
      destroy: () => socket.destroy(),
    },
    limits,
  );
  socket.on("close", () =>
    transport.gone(
      transport.streamError
        ? `the connection failed: ${transport.streamError}`
        : "the other side closed the connection",
    ),
  );
  return transport;
}

export interface SocketServer {
  path: string;
  /** Listens again if the socket's file is gone (see SocketAtPath); says whether it did. */
  ensure(): Promise<boolean>;
  /** Stops taking connections and removes the socket; open connections stay until closed. */
  close(): Promise<void>;
}

export interface ListenOptions extends TransportLimits {
  /** Called with each new connection, before anything is read from it. */
  onConnection(transport: Transport): void;
  /**
   * Runs `critical` while no other process binds or replaces the socket (the server's flock on
   * a file in the room folder): the listening, and a stale socket's check, removal and the
   * listening after it, are done inside it. Without it, two processes that found the same stale
   * socket could both remove what was there and listen, one of them on a socket the other had
   * just bound (its clients then reach only the second).
   */
  exclusive?: <T>(critical: () => Promise<T>) => Promise<T>;
  /** What goes wrong on the socket once it listens (see SocketAtPath); it goes on. */
  onError?(error: Error): void;
}

/** Whether a live process accepts connections on the socket. */
export function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

/**
 * Listens on `socketPath` (mode 0600). A socket left by a server that died is replaced; a
 * server that still answers, or anything there that is not a socket, is an error. With
 * `exclusive`, one process at a time does it (see ListenOptions).
 */
export async function listenUnixSocket(
  socketPath: string,
  options: ListenOptions,
): Promise<SocketServer> {
  const { onConnection, exclusive = alone, onError, ...limits } = options;
  const socket = new SocketAtPath(
    socketPath,
    (connection) => onConnection(socketTransport(connection, limits)),
    onError,
  );
  try {
    await exclusive(() => listenReplacingStale(socket));
  } catch (error) {
    // Whatever listened before the error (the chmod after it failing) stops: no socket is left
    // taking connections that nothing will answer.
    await socket.close();
    throw error;
  }
  return {
    path: socketPath,
    // Put back in the same turn as a start: inside `exclusive`, when nothing is at the path.
    ensure: async () => ((await present(socketPath)) ? false : exclusive(() => socket.ensure())),
    close: () => socket.close(),
  };
}

const alone = <T>(critical: () => Promise<T>): Promise<T> => critical();

async function present(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

async function listenReplacingStale(socket: SocketAtPath): Promise<void> {
  const socketPath = socket.path;
  try {
    await socket.listen();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    const stat = await fsp.lstat(socketPath);
    if (!stat.isSocket()) {
      throw new UnsafePathError(
        `${socketPath} is not a socket: Tower will not replace it; move it away`,
      );
    }
    if (await socketAnswers(socketPath)) {
      throw new TargetError(
        `another Tower server already answers on ${socketPath}: attach to it, or stop it first`,
      );
    }
    await fsp.unlink(socketPath);
    await socket.listen();
  }
}

/** Connects to a server's socket; the error says plainly when no server runs there. */
export function connectUnixSocket(
  socketPath: string,
  limits: TransportLimits = {},
): Promise<StreamTransport> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => {
      socket.off("error", failed);
      resolve(socketTransport(socket, limits));
    });
    const failed = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "ENOENT"
          ? `no Tower server runs there (${socketPath} does not exist)`
          : error.code === "ECONNREFUSED"
            ? `no Tower server answers on ${socketPath} (it may have stopped)`
            : `cannot connect to ${socketPath}: ${error.message}`;
      reject(Object.assign(new Error(why), { code: error.code }));
    };
    socket.once("error", failed);
  });
}
