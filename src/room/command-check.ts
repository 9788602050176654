/**
 * What a command from the wire must be before the room runs it: a client of the socket is any
 * program that has the token, and one that is broken (or not Tower's) must get an error naming
 * the field, not reach code that trusts the command's type (a copy-mode search whose query was
 * null once took down the server at its next frame). Each command's fields by kind, and those
 * of the objects in it (a copy action, a new agent, a review comment); every number anywhere in
 * a command must be finite (JSON reads `1e999` as Infinity).
 */

import type { RoomCommandType } from "./commands.js";
import type { CopyAction } from "./copy-mode.js";

type Kind = "string" | "boolean" | "number" | "integer" | "size" | "strings";
/** A kind (`?`: may be left out), one of some strings, or an object of these fields. */
type Field = Kind | `${Kind}?` | { oneOf: readonly string[] } | { fields: Fields; optional?: true };
type Fields = Record<string, Field>;

/** A copy action's fields, by what it does (src/room/copy-mode.ts). */
const COPY_ACTIONS: Record<CopyAction["do"], Fields> = {
  enter: {},
  exit: {},
  move: { lines: "integer?", cols: "integer?" },
  scroll: { lines: "integer" },
  page: { pages: "number" },
  top: {},
  bottom: {},
  lineStart: {},
  lineEnd: {},
  search: { query: "string", backward: "boolean", incremental: "boolean?" },
  searchCancel: {},
  next: { reverse: "boolean?" },
  select: { kind: { oneOf: ["block", "line"] } },
  yank: {},
};

/** Each command's fields (besides `type`). */
const FIELDS: Record<RoomCommandType, Fields> = {
  layout: {
    cols: "size",
    rows: "size",
    zoomed: "boolean",
    selected: "string?",
    insert: "boolean?",
    panel: "integer?",
  },
  input: { agent: "string", data: "string" },
  paste: { agent: "string", text: "string" },
  approve: { agent: "string" },
  deny: { agent: "string" },
  scroll: { agent: "string", lines: "integer" },
  // Its action's own fields are checked by what it does (copyProblem).
  copy: { agent: "string", action: { fields: { do: { oneOf: Object.keys(COPY_ACTIONS) } } } },
  stop: { agent: "string" },
  restart: { agent: "string" },
  "stream.start": { stream: "string" },
  "stream.complete": { stream: "string" },
  "merge.plan": { stream: "string" },
  merge: { stream: "string" },
  "stream.cleanup": { stream: "string" },
  "handoff.prefill": { agent: "string" },
  handoff: {
    from: "string",
    to: "strings",
    completedTasks: "strings",
    newInterfaces: "strings",
    breakingChanges: "strings",
    testStatus: "string",
    note: "string?",
  },
  "checkpoint.approve": { id: "string", by: "string" },
  "checkpoint.reject": { id: "string", by: "string", reason: "string" },
  "checkpoint.run": { id: "string" },
  "task.move": { id: "string", action: { oneOf: ["start", "done", "block"] }, note: "string?" },
  "lock.release": { path: "string" },
  "snapshot.restore": { stream: "string", commit: "string" },
  diff: { stream: "string" },
  "pane.open": { beside: "string", label: "string", command: "strings?" },
  "agent.add": {
    agent: {
      fields: {
        stream: "string",
        id: "string",
        task: "string?",
        agent: "string?",
        newStream: {
          optional: true,
          fields: { name: "string", dependsOn: "strings", scope: "strings" },
        },
      },
    },
  },
  "review.open": { stream: "string" },
  "review.comment": {
    stream: "string",
    comment: {
      fields: {
        file: "string",
        line: "size",
        side: { oneOf: ["new", "old"] },
        code: "string",
        text: "string",
      },
    },
  },
  "review.send": { stream: "string", agent: "string", ids: "strings" },
  "review.uncomment": { stream: "string", ids: "strings" },
  trust: {},
  "orphans.keep": { stream: "string" },
  "orphans.stop": { stream: "string" },
  running: {},
  shutdown: {},
};

const WHAT: Record<Kind, string> = {
  string: "a string",
  boolean: "true or false",
  number: "a number",
  integer: "a whole number",
  size: "a whole number of at least 1",
  strings: "a list of strings",
};

function fits(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number";
    case "integer":
      return Number.isInteger(value);
    case "size":
      return Number.isInteger(value) && (value as number) >= 1;
    case "strings":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
  }
}

/** Where in `value` a number is not finite (a path such as `action.lines`), if anywhere. */
function infinite(value: unknown, at: string): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : at;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = infinite(item, at ? `${at}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Why `object`'s fields are not as `fields` says (`at`: where it is, for the message). */
function fieldsProblem(
  object: Record<string, unknown>,
  fields: Fields,
  at: string,
): string | undefined {
  for (const [name, field] of Object.entries(fields)) {
    const given = object[name];
    const where = `${at}${name}`;
    const got =
      given === undefined ? "it is missing" : `got ${JSON.stringify(given)?.slice(0, 80)}`;
    if (typeof field === "object" && "oneOf" in field) {
      if (typeof given !== "string" || !field.oneOf.includes(given)) {
        return `"${where}" must be one of ${field.oneOf.join(", ")} (${got})`;
      }
      continue;
    }
    if (typeof field === "object") {
      if (given === undefined && field.optional) continue;
      if (!isObject(given)) return `"${where}" must be an object (${got})`;
      const problem = fieldsProblem(given, field.fields, `${where}.`);
      if (problem !== undefined) return problem;
      continue;
    }
    const optional = field.endsWith("?");
    const kind = (optional ? field.slice(0, -1) : field) as Kind;
    if (given === undefined && optional) continue;
    if (!fits(given, kind)) return `"${where}" must be ${WHAT[kind]} (${got})`;
  }
  return undefined;
}

/** Why `value` is not a command the room can run, or undefined when it is one. */
export function commandProblem(value: unknown): string | undefined {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== "object" || value === null || typeof type !== "string") {
    return 'a command is an object with a string "type"';
  }
  const fields = Object.hasOwn(FIELDS, type) ? FIELDS[type as RoomCommandType] : undefined;
  if (!fields) return `the room has no command "${type}"`;
  const command = value as Record<string, unknown>;
  const problem =
    fieldsProblem(command, fields, "") ??
    (type === "copy"
      ? fieldsProblem(
          command.action as Record<string, unknown>,
          COPY_ACTIONS[(command.action as { do: CopyAction["do"] }).do],
          "action.",
        )
      : undefined);
  if (problem !== undefined) return `${type}: ${problem}`;
  const bad = infinite(command, "");
  if (bad !== undefined) return `${type}: "${bad}" must be a finite number`;
  return undefined;
}
