import { BUILTIN_ROLE_IDS } from "./builtin-roles.js";
import { compileMetric } from "./criteria.js";
import { findCycles } from "./cycles.js";
import {
  PLACEHOLDER_HELP,
  quotedPlaceholderMessage,
  quotedPlaceholders,
  shellScriptIndex,
  unknownPlaceholders,
} from "./placeholders.js";
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
  checkRunModel(data, streams, checkpoints, report);
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
  // Shell code: the string form, or a shell's -c script in the list form. A placeholder inside
  // quotes there lets a task run as code: an error, not a warning (issue: shell injection).
  const script = typeof command === "string" ? -1 : shellScriptIndex(parts as string[]);
  if (script === undefined) return;
  const code = script === -1 ? command : parts[script];
  if (typeof code !== "string") return;
  for (const name of quotedPlaceholders(code)) {
    report.error(
      report.positions.value(script === -1 ? path : [...path, script]),
      at(where, quotedPlaceholderMessage(name)),
    );
  }
}

/** Roles, task boards and quality gates: the references the schema cannot check. */
function checkRunModel(
  data: Record<string, unknown>,
  streams: string[],
  checkpoints: string[],
  report: Reporter,
): void {
  checkRoles(data, streams, report);
  checkTasks(data, streams, report);
  checkAfter(data, checkpoints, streams, report);
  checkGates(data, streams, checkpoints, report);
}

function agentsOf(data: Record<string, unknown>, stream: string): Record<string, unknown>[] {
  return list(entry(data, "stream", stream)["agents"]).filter(isRecord);
}

const validId = (value: unknown): value is string =>
  typeof value === "string" && ID_PATTERN.test(value);

function checkRoles(data: Record<string, unknown>, streams: string[], report: Reporter): void {
  const section = data["roles"];
  const own = isRecord(section)
    ? report.positions.keys(["roles"]).filter((id) => Object.hasOwn(section, id) && validId(id))
    : [];
  for (const id of own) {
    const role = isRecord(section) ? section[id] : undefined;
    if (!isRecord(role)) continue;
    checkCommand(role["agent"], ["roles", id, "agent"], `role "${id}"`, report);
    const says = ["responsibilities", "deliverables", "criteria"].some(
      (k) => role[k] !== undefined,
    );
    if (!says && !BUILTIN_ROLE_IDS.includes(id)) {
      report.error(
        report.positions.key(["roles", id]),
        `role "${id}" says nothing of the work: give it responsibilities, deliverables or criteria (or use a built-in role: ${BUILTIN_ROLE_IDS.join(", ")})`,
      );
    }
  }
  const known = [...BUILTIN_ROLE_IDS, ...own.filter((id) => !BUILTIN_ROLE_IDS.includes(id))];
  for (const stream of streams) {
    agentsOf(data, stream).forEach((agent, index) => {
      const role = agent["role"];
      if (!validId(role) || known.includes(role)) return;
      const who = validId(agent["id"]) ? `agent "${agent["id"]}"` : `agent #${index + 1}`;
      report.error(
        report.positions.value(["streams", stream, "agents", index, "role"]),
        `${who} in stream "${stream}": unknown role "${role}" (known: ${known.join(", ")}; define it under roles)`,
      );
    });
  }
}

interface TaskEntry {
  id: string;
  stream: string;
  /** Where its id is written: the task's id, or the agent's id for an agent's own task. */
  path: DataPath;
  /** The agent whose `task:` it is, for a stream without `tasks:`. */
  agent?: string;
  dependsOn: unknown[];
}

function taskEntries(data: Record<string, unknown>, streams: string[]): TaskEntry[] {
  const out: TaskEntry[] = [];
  for (const stream of streams) {
    const tasks = entry(data, "stream", stream)["tasks"];
    if (Array.isArray(tasks) && tasks.length > 0) {
      tasks.forEach((task, index) => {
        if (!isRecord(task) || !validId(task["id"])) return;
        const path = ["streams", stream, "tasks", index, "id"];
        out.push({ id: task["id"], stream, path, dependsOn: list(task["depends_on"]) });
      });
      continue;
    }
    agentsOf(data, stream).forEach((agent, index) => {
      if (!validId(agent["id"]) || typeof agent["task"] !== "string") return;
      const path = ["streams", stream, "agents", index, "id"];
      out.push({ id: agent["id"], stream, path, agent: agent["id"], dependsOn: [] });
    });
  }
  return out;
}

function checkTasks(data: Record<string, unknown>, streams: string[], report: Reporter): void {
  const entries = taskEntries(data, streams);
  const first = new Map<string, TaskEntry>();
  const describe = (t: TaskEntry) =>
    t.agent
      ? `the task of agent "${t.agent}" (its task:, in stream "${t.stream}")`
      : `used in stream "${t.stream}"`;
  for (const task of entries) {
    const earlier = first.get(task.id);
    if (!earlier) {
      first.set(task.id, task);
      continue;
    }
    // Two agents' own tasks clash only when the agent ids do, which is reported already.
    if (earlier.agent !== undefined && task.agent !== undefined) continue;
    report.error(
      report.positions.value(task.path),
      `stream "${task.stream}": task id "${task.id}" is already ${describe(earlier)} (task ids must be unique across the plan)`,
    );
  }
  const ids = [...first.keys()];
  for (const stream of streams) {
    const spec = entry(data, "stream", stream);
    const hasTasks = Array.isArray(spec["tasks"]) && spec["tasks"].length > 0;
    const agents = agentsOf(data, stream);
    const agentIds = agents.map((a) => a["id"]).filter(validId);
    if (!hasTasks) {
      list(spec["agents"]).forEach((agent, index) => {
        if (!isRecord(agent) || agent["task"] !== undefined) return;
        const who = validId(agent["id"]) ? `agent "${agent["id"]}"` : `agent #${index + 1}`;
        report.error(
          report.positions.value(["streams", stream, "agents", index, "task"]),
          `${who} in stream "${stream}": missing required key "task" (must be a non-empty string, or give stream "${stream}" a tasks: list)`,
        );
      });
      continue;
    }
    list(spec["tasks"]).forEach((task, index) => {
      if (!isRecord(task)) return;
      const path = ["streams", stream, "tasks", index];
      const where = `${validId(task["id"]) ? `task "${task["id"]}"` : `task #${index + 1}`} in stream "${stream}"`;
      const agent = task["agent"];
      if (validId(agent) && !agentIds.includes(agent)) {
        report.error(
          report.positions.value([...path, "agent"]),
          `${where}: agent "${agent}" is not an agent of stream "${stream}" (valid: ${agentIds.join(", ") || "none"}, or leave agent out for any of them)`,
        );
      }
      list(task["depends_on"]).forEach((dep, i) => {
        if (!validId(dep)) return;
        const at = report.positions.value([...path, "depends_on", i]);
        if (dep === task["id"]) report.error(at, `${where} depends on itself`);
        else if (!ids.includes(dep)) {
          report.error(at, `${where} depends on unknown task "${dep}" (known: ${ids.join(", ")})`);
        }
      });
    });
  }
  const cycles = findCycles(ids, (id) => first.get(id)?.dependsOn ?? []);
  for (const { path, from, index } of cycles) {
    const task = first.get(from);
    if (!task) continue;
    report.error(
      report.positions.value([...task.path.slice(0, -1), "depends_on", index]),
      `task dependency cycle ${path.join(" -> ")}`,
    );
  }
}

function checkAfter(
  data: Record<string, unknown>,
  checkpoints: string[],
  streams: string[],
  report: Reporter,
): void {
  const known = streams.length > 0 ? streams.join(", ") : "none";
  for (const id of checkpoints) {
    list(entry(data, "checkpoint", id)["after"]).forEach((ref, index) => {
      if (!validId(ref) || streams.includes(ref)) return;
      report.error(
        report.positions.value(["checkpoints", id, "after", index]),
        `checkpoint "${id}" comes after unknown stream "${ref}" (known: ${known})`,
      );
    });
  }
}

function checkGates(
  data: Record<string, unknown>,
  streams: string[],
  checkpoints: string[],
  report: Reporter,
): void {
  const streamOf = new Map<string, string>(streams.map((s) => [s, s]));
  for (const stream of streams) {
    for (const agent of agentsOf(data, stream)) {
      if (validId(agent["id"]) && !streamOf.has(agent["id"])) streamOf.set(agent["id"], stream);
    }
  }
  for (const id of checkpoints) {
    const names = new Set<string>();
    list(entry(data, "checkpoint", id)["criteria"]).forEach((criterion, index) => {
      if (!isRecord(criterion)) return;
      const path = ["checkpoints", id, "criteria", index];
      const name = criterion["name"];
      const where = `${validId(name) ? `criterion "${name}"` : `criterion #${index + 1}`} of checkpoint "${id}"`;
      if (validId(name)) {
        if (names.has(name)) {
          report.error(
            report.positions.value([...path, "name"]),
            `checkpoint "${id}": criterion name "${name}" is used twice (names must be unique in a checkpoint)`,
          );
        }
        names.add(name);
      }
      const metric = criterion["metric"];
      if (typeof metric === "string" && metric !== "") {
        const compiled = compileMetric(metric);
        if ("error" in compiled) {
          report.error(
            report.positions.value([...path, "metric"]),
            `${where}: metric ${JSON.stringify(metric)} ${compiled.error}`,
          );
        }
      }
      if (criterion["expect"] !== undefined && metric === undefined) {
        report.error(
          report.positions.key([...path, "expect"]),
          `${where}: expect needs metric, a regular expression whose first group captures the number to compare`,
        );
      }
      const across = criterion["across"];
      if (criterion["within"] !== undefined && across === undefined) {
        report.error(
          report.positions.key([...path, "within"]),
          `${where}: within needs across, the streams or agents whose results are compared`,
        );
      } else if (criterion["within"] !== undefined && metric === undefined) {
        report.error(
          report.positions.key([...path, "within"]),
          `${where}: within compares numbers: give metric too, a regular expression whose first group captures the number`,
        );
      }
      const seen = new Map<string, string>();
      list(across).forEach((target, i) => {
        if (!validId(target)) return;
        const at = report.positions.value([...path, "across", i]);
        const stream = streamOf.get(target);
        if (stream === undefined) {
          report.error(
            at,
            `${where}: across names unknown stream or agent "${target}" (streams: ${streams.join(", ") || "none"}; or an agent id)`,
          );
          return;
        }
        const other = seen.get(stream);
        if (other !== undefined) {
          report.error(
            at,
            `${where}: across has "${other}" and "${target}", which share stream "${stream}"'s worktree (valid: one entry per stream)`,
          );
        }
        seen.set(stream, target);
      });
    });
  }
}
