import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { type Document, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import { parseDuration } from "./duration.js";
import { PlanError, PlanNotFoundError, sortIssues } from "./issues.js";
import { SourcePositions } from "./positions.js";
import { Reporter } from "./report.js";
import { PlanSchema, type RawPlan } from "./schema.js";
import type { Plan, StreamSpec } from "./types.js";
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

  const streams = inOrder("streams", raw.streams).map((id): StreamSpec => {
    const stream = raw.streams[id]!;
    return {
      id,
      name: stream.name,
      dependsOn: [...new Set(stream.depends_on)],
      requires: [...new Set(stream.requires)],
      scope: stream.scope,
      scopeMode: stream.scope_mode ?? raw.scope_mode,
      locks: stream.locks ?? raw.locks,
      agents: stream.agents.map((a) => ({
        id: a.id,
        stream: id,
        task: a.task,
        command: a.agent ?? agent,
        ...(a.preset !== undefined && { preset: a.preset }),
      })),
    };
  });

  const checkpoints = inOrder("checkpoints", raw.checkpoints).map((id) => {
    const { depends_on, approval, run } = raw.checkpoints[id]!;
    return {
      id,
      dependsOn: [...new Set(depends_on)],
      ...(approval !== undefined && { approval }),
      ...(run !== undefined && { run }),
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
    lockTtlMs: parseDuration(raw.lock_ttl),
    agent,
    validate: raw.validate,
    ...(raw.reproducible !== undefined && { reproducible: raw.reproducible }),
    checkpoints,
    streams,
    warnings,
    uiKeys: Object.fromEntries(
      Object.entries(raw.ui?.keys ?? {}).map(([command, keys]) => [
        command,
        typeof keys === "string" ? [keys] : [...(keys ?? [])],
      ]),
    ),
  };
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
