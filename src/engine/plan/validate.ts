import { findCycles } from "./cycles.js";
import { PLACEHOLDER_HELP, quotedPlaceholders, unknownPlaceholders } from "./placeholders.js";
import { checkPlaces } from "./places.js";
import type { DataPath } from "./positions.js";
import { at, isRecord, type Reporter } from "./report.js";
import { ID_HELP, ID_PATTERN } from "./schema.js";

type Kind = "stream" | "checkpoint";
const SECTION = { stream: "streams", checkpoint: "checkpoints" } as const;

/**
 * Checks what the schema cannot: references, duplicate agent ids, cycles, placeholders, the
 * places the plan names (against `root`, the repository root). Works on the raw data, skipping
 * whatever has the wrong shape (the schema reports that), so that every problem in the file is
 * reported in one go.
 */
export function checkPlan(data: unknown, report: Reporter, root: string): void {
  if (!isRecord(data)) return;
  checkPlaces(data, root, report);
  reportHiddenIds(report);
  const streams = idsOf(data, "stream", report);
  const checkpoints = idsOf(data, "checkpoint", report);

  checkCommand(data["agent"], ["agent"], "", report);
  checkReferences(data, "stream", streams, "depends_on", streams, report);
  checkReferences(data, "stream", streams, "requires", checkpoints, report);
  checkReferences(data, "checkpoint", checkpoints, "depends_on", checkpoints, report);
  checkCycles(data, "stream", streams, report);
  checkCycles(data, "checkpoint", checkpoints, report);
  checkAgents(data, streams, report);
}

/**
 * The schema never sees a stream or checkpoint named `__proto__` (zod leaves that key out of a
 * record), so it would be dropped without a word: it is not a valid id, and said so here.
 */
function reportHiddenIds(report: Reporter): void {
  for (const kind of ["checkpoint", "stream"] as const) {
    for (const id of report.positions.keys([SECTION[kind]])) {
      if (id === "__proto__") {
        report.error(
          report.positions.key([SECTION[kind], id]),
          `"${id}" is not a valid ${kind} id (${ID_HELP})`,
        );
      }
    }
  }
}

/** Ids of the streams or checkpoints, in file order (bad ids are reported by the schema). */
function idsOf(data: Record<string, unknown>, kind: Kind, report: Reporter): string[] {
  const section = data[SECTION[kind]];
  if (!isRecord(section)) return [];
  return report.positions.keys([SECTION[kind]]).filter((id) => Object.hasOwn(section, id));
}

function entry(data: Record<string, unknown>, kind: Kind, id: string): Record<string, unknown> {
  const section = data[SECTION[kind]];
  const value = isRecord(section) ? section[id] : undefined;
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function checkReferences(
  data: Record<string, unknown>,
  kind: Kind,
  owners: string[],
  field: "depends_on" | "requires",
  targets: string[],
  report: Reporter,
): void {
  const targetKind = field === "requires" ? "checkpoint" : kind;
  const known =
    targets.length > 0 ? targets.join(", ") : `none; define it under ${SECTION[targetKind]}`;
  for (const id of owners) {
    list(entry(data, kind, id)[field]).forEach((ref, index) => {
      if (typeof ref !== "string" || !ID_PATTERN.test(ref)) return;
      const where = report.positions.value([SECTION[kind], id, field, index]);
      if (ref === id && field === "depends_on") {
        report.error(where, `${kind} "${id}" depends on itself`);
      } else if (!targets.includes(ref)) {
        const verb = field === "requires" ? "requires" : "depends on";
        report.error(
          where,
          `${kind} "${id}" ${verb} unknown ${targetKind} "${ref}" (known: ${known})`,
        );
      }
    });
  }
}

function checkCycles(
  data: Record<string, unknown>,
  kind: Kind,
  ids: string[],
  report: Reporter,
): void {
  const cycles = findCycles(ids, (id) => list(entry(data, kind, id)["depends_on"]));
  for (const { path, from, index } of cycles) {
    const prefix = kind === "stream" ? "" : "checkpoint ";
    report.error(
      report.positions.value([SECTION[kind], from, "depends_on", index]),
      `${prefix}dependency cycle ${path.join(" -> ")}`,
    );
  }
}

function checkAgents(data: Record<string, unknown>, streams: string[], report: Reporter): void {
  const firstStream = new Map<string, string>();
  for (const stream of streams) {
    const spec = entry(data, "stream", stream);
    const scope = spec["scope"];
    if (scope === undefined || (Array.isArray(scope) && scope.length === 0)) {
      report.warning(
        report.positions.key(["streams", stream]),
        `stream "${stream}" has no scope: list the globs it may change, e.g. scope: ["src/**"]`,
      );
    }
    list(spec["agents"]).forEach((agent, index) => {
      if (!isRecord(agent)) return;
      const path = ["streams", stream, "agents", index];
      const id = agent["id"];
      const valid = typeof id === "string" && ID_PATTERN.test(id);
      if (valid) {
        const first = firstStream.get(id);
        if (first === undefined) firstStream.set(id, stream);
        else {
          report.error(
            report.positions.value([...path, "id"]),
            `stream "${stream}": agent id "${id}" is already used in stream "${first}" (agent ids must be unique across the plan)`,
          );
        }
      }
      const where = `${valid ? `agent "${id}"` : `agent #${index + 1}`} in stream "${stream}"`;
      checkCommand(agent["agent"], [...path, "agent"], where, report);
    });
  }
}

function checkCommand(command: unknown, path: DataPath, where: string, report: Reporter): void {
  const parts = typeof command === "string" ? [command] : list(command);
  parts.forEach((part, index) => {
    if (typeof part !== "string") return;
    const position = report.positions.value(typeof command === "string" ? path : [...path, index]);
    for (const name of unknownPlaceholders(part)) {
      report.error(
        position,
        at(where, `unknown placeholder {${name}} in agent command (${PLACEHOLDER_HELP})`),
      );
    }
  });
  if (typeof command !== "string") return;
  for (const name of quotedPlaceholders(command)) {
    report.warning(
      report.positions.value(path),
      at(
        where,
        `placeholder {${name}} is inside quotes in agent command: it is replaced by an already shell-quoted value, so write {${name}} without quotes`,
      ),
    );
  }
}
