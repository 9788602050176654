/**
 * The first exchange on every connection: the client says hello (its protocol, the room's
 * token, its terminal), the server answers welcome, or refused with the reason and closes.
 * Versions are compared first, so a client of another Tower gets told so plainly, whatever else
 * its hello holds.
 */
import type { Message } from "./framing.js";
import {
  type ClientInfo,
  type HelloMessage,
  PROTOCOL_VERSION,
  quoted,
  type WelcomeMessage,
} from "./messages.js";
import { tokensMatch } from "./token.js";
import type { Transport } from "./transport.js";

const SERVER_WAITS_MS = 10_000;
const CLIENT_WAITS_MS = 30_000;

export function versionMismatch(server: number, client: unknown): string {
  return `this Tower speaks protocol ${server}, the client speaks ${String(client)}: use the same version of Tower on both sides`;
}

function clientProblem(client: unknown): string | null {
  if (typeof client !== "object" || client === null) {
    return 'the hello has no "client" ({cols, rows, name}: the client\'s terminal size and name)';
  }
  const c = client as Record<string, unknown>;
  for (const field of ["cols", "rows"] as const) {
    const value = c[field];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 10_000) {
      return `the hello's client.${field} must be a whole number from 1 to 10000 (the client's terminal ${field === "cols" ? "columns" : "rows"}), not ${quoted(value)}`;
    }
  }
  if (typeof c.name !== "string")
    return `the hello's client.name must be a string, not ${quoted(c.name)}`;
  return null;
}

/** Why the server will not take this first message, or null when it is a hello it accepts. */
export function helloProblem(message: Message, token: string | null): string | null {
  if (message.type !== "hello") {
    return `a Tower client starts with a "hello" message, not a ${quoted(message.type)}`;
  }
  const hello = message as Record<string, unknown>;
  if (typeof hello.protocol !== "number") {
    return `the hello does not say which protocol the client speaks ("protocol": ${PROTOCOL_VERSION})`;
  }
  if (hello.protocol !== PROTOCOL_VERSION) return versionMismatch(PROTOCOL_VERSION, hello.protocol);
  if (token !== null && (typeof hello.token !== "string" || !tokensMatch(hello.token, token))) {
    return "the client's token is not this Tower server's: a client must run as the server's user, on the same machine or over SSH (tower server --stdio)";
  }
  return clientProblem(hello.client);
}

export interface ServerHandshakeOptions {
  /** The room's token (token.ts); null where the channel has authenticated the user (SSH). */
  token: string | null;
  /** Fields the server adds to its welcome (protocol and server.pid are always there). */
  welcome?: Record<string, unknown>;
  /** How long a new connection may stay silent before it is refused (default 10 s). */
  timeoutMs?: number;
}

export type ServerHandshakeResult =
  | { ok: true; hello: HelloMessage }
  | { ok: false; reason: string };

/** Reads the client's hello and answers it; a refused or silent client is closed. */
export function serverHandshake(
  transport: Transport,
  options: ServerHandshakeOptions,
): Promise<ServerHandshakeResult> {
  return new Promise((resolve) => {
    const cleanup: (() => void)[] = [];
    const finish = (result: ServerHandshakeResult) => {
      for (const undo of cleanup) undo();
      resolve(result);
    };
    const refuse = (reason: string) => {
      if (!transport.closed) {
        transport.send({ type: "refused", reason });
        transport.close(`refused: ${reason}`);
      }
      finish({ ok: false, reason });
    };
    const timer = setTimeout(
      () =>
        refuse(
          `the client said nothing for ${Math.round((options.timeoutMs ?? SERVER_WAITS_MS) / 1000)} s: a Tower client starts with a hello`,
        ),
      options.timeoutMs ?? SERVER_WAITS_MS,
    );
    cleanup.push(() => clearTimeout(timer));
    cleanup.push(
      transport.on("message", (message) => {
        const problem = helloProblem(message, options.token);
        if (problem) return refuse(problem);
        const welcome: WelcomeMessage = {
          ...options.welcome,
          type: "welcome",
          protocol: PROTOCOL_VERSION,
          server: { ...(options.welcome?.server as object | undefined), pid: process.pid },
        };
        transport.send(welcome);
        finish({ ok: true, hello: message as HelloMessage });
      }),
    );
    cleanup.push(
      transport.on("close", (reason) =>
        finish({ ok: false, reason: `closed before the hello: ${reason}` }),
      ),
    );
  });
}

/** The server refused the client, or the handshake could not finish; `message` says why. */
export class HandshakeError extends Error {
  override name = "HandshakeError";
  constructor(
    message: string,
    /** The server answered refused (rather than the connection failing). */
    readonly refused: boolean,
    /** Nothing came back in time: the server is stopped or hung. */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

export interface ClientHandshakeOptions {
  /** The room's token; empty over `--stdio`, where SSH has authenticated the user. */
  token: string;
  client: ClientInfo;
  /** How long to wait for the server's answer (default 30 s: SSH may be slow to start). */
  timeoutMs?: number;
}

/** Says hello and waits for the welcome; rejects with a HandshakeError saying why not. */
export function clientHandshake(
  transport: Transport,
  options: ClientHandshakeOptions,
): Promise<WelcomeMessage> {
  return new Promise((resolve, reject) => {
    const cleanup: (() => void)[] = [];
    const fail = (reason: string, refused = false, timedOut = false) => {
      for (const undo of cleanup) undo();
      transport.close(reason);
      reject(new HandshakeError(reason, refused, timedOut));
    };
    const wait = options.timeoutMs ?? CLIENT_WAITS_MS;
    const timer = setTimeout(
      () =>
        fail(
          `the Tower server did not answer the hello within ${Math.round(wait / 1000)} s`,
          false,
          true,
        ),
      wait,
    );
    cleanup.push(() => clearTimeout(timer));
    cleanup.push(
      transport.on("message", (message) => {
        const m = message as Record<string, unknown>;
        if (message.type === "refused") {
          return fail(typeof m.reason === "string" ? m.reason : "the Tower server refused", true);
        }
        if (message.type !== "welcome") {
          return fail(
            `the Tower server answered the hello with a "${message.type}", not a welcome`,
          );
        }
        if (m.protocol !== PROTOCOL_VERSION) {
          return fail(
            `the Tower server speaks protocol ${String(m.protocol)}, this client speaks ${PROTOCOL_VERSION}: use the same version of Tower on both sides`,
          );
        }
        for (const undo of cleanup) undo();
        resolve(message as WelcomeMessage);
      }),
    );
    cleanup.push(
      transport.on("close", (reason) =>
        fail(`the connection closed before the Tower server answered: ${reason}`),
      ),
    );
    const hello: HelloMessage = {
      type: "hello",
      protocol: PROTOCOL_VERSION,
      token: options.token,
      client: options.client,
    };
    transport.send(hello);
  });
}
