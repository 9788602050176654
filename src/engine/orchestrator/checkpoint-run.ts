/** `tower checkpoint run <id>`: runs a `run:` gate in the main worktree and records the outcome. */
import { checkpointViews, recordedStreamStatuses } from "../checkpoints.js";
import { RefusedError, UnknownIdError } from "../errors.js";
import type { Project } from "../project.js";
import { signingSeal } from "../seal.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { requireTrust } from "../trust.js";
import { type CommandRun, runCommands } from "./validate.js";

export interface CheckpointRunResult {
  id: string;
  passed: boolean;
  run: CommandRun;
  logFile: string;
}

export async function runCheckpoint(
  project: Project,
  id: string,
  hooks: { onLine?(line: string): void } = {},
): Promise<CheckpointRunResult> {
  const { plan, store, repo } = project;
  const checkpoint = plan.checkpoints.find((c) => c.id === id);
  if (!checkpoint) {
    throw new UnknownIdError(
      `unknown checkpoint "${id}" (known: ${plan.checkpoints.map((c) => c.id).join(", ") || "none"})`,
    );
  }
  if (!checkpoint.run) {
    const how = checkpoint.approval
      ? `is approved by a human: \`tower approve ${id}\``
      : "passes by itself when its dependencies pass";
    throw new RefusedError(`checkpoint "${id}" has no \`run:\` command; it ${how}`);
  }
  await refuseWhileWaiting(project, id);
  await requireTrust(plan);
  const seal = await signingSeal(repo.mainRoot, project.seal);
  const logFile = await store.logFile(`checkpoint-${id}.log`);
  await store.appendActivity({
    agent: TOWER_AGENT,
    stream: "",
    action: "checkpoint_started",
    checkpoint: id,
    command: checkpoint.run,
  });
  const result = await runCommands([checkpoint.run], {
    cwd: repo.mainRoot,
    logFile,
    onLine: (_command, line) => hooks.onLine?.(line),
  });
  const run = result.runs[0]!;
  const now = new Date();
  const note = result.ok
    ? `\`${checkpoint.run}\` exited 0`
    : `\`${checkpoint.run}\` failed (${run.signal ? `signal ${run.signal}` : `exit ${run.exitCode}`})`;
  await store.update("checkpoints", (file) => {
    const entry = {
      status: result.ok ? ("passed" as const) : ("failed" as const),
      updated: toUtcIso(now),
      by: TOWER_AGENT,
      note,
    };
    file.checkpoints[id] = result.ok ? { ...entry, seal: seal.sign(id, entry) } : entry;
  });
  await store.appendActivity(
    {
      agent: TOWER_AGENT,
      stream: "",
      action: result.ok ? "checkpoint_passed" : "checkpoint_failed",
      checkpoint: id,
      exit_code: run.exitCode ?? null,
    },
    now,
  );
  return { id, passed: result.ok, run, logFile };
}

/** Refuses (RefusedError) while a checkpoint or a stream that `id` waits for is not done. */
export async function refuseWhileWaiting(project: Project, id: string): Promise<void> {
  const { plan, store } = project;
  const streams = await recordedStreamStatuses(store);
  const view = checkpointViews(plan, await store.read("checkpoints"), project.seal, streams).find(
    (v) => v.id === id,
  );
  if (!view) return;
  const waits = [
    ...view.waiting_for.map((d) => `${d} to pass`),
    ...view.waiting_for_streams.map((s) => `stream ${s} to complete (${streams[s] ?? "pending"})`),
  ];
  if (waits.length > 0) {
    throw new RefusedError(`checkpoint "${id}" cannot run yet: waiting for ${waits.join(", ")}`);
  }
}
