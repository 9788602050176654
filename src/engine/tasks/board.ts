/**
 * The task board as every view shows it: the plan says which tasks exist, `tasks.json` where
 * each one is. Pure functions of those two, for the CLI, the MCP tools and the control room.
 */
import type { Plan, Priority, TaskSpec } from "../plan/index.js";
import type { TaskStatus, TasksFile } from "../state/formats.js";

export const PRIORITY_ORDER: readonly Priority[] = ["P0", "P1", "P2", "P3"];
export const TASK_STATUSES: readonly TaskStatus[] = ["todo", "in_progress", "blocked", "done"];

export interface TaskRow {
  id: string;
  title: string;
  stream: string;
  priority: Priority;
  /** The agent the plan assigns it to; null: any agent of the stream. */
  assignee: string | null;
  status: TaskStatus;
  /** The agent working on it, or that did it (from tasks.json). */
  agent: string | null;
  depends_on: string[];
  /** Dependencies not done yet. */
  waiting_for: string[];
  /** To do, with every dependency done: it can start now. */
  ready: boolean;
  note: string | null;
  updated: string | null;
  started_at: string | null;
  done_at: string | null;
}

export type TaskCounts = Record<TaskStatus, number>;

export interface StreamTasks {
  stream: string;
  name: string;
  tasks: TaskRow[];
  counts: TaskCounts;
}

export interface TaskBoard {
  /** Streams in plan order, each with its tasks in plan order. */
  streams: StreamTasks[];
  /** The same tasks by priority, P0 first; plan order inside a priority. */
  by_priority: { priority: Priority; tasks: TaskRow[] }[];
  counts: TaskCounts;
}

/** Every task of the plan, streams in plan order. */
export const planTasks = (plan: Plan): TaskSpec[] => plan.streams.flatMap((s) => s.tasks);

export function findTaskSpec(plan: Plan, id: string): TaskSpec | undefined {
  for (const stream of plan.streams) {
    const task = stream.tasks.find((t) => t.id === id);
    if (task) return task;
  }
  return undefined;
}

const emptyCounts = (): TaskCounts => ({ todo: 0, in_progress: 0, blocked: 0, done: 0 });

/** One task's row: its spec joined with its recorded state (`todo` when none). */
export function taskRow(plan: Plan, file: TasksFile, spec: TaskSpec): TaskRow {
  const entry = Object.hasOwn(file.tasks, spec.id) ? file.tasks[spec.id] : undefined;
  const statusOf = (id: string): TaskStatus =>
    (Object.hasOwn(file.tasks, id) ? file.tasks[id]?.status : undefined) ?? "todo";
  const status = entry?.status ?? "todo";
  const waiting = spec.dependsOn.filter((d) => statusOf(d) !== "done" && findTaskSpec(plan, d));
  return {
    id: spec.id,
    title: spec.title,
    stream: spec.stream,
    priority: spec.priority,
    assignee: spec.agent ?? null,
    status,
    agent: entry?.agent ?? null,
    depends_on: spec.dependsOn,
    waiting_for: waiting,
    ready: status === "todo" && waiting.length === 0,
    note: entry?.note ?? null,
    updated: entry?.updated ?? null,
    started_at: entry?.started_at ?? null,
    done_at: entry?.done_at ?? null,
  };
}

/** The whole board: by stream and by priority, with counts. */
export function taskBoard(plan: Plan, file: TasksFile): TaskBoard {
  const counts = emptyCounts();
  const streams = plan.streams.map((stream): StreamTasks => {
    const own = emptyCounts();
    const tasks = stream.tasks.map((spec) => taskRow(plan, file, spec));
    for (const task of tasks) {
      own[task.status] += 1;
      counts[task.status] += 1;
    }
    return { stream: stream.id, name: stream.name, tasks, counts: own };
  });
  const all = streams.flatMap((s) => s.tasks);
  return {
    streams,
    by_priority: PRIORITY_ORDER.map((priority) => ({
      priority,
      tasks: all.filter((t) => t.priority === priority),
    })).filter((group) => group.tasks.length > 0),
    counts,
  };
}

/** Whether `agent` may take `task`: one of its stream's, and assigned to it or to no one. */
export const mayTake = (task: Pick<TaskRow, "assignee">, agent: string): boolean =>
  task.assignee === null || task.assignee === agent;

/**
 * The task to offer `agent` next: one of its stream's, to do, assigned to it or to no one, with
 * every dependency done; the most urgent first, then its own before the stream's, then plan order.
 */
export function nextTask(plan: Plan, file: TasksFile, agent: string): TaskRow | undefined {
  const stream = plan.streams.find((s) => s.agents.some((a) => a.id === agent));
  if (!stream) return undefined;
  const rank = (t: TaskRow) => PRIORITY_ORDER.indexOf(t.priority) * 2 + (t.assignee ? 0 : 1);
  return stream.tasks
    .map((spec, index) => ({ row: taskRow(plan, file, spec), index }))
    .filter(({ row }) => row.ready && mayTake(row, agent))
    .sort((a, b) => rank(a.row) - rank(b.row) || a.index - b.index)[0]?.row;
}

/**
 * The tasks of a stream that are not done, for `tower complete` to warn about: when the stream
 * has a board (`tasks:`), or its agents' own tasks were moved on it. A plan that never uses the
 * board is not warned about the tasks its agents' `task:` make.
 */
export function openTasks(plan: Plan, file: TasksFile, stream: string): TaskRow[] {
  const spec = plan.streams.find((s) => s.id === stream);
  const tasks = spec?.tasks ?? [];
  const used = tasks.some((t) => !t.implicit || Object.hasOwn(file.tasks, t.id));
  if (!used) return [];
  return tasks.map((task) => taskRow(plan, file, task)).filter((t) => t.status !== "done");
}
