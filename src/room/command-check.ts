/**
 * What a command from the wire must be before the room runs it: a client of the socket is any
 * program that has the token, and one that is broken (or not Tower's) must get an error naming
 * the field, not reach code that trusts the command's type. Each command's fields, by kind; the
 * nested objects (a copy action, a new agent, a review comment) are checked as objects here and
 * field by field where they are used. Every number anywhere in a command must be finite (JSON
 * reads `1e999` as Infinity).
 */
import type { RoomCommandType } from "./commands.js";

type Kind = "string" | "boolean" | "integer" | "size" | "strings" | "object";
type Field = Kind | `${Kind}?`;

/** Each command's fields (besides `type`); a `?` marks one that may be left out. */
const FIELDS: Record<RoomCommandType, Record<string, Field>> = {
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
  copy: { agent: "string", action: "object" },
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
  "task.move": { id: "string", action: "string", note: "string?" },
  "lock.release": { path: "string" },
  diff: { stream: "string" },
  "pane.open": { beside: "string", label: "string", command: "strings?" },
  "agent.add": { agent: "object" },
  "review.open": { stream: "string" },
  "review.comment": { stream: "string", comment: "object" },
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
  integer: "a whole number",
  size: "a whole number of at least 1",
  strings: "a list of strings",
  object: "an object",
};

function fits(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return Number.isInteger(value);
    case "size":
      return Number.isInteger(value) && (value as number) >= 1;
    case "strings":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
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

/** Why `value` is not a command the room can run, or undefined when it is one. */
export function commandProblem(value: unknown): string | undefined {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== "object" || value === null || typeof type !== "string") {
    return 'a command is an object with a string "type"';
  }
  const fields = Object.hasOwn(FIELDS, type) ? FIELDS[type as RoomCommandType] : undefined;
  if (!fields) return `the room has no command "${type}"`;
  const command = value as Record<string, unknown>;
  for (const [name, field] of Object.entries(fields)) {
    const optional = field.endsWith("?");
    const kind = (optional ? field.slice(0, -1) : field) as Kind;
    const given = command[name];
    if (given === undefined && optional) continue;
    if (!fits(given, kind)) {
      const got = given === undefined ? "it is missing" : `got ${JSON.stringify(given)}`;
      return `${type}: "${name}" must be ${WHAT[kind]} (${got.slice(0, 80)})`;
    }
  }
  const bad = infinite(command, "");
  if (bad !== undefined) return `${type}: "${bad}" must be a finite number`;
  return undefined;
}
