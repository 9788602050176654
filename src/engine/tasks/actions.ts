/**
 * Moving a task on the board, as an agent (or a person, as `human`): start, done, block. Each
 * change is made under `tasks.json`'s lock and logged in the activity log; a change that is not
 * allowed (another agent's task, a dependency not done, a task already done) is refused with
 * what would make it possible.
 */
import { RefusedError, UnknownIdError } from "../errors.js";
import { HUMAN } from "../human.js";
import type { Plan, TaskSpec } from "../plan/index.js";
import type { TaskEntry, TaskStatus, TasksFile } from "../state/formats.js";
import type { StateStore } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { findTaskSpec, nextTask, planTasks, type TaskRow, taskRow } from "./board.js";

export type TaskAction = "start" | "done" | "block";

export interface TaskActionRequest {
  plan: Plan;
  store: StateStore;
  id: string;
  /** Who acts: an agent of the task's stream, or `human`. */
  agent: string;
  note?: string;
  now?: Date;
}

export interface TaskActionResult {
  action: TaskAction;
  /** The task after the change. */
  task: TaskRow;
  previous: TaskStatus;
  /** False when the task was already where the action puts it: nothing was written or logged. */
  changed: boolean;
  /** After `done`: the task offered to the agent next (see nextTask). */
  next?: TaskRow;
  /** After `done`: tasks that were waiting for this one and can start now. */
  unblocked: TaskRow[];
}

const ACTIVITY: Record<TaskAction, string> = {
  start: "task_started",
  done: "task_done",
  block: "task_blocked",
};

function findTask(plan: Plan, id: string): TaskSpec {
  const spec = findTaskSpec(plan, id);
  if (spec) return spec;
  const ids = planTasks(plan).map((t) => t.id);
  const known = ids.length > 20 ? `${ids.slice(0, 20).join(", ")}, ...` : ids.join(", ");
  throw new UnknownIdError(
    `unknown task "${id}" (known: ${known || "none; add tasks: to a stream in streams.yaml"})`,
  );
}

/** Refuses an agent that may not act on this task: another stream's, or assigned to another. */
function assertMayAct(plan: Plan, spec: TaskSpec, agent: string): void {
  if (agent === HUMAN) return;
  const stream = plan.streams.find((s) => s.agents.some((a) => a.id === agent));
  if (stream?.id !== spec.stream) {
    throw new RefusedError(
      `task "${spec.id}" belongs to stream ${spec.stream}, and ${agent} is ${stream ? `an agent of stream ${stream.id}` : "not an agent of the plan"}: only ${spec.stream}'s agents (or human) move it`,
    );
  }
  if (spec.agent !== undefined && spec.agent !== agent) {
    throw new RefusedError(
      `task "${spec.id}" is assigned to ${spec.agent}, not ${agent}: see \`tower tasks --agent ${agent}\` for yours`,
    );
  }
}

function assertDependenciesDone(file: TasksFile, row: TaskRow, verb: string): void {
  if (row.waiting_for.length === 0) return;
  const waits = row.waiting_for.map((d) => `${d} (${file.tasks[d]?.status ?? "todo"})`).join(", ");
  throw new RefusedError(`task "${row.id}" cannot ${verb} yet: waiting for ${waits}`);
}

/** Another agent holds it in progress: only that agent (or human) moves it. */
function assertNotOthers(entry: TaskEntry | undefined, id: string, agent: string): void {
  if (entry?.status !== "in_progress" || !entry.agent || entry.agent === agent) return;
  if (agent === HUMAN) return;
  throw new RefusedError(
    `task "${id}" is in progress by ${entry.agent}${entry.started_at ? ` since ${entry.started_at}` : ""}: ask them, or a person can move it as human`,
  );
}

/** Applies one action to the entry (in place); returns false when nothing changes. */
function apply(
  action: TaskAction,
  plan: Plan,
  file: TasksFile,
  spec: TaskSpec,
  request: TaskActionRequest,
  at: string,
): boolean {
  const { agent } = request;
  const entry = Object.hasOwn(file.tasks, spec.id) ? file.tasks[spec.id] : undefined;
  const row = taskRow(plan, file, spec);
  const note = request.note ?? null;
  switch (action) {
    case "start": {
      if (row.status === "done") {
        throw new RefusedError(
          `task "${spec.id}" is already done${entry?.agent ? ` (by ${entry.agent})` : ""}: nothing to start`,
        );
      }
      if (row.status === "in_progress" && entry?.agent === agent) return false;
      assertNotOthers(entry, spec.id, agent);
      assertDependenciesDone(file, row, "start");
      file.tasks[spec.id] = {
        ...entry,
        status: "in_progress",
        agent,
        updated: at,
        note,
        started_at: entry?.started_at ?? at,
        done_at: null,
      };
      return true;
    }
    case "done": {
      if (row.status === "done") return false;
      assertNotOthers(entry, spec.id, agent);
      assertDependenciesDone(file, row, "be done");
      const doer = entry?.status === "in_progress" && entry.agent ? entry.agent : agent;
      file.tasks[spec.id] = {
        ...entry,
        status: "done",
        agent: doer,
        updated: at,
        note: note ?? entry?.note ?? null,
        started_at: entry?.started_at ?? at,
        done_at: at,
      };
      return true;
    }
    case "block": {
      if (row.status === "done") {
        throw new RefusedError(`task "${spec.id}" is done: there is nothing left to block`);
      }
      if (row.status === "blocked" && (note === null || note === entry?.note)) return false;
      assertNotOthers(entry, spec.id, agent);
      file.tasks[spec.id] = {
        ...entry,
        status: "blocked",
        agent: entry?.agent ?? agent,
        updated: at,
        note,
      };
      return true;
    }
  }
}

/** Starts, finishes or blocks a task, as `request.agent`. */
export async function changeTask(
  action: TaskAction,
  request: TaskActionRequest,
): Promise<TaskActionResult> {
  const { plan, store, id, agent } = request;
  const spec = findTask(plan, id);
  assertMayAct(plan, spec, agent);
  const now = request.now ?? new Date();
  const at = toUtcIso(now);
  return store.update(
    "tasks",
    async (file): Promise<TaskActionResult> => {
      const before = taskRow(plan, file, spec);
      const waitingBefore = new Set(
        planTasks(plan)
          .map((t) => taskRow(plan, file, t))
          .filter((t) => t.status === "todo" && !t.ready)
          .map((t) => t.id),
      );
      const changed = apply(action, plan, file, spec, request, at);
      const task = taskRow(plan, file, spec);
      const result: TaskActionResult = {
        action,
        task,
        previous: before.status,
        changed,
        unblocked: [],
      };
      if (action === "done") {
        result.unblocked = planTasks(plan)
          .map((t) => taskRow(plan, file, t))
          .filter((t) => t.ready && waitingBefore.has(t.id));
        const next = nextTask(plan, file, task.agent ?? agent);
        if (next) result.next = next;
      }
      return result;
    },
    async (result) => {
      // Logged once the change is stored (never a line about a change that was not), while
      // tasks.json is still locked: the log's order is the order of the changes.
      if (!result.changed) return;
      await store.appendActivity(
        {
          agent,
          stream: spec.stream,
          action: ACTIVITY[action],
          task: spec.id,
          title: spec.title,
          priority: spec.priority,
          ...(request.note !== undefined && { note: request.note }),
        },
        now,
      );
    },
  );
}
