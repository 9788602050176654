/**
 * Edits of streams.yaml made from the control room (`A`: a new agent in a stream, or a new
 * stream with its first agent). The new lines are inserted into the text where the YAML
 * document says the list or the map ends, so every other byte (the user's comments, order and
 * layout) stays as it was; the result must parse as a valid plan before it is written, and it is
 * written whole to a fresh file then renamed over the old one (never half a plan).
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { isMap, isSeq, type Node, parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { parsePlan } from "./parse.js";
import type { Plan } from "./types.js";

export interface NewAgent {
  /** An existing stream, or a new one (then `newStream` says what it is). */
  stream: string;
  id: string;
  task?: string | undefined;
  /** Its own command (run by `sh -c`); the plan's `agent` otherwise. */
  agent?: string | undefined;
  newStream?: { name: string; dependsOn: string[]; scope: string[] } | undefined;
}

/** Adds the agent to the plan file; returns the plan as it now is. Throws PlanError, unchanged. */
export async function addAgentToPlan(file: string, request: NewAgent): Promise<Plan> {
  const stat = await fsp.lstat(file);
  if (stat.isSymbolicLink()) {
    throw new Error(`${file} is a symbolic link: Tower edits only a plan file of its own`);
  }
  const text = await fsp.readFile(file, "utf8");
  const doc = parseDocument(text);
  if (doc.errors.length > 0) parsePlan(text, file); // throws the errors, with their positions
  const streams = doc.get("streams", true);
  if (!isMap(streams)) throw new Error(`${file}: streams is not a map: fix it first`);
  const agent = flowMap({ id: request.id, task: request.task, agent: request.agent });
  const existing = streams.get(request.stream, true);
  let edited: string;
  if (existing !== undefined) {
    if (!isMap(existing)) throw new Error(`${file}: stream "${request.stream}" is not a map`);
    const agents = existing.get("agents", true);
    if (!isSeq(agents) || !agents.range) {
      throw new Error(`${file}: stream "${request.stream}" has no agents list`);
    }
    edited = appendToSeq(text, agents, agent);
  } else {
    const fresh = request.newStream ?? { name: request.stream, dependsOn: [], scope: [] };
    edited = appendStream(text, streams, request.stream, [
      `name: ${JSON.stringify(fresh.name || request.stream)}`,
      ...(fresh.dependsOn.length > 0 ? [`depends_on: ${flowSeq(fresh.dependsOn)}`] : []),
      ...(fresh.scope.length > 0 ? [`scope: ${flowSeq(fresh.scope)}`] : []),
      "agents:",
      `  - ${agent}`,
    ]);
  }
  // Refused whole (an id taken, an unknown dependency...): the file is not touched.
  const plan = parsePlan(edited, file);
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await fsp.writeFile(temp, edited, { mode: stat.mode & 0o777, flag: "wx" });
  try {
    await fsp.rename(temp, file);
  } catch (error) {
    await fsp.unlink(temp).catch(() => {});
    throw error;
  }
  return plan;
}

/** `{ id: A2, task: "..." }`: values as JSON strings, which YAML reads as they are. */
function flowMap(values: Record<string, string | undefined>): string {
  const pairs = Object.entries(values)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return `{ ${pairs.join(", ")} }`;
}

const flowSeq = (items: readonly string[]) => `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;

/** The offset just past the end of the line that holds `offset`. */
function endOfLine(text: string, offset: number): number {
  const at = text.indexOf("\n", Math.max(0, offset - 1));
  return at < 0 ? text.length : at;
}

/** The column at which the line holding `offset` has `offset`. */
function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/** `item` added at the end of the sequence: a flow one before its `]`, a block one as a line. */
function appendToSeq(text: string, seq: YAMLSeq, item: string): string {
  const [start, end] = seq.range ?? [0, 0];
  if (seq.flow) {
    const close = text.lastIndexOf("]", end);
    const empty = seq.items.length === 0;
    return `${text.slice(0, close).replace(/\s*$/, "")}${empty ? "" : ", "}${item}${text.slice(close)}`;
  }
  const last = (seq.items.at(-1) as Node | undefined)?.range?.[1] ?? end;
  // The dash of the first item sets the indentation.
  const dash = columnOf(
    text,
    text.lastIndexOf("-", (seq.items[0] as Node | undefined)?.range?.[0] ?? start),
  );
  const at = endOfLine(text, last);
  return `${text.slice(0, at)}\n${" ".repeat(dash)}- ${item}${text.slice(at)}`;
}

/** A new stream at the end of the streams map, indented as its other streams. */
function appendStream(text: string, streams: YAMLMap, id: string, body: string[]): string {
  const first = streams.items[0]?.key as Node | undefined;
  const indent = first?.range ? columnOf(text, first.range[0]) : 2;
  const lastValue = streams.items.at(-1)?.value as Node | undefined;
  const at = endOfLine(text, lastValue?.range?.[1] ?? streams.range?.[1] ?? text.length);
  const pad = " ".repeat(indent);
  const lines = [`${pad}${id}:`, ...body.map((line) => `${pad}  ${line}`)];
  return `${text.slice(0, at)}\n${lines.join("\n")}${text.slice(at)}`;
}
