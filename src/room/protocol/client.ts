/**
 * The client's side assembled: connect (to the local socket, or through a command such as
 * `ssh host tower server --stdio`), say hello, and hand back a welcomed transport.
 */
import { clientHandshake } from "./handshake.js";
import type { ClientInfo, WelcomeMessage } from "./messages.js";
import { type StdioClientOptions, spawnStdioTransport } from "./stdio.js";
import { readToken } from "./token.js";
import type { Transport, TransportLimits } from "./transport.js";
import { connectUnixSocket, roomSocketPath } from "./unix-socket.js";

export interface Connection {
  transport: Transport;
  welcome: WelcomeMessage;
  /**
   * Why the connection ended when the server went without a word (the transport is `lost`,
   * and `said` is how the transport saw it end), where the client can say more: a local
   * server's pid and its log, the host at the other end of an SSH link.
   */
  whenLost?: (said: string) => string;
  /** The command that opens this room again, said on leaving (default `tower attach`). */
  reopen?: string;
}

/** Attaches to the server whose private folder is `dir` (runtime-dir.ts roomDir). */
export async function connectToRoom(
  dir: string,
  client: ClientInfo,
  limits: TransportLimits = {},
  options: { timeoutMs?: number } = {},
): Promise<Connection> {
  const token = await readToken(dir);
  const transport = await connectUnixSocket(roomSocketPath(dir), limits);
  const welcome = await clientHandshake(transport, { token, client, ...options });
  return { transport, welcome };
}

/** Attaches through a command that runs `tower server --stdio` (ssh, for one). */
export async function connectThroughCommand(
  command: string,
  args: string[],
  client: ClientInfo,
  options: StdioClientOptions = {},
): Promise<Connection> {
  const transport = spawnStdioTransport(command, args, options);
  const welcome = await clientHandshake(transport, { token: "", client });
  return { transport, welcome };
}
