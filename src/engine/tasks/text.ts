/**
 * The task board in words, for `tower tasks`, `tower task` and the MCP tools (the model reads
 * the same sentences a person does).
 */
import type { Plan } from "../plan/index.js";
import type { TasksFile } from "../state/formats.js";
import type { TaskActionResult } from "./actions.js";
import { mayTake, nextTask, type TaskBoard, type TaskRow, taskBoard } from "./board.js";

const STATUS_TEXT: Record<TaskRow["status"], string> = {
  todo: "todo",
  in_progress: "in progress",
  blocked: "blocked",
  done: "done",
};

/** `api  P0  in progress (A1)  Refund endpoint  [waits for x]  — note` */
export function taskLine(task: TaskRow): string {
  const who = task.agent ?? task.assignee;
  const status = `${STATUS_TEXT[task.status]}${who ? ` (${who})` : ""}`;
  const waits =
    task.status !== "done" && task.waiting_for.length > 0
      ? `, waits for ${task.waiting_for.join(", ")}`
      : "";
  const note = task.note ? `: ${task.note}` : "";
  return `${task.id} [${task.priority}, ${status}${waits}] ${task.title}${note}`;
}

export interface BoardFilter {
  stream?: string;
  /** The tasks this agent may take or holds. */
  agent?: string;
}

/** Keeps the streams and tasks that match the filter. */
export function filterBoard(board: TaskBoard, filter: BoardFilter): TaskBoard {
  const keep = (t: TaskRow) =>
    (!filter.stream || t.stream === filter.stream) &&
    (!filter.agent || t.agent === filter.agent || (t.agent === null && mayTake(t, filter.agent)));
  const streams = board.streams
    .map((s) => ({ ...s, tasks: s.tasks.filter(keep) }))
    .filter((s) => s.tasks.length > 0);
  return {
    streams,
    by_priority: board.by_priority
      .map((g) => ({ ...g, tasks: g.tasks.filter(keep) }))
      .filter((g) => g.tasks.length > 0),
    counts: board.counts,
  };
}

/** The board by stream, one line per task. */
export function boardText(board: TaskBoard): string {
  if (board.streams.length === 0) return "No tasks.";
  const c = board.counts;
  const lines = [
    `${c.done} done, ${c.in_progress} in progress, ${c.blocked} blocked, ${c.todo} to do`,
  ];
  for (const stream of board.streams) {
    lines.push("", `${stream.stream} ${stream.name}`);
    for (const task of stream.tasks) lines.push(`  ${taskLine(task)}`);
  }
  return lines.join("\n");
}

/** What an agent is told of its tasks: what it holds and what it may take next. */
export function myTasksText(plan: Plan, file: TasksFile, agent: string): string {
  const board = filterBoard(taskBoard(plan, file), { agent });
  const mine = board.streams.flatMap((s) => s.tasks);
  if (mine.length === 0) return `No task on the board is for ${agent}.`;
  const lines = mine.map((t) => `- ${taskLine(t)}`);
  const next = nextTask(plan, file, agent);
  const doing = mine.filter((t) => t.status === "in_progress" && t.agent === agent);
  if (doing.length === 0 && next) {
    lines.push(
      `Start with ${next.id} (${next.title}, ${next.priority}): tower task start ${next.id}`,
    );
  }
  return lines.join("\n");
}

/** The sentence after `tower task start|done|block`, with the next task offered after done. */
export function taskActionText(result: TaskActionResult): string {
  const { task } = result;
  const verb = { start: "started", done: "done", block: "blocked" }[result.action];
  const lines = [
    result.changed
      ? `${verb} ${task.id}: ${task.title}${task.note && result.action === "block" ? ` (${task.note})` : ""}`
      : `${task.id} was already ${STATUS_TEXT[task.status]}: nothing changed`,
  ];
  if (result.action === "done") {
    if (result.unblocked.length > 0) {
      lines.push(`can start now: ${result.unblocked.map((t) => t.id).join(", ")}`);
    }
    lines.push(
      result.next
        ? `next for ${task.agent ?? "you"}: ${result.next.id} (${result.next.title}, ${result.next.priority}): tower task start ${result.next.id}`
        : `no task is waiting for ${task.agent ?? "you"}`,
    );
  }
  return lines.join("\n");
}
