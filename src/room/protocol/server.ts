/**
 * The server's side assembled: a unix socket in the room's private folder with a fresh token,
 * or stdio under `tower server --stdio`; each connection's hello is checked before the room
 * sees it, and `onClient` gets only clients that were welcomed.
 */
import { promises as fsp } from "node:fs";
import { type ServerHandshakeResult, serverHandshake } from "./handshake.js";
import type { HelloMessage } from "./messages.js";
import { stdioServerTransport } from "./stdio.js";
import { createToken, TOKEN_FILE, tokenPath } from "./token.js";
import type { Transport, TransportLimits } from "./transport.js";
import {
  type ListenOptions,
  listenUnixSocket,
  ROOM_SOCKET,
  roomSocketPath,
} from "./unix-socket.js";

export interface ServeOptions extends TransportLimits {
  /** A welcomed client: its transport (the hello already read) and what it said. */
  onClient(transport: Transport, hello: HelloMessage): void;
  /** A connection that was refused or left before its hello (for the server's log). */
  onRefused?(reason: string): void;
  /** Fields added to each welcome. */
  welcome?: Record<string, unknown>;
  /** How long a new connection may stay silent (default 10 s). */
  helloTimeoutMs?: number;
  /** One process at a time binds or replaces the socket (see ListenOptions). */
  exclusive?: ListenOptions["exclusive"];
  /** What goes wrong on the socket once it listens (see ListenOptions). */
  onError?(error: Error): void;
}

export interface RoomServer {
  socketPath: string;
  /**
   * Puts back the token and the socket if they are gone from the folder (which must be there),
   * the same token, so clients that read it still get in; returns the names put back.
   */
  ensure(): Promise<string[]>;
  /** Stops taking clients and removes the socket and the token; clients stay until closed. */
  close(): Promise<void>;
}

function admit(
  transport: Transport,
  token: string | null,
  options: ServeOptions,
): Promise<ServerHandshakeResult> {
  return serverHandshake(transport, {
    token,
    welcome: options.welcome,
    timeoutMs: options.helloTimeoutMs,
  }).then((result) => {
    if (result.ok) options.onClient(transport, result.hello);
    else options.onRefused?.(result.reason);
    return result;
  });
}

/**
 * Serves on `<dir>/room.sock`, `dir` being the room's private folder (runtime-dir.ts roomDir).
 * The token is made after the socket is ours, so a server that finds another one answering
 * leaves that one's token alone. A token that cannot be made closes the socket again (and the
 * connections that came meanwhile) before the error is thrown: nothing is left listening.
 */
export async function serveUnixSocket(dir: string, options: ServeOptions): Promise<RoomServer> {
  let token: string | null = null;
  let closed = false;
  const pending: Transport[] = [];
  const socket = await listenUnixSocket(roomSocketPath(dir), {
    ...options,
    onConnection: (transport) => {
      if (closed) transport.close("the server is not serving");
      else if (token === null) pending.push(transport);
      else void admit(transport, token, options);
    },
  });
  try {
    token = await createToken(dir);
  } catch (error) {
    closed = true;
    for (const transport of pending.splice(0)) transport.close("the server could not start");
    await socket.close();
    throw error;
  }
  for (const transport of pending.splice(0)) void admit(transport, token, options);
  return {
    socketPath: socket.path,
    ensure: async () => {
      const put: string[] = [];
      if (closed) return put;
      // The token first: a client that finds the socket reads the token next.
      if (token !== null && !(await fsp.lstat(tokenPath(dir)).catch(() => undefined))) {
        await createToken(dir, token);
        put.push(TOKEN_FILE);
      }
      if (await socket.ensure()) put.push(ROOM_SOCKET);
      return put;
    },
    close: async () => {
      closed = true;
      await fsp.unlink(tokenPath(dir)).catch(() => {});
      await socket.close();
    },
  };
}

/**
 * Serves one client on this process's stdin and stdout (`tower server --stdio`, run by SSH as
 * the user who logged in, so no token is asked). Resolves with the transport once welcomed.
 */
export async function serveStdio(
  options: Omit<ServeOptions, "onClient"> & {
    onClient?: ServeOptions["onClient"];
  } = {},
): Promise<ServerHandshakeResult & { transport: Transport }> {
  const transport = stdioServerTransport({}, options);
  const result = await admit(transport, null, {
    ...options,
    onClient: options.onClient ?? (() => {}),
  });
  return { ...result, transport };
}
