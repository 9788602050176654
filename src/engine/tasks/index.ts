export {
  changeTask,
  type TaskAction,
  type TaskActionRequest,
  type TaskActionResult,
} from "./actions.js";
export {
  findTaskSpec,
  mayTake,
  nextTask,
  openTasks,
  PRIORITY_ORDER,
  planTasks,
  type StreamTasks,
  TASK_STATUSES,
  type TaskBoard,
  type TaskCounts,
  type TaskRow,
  taskBoard,
  taskRow,
} from "./board.js";
export {
  type BoardFilter,
  boardText,
  filterBoard,
  myTasksText,
  taskActionText,
  taskLine,
} from "./text.js";
