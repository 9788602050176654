import type { PlanIssue } from "./issues.js";
import type { DataPath, Position, SourcePositions } from "./positions.js";
import { ID_PATTERN } from "./schema.js";

/** Collects issues with their positions in the file. */
export class Reporter {
  readonly issues: PlanIssue[] = [];

  constructor(
    /** Basename of the file, as printed in each issue. */
    readonly file: string,
    readonly positions: SourcePositions,
  ) {}

  error(at: Position, message: string): void {
    this.issues.push({ file: this.file, ...at, message, severity: "error" });
  }

  warning(at: Position, message: string): void {
    this.issues.push({ file: this.file, ...at, message, severity: "warning" });
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` in plain data, or undefined. */
export function valueAt(data: unknown, path: DataPath): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === "number") value = value[segment];
    else if (isRecord(value) && Object.hasOwn(value, segment)) value = value[segment];
    else return undefined;
  }
  return value;
}

export type OwnerKind =
  | "plan"
  | "stream"
  | "agent"
  | "checkpoint"
  | "ui"
  | "notify"
  | "role"
  | "task"
  | "criterion";

/** The map a path points into (plan, a stream, an agent, a checkpoint...) and the rest of the path. */
export interface Owner {
  kind: OwnerKind;
  /** `stream "A"`, `agent "A1" in stream "A"`, `checkpoint "x"`; "" for the top level. */
  where: string;
  /** The path inside that map. */
  rest: DataPath;
}

export function ownerOf(data: unknown, path: DataPath): Owner {
  const [top, name, field, index] = path;
  if (top === "streams" && name !== undefined) {
    const stream = `stream "${name}"`;
    if (field === "agents" && typeof index === "number") {
      const id = valueAt(data, [...path.slice(0, 4), "id"]);
      const agent =
        typeof id === "string" && ID_PATTERN.test(id) ? `agent "${id}"` : `agent #${index + 1}`;
      return { kind: "agent", where: `${agent} in ${stream}`, rest: path.slice(4) };
    }
    if (field === "tasks" && typeof index === "number") {
      const id = valueAt(data, [...path.slice(0, 4), "id"]);
      const task =
        typeof id === "string" && ID_PATTERN.test(id) ? `task "${id}"` : `task #${index + 1}`;
      return { kind: "task", where: `${task} in ${stream}`, rest: path.slice(4) };
    }
    return { kind: "stream", where: stream, rest: path.slice(2) };
  }
  if (top === "checkpoints" && name !== undefined) {
    const checkpoint = `checkpoint "${name}"`;
    if (field === "criteria" && typeof index === "number") {
      const id = valueAt(data, [...path.slice(0, 4), "name"]);
      const criterion =
        typeof id === "string" && ID_PATTERN.test(id)
          ? `criterion "${id}"`
          : `criterion #${index + 1}`;
      return { kind: "criterion", where: `${criterion} of ${checkpoint}`, rest: path.slice(4) };
    }
    return { kind: "checkpoint", where: checkpoint, rest: path.slice(2) };
  }
  if (top === "roles" && name !== undefined) {
    return { kind: "role", where: `role "${name}"`, rest: path.slice(2) };
  }
  if (top === "ui") return { kind: "ui", where: "ui", rest: path.slice(1) };
  if (top === "notify") return { kind: "notify", where: "notify", rest: path.slice(1) };
  return { kind: "plan", where: "", rest: path };
}

/** `scope[1]`, `agent[0]`, `name`. */
export function label(rest: DataPath): string {
  return rest
    .map((segment, i) =>
      typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`,
    )
    .join("");
}

/** `message` prefixed by where it applies: `stream "A": message`, or just `message` at the top level. */
export function at(where: string, message: string): string {
  return where === "" ? message : `${where}: ${message}`;
}

/** A short description of a value for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") {
    if (value === "") return "an empty string";
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  }
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (isRecord(value)) return "a map";
  return String(value);
}
