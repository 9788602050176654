/**
 * The messages of protocol 2 (docs/protocol.md). A receiver ignores fields it does not know and
 * message types it does not know, so a field or a message that old peers may skip can be added
 * without a new protocol number. 2 added a patch's `append`, which a client of 1 would skip and
 * so miss activity lines.
 */
import type { Message } from "./framing.js";

/** The protocol this build speaks; both sides must speak the same one. */
export const PROTOCOL_VERSION = 2;

export interface ClientInfo {
  /** The client's terminal size, so the room can size panes before the first frame. */
  cols: number;
  rows: number;
  /** Who is attaching, for the room's list of clients ("alice@laptop", "tower ui"). */
  name: string;
}

/** The client's first message. */
export interface HelloMessage extends Message {
  type: "hello";
  protocol: number;
  /** The room's token (token.ts); empty over `--stdio`, where SSH has authenticated the user. */
  token: string;
  client: ClientInfo;
}

/** The server's answer to an accepted hello; the server may add fields of its own. */
export interface WelcomeMessage extends Message {
  type: "welcome";
  protocol: number;
  server: { pid: number };
}

/** The server's answer to a hello it does not accept; the connection then closes. */
export interface RefusedMessage extends Message {
  type: "refused";
  reason: string;
}

/** Either side leaving in good order (a client detaching, a server stopping). */
export interface ByeMessage extends Message {
  type: "bye";
  reason?: string;
}

/** The connection cannot go on (a broken frame, say); the sender closes it next. */
export interface ErrorMessage extends Message {
  type: "error";
  message: string;
}

export type RequestId = number | string;

/** A request from the client; the room answers with a result of the same id. */
export interface CommandMessage extends Message {
  type: "command";
  id: RequestId;
  command: unknown;
}

export type ResultMessage =
  | (Message & { type: "result"; id: RequestId; ok: true; value: unknown })
  | (Message & {
      type: "result";
      id: RequestId;
      ok: false;
      error: { message: string; code?: string };
    });

/** Something that happened in the room (a state patch, a pane frame, a note), unasked. */
export interface EventMessage extends Message {
  type: "event";
  event: unknown;
}

export type ProtocolMessage =
  | HelloMessage
  | WelcomeMessage
  | RefusedMessage
  | ByeMessage
  | ErrorMessage
  | CommandMessage
  | ResultMessage
  | EventMessage;

/** The longest string a request id may be: an answer repeats it. */
export const MAX_REQUEST_ID = 256;

export function isRequestId(value: unknown): value is RequestId {
  return (
    (typeof value === "number" && Number.isSafeInteger(value)) ||
    (typeof value === "string" && value.length <= MAX_REQUEST_ID)
  );
}

/**
 * A value the peer sent, as JSON, cut to `max` characters: what a refusal or an error repeats of
 * it, never more (a peer's 16 MiB, repeated, would not fit in a frame).
 */
export function quoted(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}

/**
 * What is wrong with a message of a type this protocol defines, or null when it is well formed
 * (or of a type this side does not know, which the receiver is to ignore).
 */
export function messageProblem(message: Message): string | null {
  const m = message as Record<string, unknown>;
  switch (message.type) {
    case "refused":
      return typeof m.reason === "string" ? null : 'a "refused" message needs a string "reason"';
    case "error":
      return typeof m.message === "string" ? null : 'an "error" message needs a string "message"';
    case "bye":
      return m.reason === undefined || typeof m.reason === "string"
        ? null
        : 'a "bye" message\'s "reason" must be a string';
    case "command":
      if (!isRequestId(m.id))
        return `a "command" message needs an "id" (a number, or a string of at most ${MAX_REQUEST_ID} characters)`;
      return "command" in m ? null : 'a "command" message needs a "command"';
    case "result": {
      if (!isRequestId(m.id))
        return `a "result" message needs an "id" (a number, or a string of at most ${MAX_REQUEST_ID} characters)`;
      if (m.ok === true) return null;
      const error = m.error as { message?: unknown } | undefined;
      return m.ok === false && typeof error?.message === "string"
        ? null
        : 'a "result" message needs "ok": true with a "value", or "ok": false with an "error": {"message"}';
    }
    case "event":
      return "event" in m ? null : 'an "event" message needs an "event"';
    default:
      return null;
  }
}
