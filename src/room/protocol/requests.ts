/**
 * The request-response envelope: the client sends `{type: "command", id, command}`, the server
 * answers `{type: "result", id, ok: true, value}` or `{..., ok: false, error: {message}}`.
 * Results may come in any order (a slow merge does not hold up a quick lock list), matched by id.
 */
import { ProtocolError } from "./framing.js";
import {
  type CommandMessage,
  isRequestId,
  messageProblem,
  quoted,
  type RequestId,
  type ResultMessage,
} from "./messages.js";
import type { Transport } from "./transport.js";

/** A command the server answered with ok: false; `code` is the server's, if it gave one. */
export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface Requester {
  /** Sends a command; resolves with the result's value, rejects with a CommandError. */
  request(command: unknown): Promise<unknown>;
  /** Commands sent and not yet answered. */
  readonly pending: number;
}

/** The client's side: numbers its commands and matches each result to its caller. */
export function createRequester(transport: Transport): Requester {
  let next = 1;
  const waiting = new Map<RequestId, { resolve(v: unknown): void; reject(e: Error): void }>();
  transport.on("message", (message) => {
    if (message.type !== "result") return;
    const problem = messageProblem(message);
    const caller = waiting.get(message.id as RequestId);
    if (!caller) return;
    waiting.delete(message.id as RequestId);
    if (problem) return caller.reject(new ProtocolError(problem));
    const m = message as ResultMessage;
    if (m.ok) caller.resolve(m.value);
    else caller.reject(new CommandError(m.error.message, m.error.code));
  });
  transport.on("close", (reason) => {
    for (const caller of waiting.values()) {
      caller.reject(new CommandError(`the connection closed before the answer came: ${reason}`));
    }
    waiting.clear();
  });
  return {
    get pending() {
      return waiting.size;
    },
    request(command: unknown): Promise<unknown> {
      if (transport.closed) {
        return Promise.reject(new CommandError("the connection is closed"));
      }
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        try {
          transport.send({ type: "command", id, command });
        } catch (error) {
          waiting.delete(id);
          reject(error);
        }
      });
    },
  };
}

/** What a handler throws to answer ok: false with a code the client can act on. */
export interface CodedError extends Error {
  code?: string;
}

/**
 * The server's side: runs `handle` for each command and sends its result. A handler's error
 * becomes an ok: false result; a value that cannot be sent (too big, not plain JSON) too, so
 * the client always gets an answer. A malformed command is answered when it has an id, and
 * ends the connection when it has not (nothing could be answered).
 */
export function answerCommands(
  transport: Transport,
  handle: (command: unknown) => unknown | Promise<unknown>,
): () => void {
  const failure = (id: RequestId, error: unknown) => {
    const e = error as CodedError;
    const body: { message: string; code?: string } = { message: String(e?.message ?? error) };
    if (typeof e?.code === "string") body.code = e.code;
    try {
      transport.send({ type: "result", id, ok: false, error: body });
    } catch (cannot) {
      // Not even the failure can be sent (a message too big to answer): the connection ends,
      // saying why; the server goes on.
      broken(`the answer to command ${quoted(id)} could not be sent: ${(cannot as Error).message}`);
    }
  };
  const broken = (problem: string) => {
    if (transport.closed) return;
    transport.send({ type: "error", message: problem });
    transport.close(`protocol error: ${problem}`);
  };
  return transport.on("message", (message) => {
    if (message.type !== "command") return;
    const problem = messageProblem(message);
    if (problem) {
      const id = (message as { id?: unknown }).id;
      if (isRequestId(id)) return failure(id, new Error(problem));
      return broken(problem);
    }
    const { id, command } = message as CommandMessage;
    Promise.resolve()
      .then(() => handle(command))
      .then(
        (value) => {
          try {
            transport.send({ type: "result", id, ok: true, value });
          } catch (error) {
            failure(id, error);
          }
        },
        (error: unknown) => failure(id, error),
      );
  });
}
