/**
 * `tower gate run <id>`: runs a quality gate's criteria, one after another (each in the main
 * worktree, or in each worktree of its `across`, one at a time so that timings do not compete),
 * judges each, and records the gate passed or failed in checkpoints.json with every criterion's
 * value and output tail. A pass is sealed like a `run:` pass, results included.
 */
import { existsSync } from "node:fs";
import { RefusedError, UnknownIdError } from "../errors.js";
import { refuseWhileWaiting, runCheckpoint } from "../orchestrator/checkpoint-run.js";
import { recordedWorktree, requireLinkedWorktree } from "../orchestrator/stream-worktree.js";
import { runCommands } from "../orchestrator/validate.js";
import {
  type CheckpointSpec,
  type CriterionSpec,
  compileMetric,
  readMetric,
} from "../plan/index.js";
import type { Project } from "../project.js";
import { signingSeal } from "../seal.js";
import { appendStateFile, checkStateFile } from "../state/safe-fs.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { requireTrust } from "../trust.js";
import {
  type CriterionResult,
  type CriterionRun,
  evaluateCriterion,
  gateNote,
} from "./evaluate.js";

/** Lines of output kept per run in checkpoints.json. */
export const TAIL_LINES = 10;

export interface GateHooks {
  /** A criterion starts, in the main worktree or in a stream's (`where`). */
  onCriterion?(name: string, command: string, where: string): void;
  onLine?(name: string, line: string): void;
}

export interface GateResult {
  id: string;
  passed: boolean;
  /** `passed` or the failures, as recorded. */
  note: string;
  criteria: CriterionResult[];
  logFile: string;
}

function findCheckpoint(project: Project, id: string): CheckpointSpec {
  const checkpoint = project.plan.checkpoints.find((c) => c.id === id);
  if (checkpoint) return checkpoint;
  const known = project.plan.checkpoints.map((c) => c.id).join(", ") || "none";
  throw new UnknownIdError(`unknown checkpoint "${id}" (known: ${known})`);
}

/**
 * Runs any checkpoint that runs something: a quality gate's criteria, or a `run:` command (shown
 * as a gate of one criterion, `run`). Refuses a human approval and a checkpoint with nothing to
 * run, one whose dependencies have not passed, and an untrusted plan.
 */
export async function runGate(
  project: Project,
  id: string,
  hooks: GateHooks = {},
): Promise<GateResult> {
  const checkpoint = findCheckpoint(project, id);
  if (!checkpoint.criteria) {
    const command = checkpoint.run;
    const result = await runCheckpoint(project, id, {
      onLine: (line) => hooks.onLine?.("run", line),
    });
    const run = result.run;
    const criterion = evaluateCriterion({ name: "run", run: command ?? run.command }, [
      {
        where: "main",
        stream: null,
        exit_code: run.exitCode ?? null,
        signal: run.signal ?? null,
        value: null,
        tail: run.tail.slice(-TAIL_LINES),
        duration_ms: run.durationMs,
      },
    ]);
    return {
      id,
      passed: result.passed,
      note: gateNote([criterion]),
      criteria: [criterion],
      logFile: result.logFile,
    };
  }
  return runCriteria(project, checkpoint, checkpoint.criteria, hooks);
}

async function runCriteria(
  project: Project,
  checkpoint: CheckpointSpec,
  criteria: CriterionSpec[],
  hooks: GateHooks,
): Promise<GateResult> {
  const { plan, store, repo } = project;
  const id = checkpoint.id;
  await refuseWhileWaiting(project, id);
  await requireTrust(plan);
  const seal = await signingSeal(repo.mainRoot, project.seal);
  // The log is checked before the start is logged: a link there (or anything but a file) is
  // refused, naming it, before anything is written; each run appends to it without following one.
  const logFile = await store.logFile(`checkpoint-${id}.log`);
  await checkStateFile(logFile);
  await store.appendActivity({
    agent: TOWER_AGENT,
    stream: "",
    action: "checkpoint_started",
    checkpoint: id,
    criteria: criteria.map((c) => c.name),
  });
  const worktrees = (await store.read("orchestrator")).streams;
  const results: CriterionResult[] = [];
  for (const criterion of criteria) {
    const targets = criterion.across ?? [{ id: "main", stream: "" }];
    const runs: CriterionRun[] = [];
    for (const target of targets) {
      const stream = target.stream === "" ? null : target.stream;
      const recorded = stream ? worktrees[stream] : undefined;
      let cwd: string | undefined = repo.mainRoot;
      if (stream) {
        cwd = recorded?.worktree ? recordedWorktree(project, recorded.worktree) : undefined;
        if (recorded?.worktree && cwd && existsSync(cwd)) {
          // Only a linked worktree of this repository: the state may name any folder.
          try {
            cwd = await requireLinkedWorktree(project, stream, recorded.worktree);
          } catch (error) {
            if (!(error instanceof RefusedError)) throw error;
            runs.push({ ...missingWorktree(target.id, stream, ""), error: error.message });
            continue;
          }
        }
      }
      if (!cwd || !existsSync(cwd)) {
        runs.push(missingWorktree(target.id, stream ?? "", recorded?.status ?? "pending"));
        continue;
      }
      hooks.onCriterion?.(criterion.name, criterion.run, target.id);
      runs.push(await runOnce(criterion, target.id, stream, cwd, logFile, id, hooks));
    }
    results.push(evaluateCriterion(criterion, runs));
  }
  const passed = results.every((r) => r.ok);
  const note = gateNote(results);
  const now = new Date();
  await store.update("checkpoints", (file) => {
    const entry = {
      status: passed ? ("passed" as const) : ("failed" as const),
      updated: toUtcIso(now),
      by: TOWER_AGENT,
      note,
      criteria: results,
    };
    file.checkpoints[id] = passed ? { ...entry, seal: seal.sign(id, entry) } : entry;
  });
  await store.appendActivity(
    {
      agent: TOWER_AGENT,
      stream: "",
      action: passed ? "checkpoint_passed" : "checkpoint_failed",
      checkpoint: id,
      criteria: results.map((r) => ({ name: r.name, ok: r.ok, value: r.value, detail: r.detail })),
    },
    now,
  );
  return { id, passed, note, criteria: results, logFile };
}

function missingWorktree(where: string, stream: string, status: string): CriterionRun {
  return {
    where,
    stream,
    exit_code: null,
    signal: null,
    value: null,
    tail: [],
    duration_ms: 0,
    error: `stream ${stream} has no worktree (${status}): a criterion with across runs in each stream's worktree, so run it before the streams merge`,
  };
}

async function runOnce(
  criterion: CriterionSpec,
  where: string,
  stream: string | null,
  cwd: string,
  logFile: string,
  gate: string,
  hooks: GateHooks,
): Promise<CriterionRun> {
  const compiled = criterion.metric !== undefined ? compileMetric(criterion.metric) : undefined;
  const regex = compiled && "regex" in compiled ? compiled.regex : undefined;
  let value: number | null = null;
  await appendStateFile(
    logFile,
    `# criterion ${criterion.name}${stream ? ` in stream ${stream}'s worktree ${cwd}` : ""}\n`,
  );
  const result = await runCommands([criterion.run], {
    cwd,
    logFile,
    tailLines: TAIL_LINES,
    env: {
      ...process.env,
      TOWER_GATE: gate,
      TOWER_CRITERION: criterion.name,
      ...(stream && { TOWER_STREAM: stream }),
    },
    onLine: (_command, line) => {
      hooks.onLine?.(criterion.name, line);
      if (!regex) return;
      const found = readMetric(regex, line);
      if (found !== undefined) value = found;
    },
  });
  const run = result.runs[0]!;
  return {
    where,
    stream,
    exit_code: run.exitCode ?? null,
    signal: run.signal ?? null,
    value,
    tail: run.tail,
    duration_ms: run.durationMs,
  };
}
