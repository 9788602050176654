import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { type Document, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import { BUILTIN_ROLES } from "./builtin-roles.js";
import { parseDuration } from "./duration.js";
import { PlanError, PlanNotFoundError, sortIssues } from "./issues.js";
import { SourcePositions } from "./positions.js";
import { Reporter } from "./report.js";
import { NOTIFY_EVENTS, PlanSchema, type RawPlan } from "./schema.js";
import type {
  AgentCommand,
  CheckpointSpec,
  Plan,
  Preset,
  RoleSpec,
  StreamSpec,
  TaskSpec,
} from "./types.js";
import { checkPlan } from "./validate.js";
import { reportZodIssue } from "./zod-issues.js";

/**
 * Parses and validates streams.yaml. `file` is its absolute path, used for `root`, the default
 * `project` and the file name in messages. Throws PlanError listing every error at once.
 */
export function parsePlan(text: string, file: string): Plan {
  const path = resolve(file);
  const name = basename(path);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const report = new Reporter(name, new SourcePositions(doc, lines));

  for (const warning of doc.warnings) {
    report.warning(report.positions.offset(warning.pos[0]), `YAML warning: ${warning.message}`);
  }
  if (doc.errors.length > 0) {
    // The document is unreliable past a syntax error: report only those.
    for (const error of doc.errors) {
      report.error(report.positions.offset(error.pos[0]), syntaxMessage(error, text));
    }
    throw new PlanError(sortIssues(report.issues.filter((i) => i.severity === "error")));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // Aliases are only resolved here: an unknown anchor, or too many aliases.
    const alias = unresolvedAlias(doc);
    const where = alias ? report.positions.offset(alias) : { line: 1, col: 1 };
    report.error(where, `YAML error: ${(error as Error).message}`);
    throw new PlanError(report.issues.filter((i) => i.severity === "error"));
  }

  const parsed = PlanSchema.safeParse(data);
  for (const issue of parsed.error?.issues ?? []) reportZodIssue(issue, data, name, report);
  checkPlan(data, report, dirname(path));

  const issues = sortIssues(report.issues);
  const errors = issues.filter((i) => i.severity === "error");
  if (!parsed.success || errors.length > 0) throw new PlanError(errors);
  return buildPlan(parsed.data, path, report.positions, issues);
}

const KEY_AT = /("(?:[^"\\]|\\.)*"|'[^']*'|[^\s:,{}[\]]+)\s*:/y;

function syntaxMessage(error: YAMLError, text: string): string {
  if (error.code === "DUPLICATE_KEY") {
    KEY_AT.lastIndex = error.pos[0];
    const key = KEY_AT.exec(text)?.[1]?.replace(/^["']|["']$/g, "");
    if (key !== undefined) return `duplicate key "${key}" (each key may appear only once in a map)`;
  }
  return `YAML syntax error: ${error.message}`;
}

/** Offset of the first alias whose anchor is not defined before it. */
function unresolvedAlias(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined) return undefined;
      offset = alias.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

function buildPlan(
  raw: RawPlan,
  file: string,
  positions: SourcePositions,
  warnings: Plan["warnings"],
): Plan {
  const inOrder = (section: string, map: Record<string, unknown>) =>
    positions.keys([section]).filter((id) => Object.hasOwn(map, id));
  const agent = raw.agent;

  const roles = buildRoles(raw, inOrder("roles", raw.roles));
  const roleOf = (id: string | undefined) => roles.find((r) => r.id === id);

  const streams = inOrder("streams", raw.streams).map((id): StreamSpec => {
    const stream = raw.streams[id]!;
    const tasks = buildTasks(id, stream);
    return {
      id,
      name: stream.name,
      dependsOn: [...new Set(stream.depends_on)],
      requires: [...new Set(stream.requires)],
      scope: stream.scope,
      scopeMode: stream.scope_mode ?? raw.scope_mode,
      locks: stream.locks ?? raw.locks,
      agents: stream.agents.map((a) => {
        const role = roleOf(a.role);
        const preset: Preset | undefined =
          a.preset ?? (a.agent === undefined ? role?.preset : undefined);
        const command: AgentCommand = a.agent ?? role?.command ?? agent;
        return {
          id: a.id,
          stream: id,
          task: a.task ?? boardTask(tasks, a.id),
          ...(role !== undefined && { role: role.id }),
          command,
          ...(preset !== undefined && { preset }),
        };
      }),
      tasks,
    };
  });

  const streamOfAgent = new Map(streams.flatMap((s) => s.agents.map((a) => [a.id, s.id])));
  const checkpoints = inOrder("checkpoints", raw.checkpoints).map((id): CheckpointSpec => {
    const { depends_on, after, approval, run, criteria, auto } = raw.checkpoints[id]!;
    return {
      id,
      dependsOn: [...new Set(depends_on)],
      after: [...new Set(after)],
      ...(approval !== undefined && { approval }),
      ...(run !== undefined && { run }),
      ...(criteria !== undefined && {
        criteria: criteria.map((c) => ({
          name: c.name,
          run: c.run,
          ...(c.metric !== undefined && { metric: c.metric }),
          ...(c.expect !== undefined && { expect: c.expect.trim() }),
          ...(c.across !== undefined && {
            across: c.across.map((target) => ({
              id: target,
              stream: streamOfAgent.get(target) ?? target,
            })),
          }),
          ...(c.within !== undefined && { within: c.within }),
        })),
      }),
      auto: auto ?? false,
    };
  });

  return {
    file,
    root: dirname(file),
    version: raw.version,
    project: raw.project ?? basename(dirname(file)),
    ...(raw.base !== undefined && { base: raw.base }),
    worktrees: raw.worktrees,
    branchPrefix: raw.branch_prefix,
    stateDir: raw.state_dir,
    ...(positions.keys([]).includes("state_dir") && {
      stateDirAt: positions.value(["state_dir"]),
    }),
    lockTtlMs: parseDuration(raw.lock_ttl),
    agent,
    validate: raw.validate,
    ...(raw.reproducible !== undefined && { reproducible: raw.reproducible }),
    roles,
    checkpoints,
    streams,
    warnings,
    nextTask: raw.next_task,
    uiNotify:
      raw.ui?.notify === false
        ? []
        : raw.ui?.notify === true || raw.ui?.notify === undefined
          ? [...NOTIFY_EVENTS]
          : [...new Set(raw.ui.notify)],
    uiMouse: raw.ui?.mouse === true,
    ...(raw.notify && { notify: { run: raw.notify.run, on: [...new Set(raw.notify.on)] } }),
    uiKeys: Object.fromEntries(
      Object.entries(raw.ui?.keys ?? {}).map(([command, keys]) => [
        command,
        typeof keys === "string" ? [keys] : [...(keys ?? [])],
      ]),
    ),
  };
}

const asList = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : typeof value === "string" ? [value] : value;

/** `data-engineer` -> `Data engineer`. */
const roleName = (id: string): string => {
  const words = id.replace(/[-_]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** The built-in roles (overridden field by field where the plan says so), then the plan's own. */
function buildRoles(raw: RawPlan, ids: string[]): RoleSpec[] {
  const resolve = (id: string): RoleSpec => {
    const own = Object.hasOwn(raw.roles, id) ? raw.roles[id] : undefined;
    const builtin = Object.hasOwn(BUILTIN_ROLES, id) ? BUILTIN_ROLES[id] : undefined;
    return {
      id,
      name: own?.name ?? builtin?.name ?? roleName(id),
      responsibilities: asList(own?.responsibilities) ?? builtin?.responsibilities ?? [],
      deliverables: asList(own?.deliverables) ?? builtin?.deliverables ?? [],
      criteria: asList(own?.criteria) ?? builtin?.criteria ?? [],
      ...(own?.agent !== undefined && { command: own.agent }),
      ...(own?.preset !== undefined && { preset: own.preset }),
      source: builtin ? (own ? "override" : "builtin") : "plan",
    };
  };
  const builtins = Object.keys(BUILTIN_ROLES);
  return [...builtins, ...ids.filter((id) => !builtins.includes(id))].map(resolve);
}

type RawStream = RawPlan["streams"][string];

/** The stream's `tasks:`, or one task per agent with a `task:` when it lists none. */
function buildTasks(stream: string, raw: RawStream): TaskSpec[] {
  if (raw.tasks && raw.tasks.length > 0) {
    return raw.tasks.map((t) => ({
      id: t.id,
      stream,
      title: t.title,
      priority: t.priority,
      ...(t.agent !== undefined && { agent: t.agent }),
      dependsOn: [...new Set(t.depends_on)],
      implicit: false,
    }));
  }
  return raw.agents.flatMap((a) =>
    a.task === undefined
      ? []
      : [
          {
            id: a.id,
            stream,
            title: a.task,
            priority: "P2" as const,
            agent: a.id,
            dependsOn: [],
            implicit: true,
          },
        ],
  );
}

/**
 * The {task} of an agent without its own `task:`: the most urgent task of the board it may take
 * and start at once (its own before the stream's), and how to see the rest.
 */
function boardTask(tasks: readonly TaskSpec[], agent: string): string {
  // What it can start at once (no dependency) first, then the most urgent, then its own.
  const rank = (t: TaskSpec) =>
    (t.dependsOn.length > 0 ? 100 : 0) +
    Number(t.priority.slice(1)) * 2 +
    (t.agent === undefined ? 1 : 0);
  const mine = tasks
    .map((task, index) => ({ task, index }))
    .filter(({ task }) => task.agent === undefined || task.agent === agent)
    .sort((a, b) => rank(a.task) - rank(b.task) || a.index - b.index)
    .map(({ task }) => task);
  const [first, ...rest] = mine;
  if (!first) return `the tasks of your stream's board (tower tasks --agent ${agent})`;
  const more =
    rest.length > 0 ? `; ${rest.length} more on the board: tower tasks --agent ${agent}` : "";
  return `${first.title} (task ${first.id}, ${first.priority}${more})`;
}

/** Reads and parses streams.yaml at `file`. */
export async function loadPlan(file: string): Promise<Plan> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new PlanNotFoundError(path);
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parsePlan(text, path);
}
