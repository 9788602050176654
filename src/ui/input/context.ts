/** What the key table needs to know about the current state, derived from the store. */
import type { KeyContext } from "../keys/table.js";
import type { AppState } from "../store/slices.js";
import { commentsAtCursor } from "../view/diff.js";
import { tabRecords } from "../view/rows.js";

/** The parts of the state the key context reads (so components can select just these). */
export type KeyState = Pick<
  AppState,
  | "mode"
  | "selected"
  | "agents"
  | "agentOrder"
  | "status"
  | "tab"
  | "tabRow"
  | "checkpoints"
  | "tasks"
  | "locks"
  | "zoomed"
  | "hosted"
  | "pasteBuffer"
  | "activity"
  | "handoffs"
  | "snapshots"
  | "conflicts"
  | "review"
>;

export const selectKeyState = (s: AppState): KeyState => ({
  mode: s.mode,
  selected: s.selected,
  agents: s.agents,
  agentOrder: s.agentOrder,
  status: s.status,
  tab: s.tab,
  tabRow: s.tabRow,
  checkpoints: s.checkpoints,
  tasks: s.tasks,
  locks: s.locks,
  zoomed: s.zoomed,
  hosted: s.hosted,
  pasteBuffer: s.pasteBuffer,
  activity: s.activity,
  handoffs: s.handoffs,
  snapshots: s.snapshots,
  conflicts: s.conflicts,
  review: s.review,
});

export function keyContext(s: KeyState): KeyContext {
  const agent = s.selected ? s.agents[s.selected] : undefined;
  const stream = agent ? s.status?.streams.find((x) => x.id === agent.stream) : undefined;
  const pending = s.status?.streams.filter((x) => x.status === "pending") ?? [];
  const startable = pending.filter((x) => x.can_start).map((x) => x.id);
  const checkpoint =
    s.tab === "checkpoints"
      ? s.checkpoints[Math.min(s.tabRow, s.checkpoints.length - 1)]
      : undefined;
  const lock = s.tab === "locks" ? s.locks[Math.min(s.tabRow, s.locks.length - 1)] : undefined;
  const task = s.tab === "tasks" ? s.tasks[Math.min(s.tabRow, s.tasks.length - 1)] : undefined;
  const snapshot =
    s.tab === "snapshots" ? s.snapshots[Math.min(s.tabRow, s.snapshots.length - 1)] : undefined;
  return {
    mode: s.mode,
    agentCount: s.agentOrder.length,
    selectedAgent: agent
      ? {
          id: agent.id,
          stream: agent.stream,
          status: agent.status,
          streamStatus: stream?.status ?? "pending",
        }
      : undefined,
    mergeTarget: mergeTarget(s),
    mergeBlocker: stream
      ? `${stream.id} is ${stream.status.replace("_", " ")} and no other stream is completed: complete one first (c)`
      : "no stream is completed yet",
    waitingCount: s.agentOrder.filter((id) => s.agents[id]?.status === "waiting").length,
    startableStreams: startable,
    startBlocker: pending.length ? (pending[0]?.reason ?? undefined) : "every stream has started",
    activeTab: s.tab,
    selectedCheckpoint: checkpoint
      ? {
          id: checkpoint.id,
          kind: checkpoint.kind,
          status: checkpoint.status,
          waitingFor: checkpoint.waitingFor,
        }
      : undefined,
    selectedLock: lock ? { path: lock.path } : undefined,
    selectedSnapshot: snapshot ? { stream: snapshot.stream, commit: snapshot.commit } : undefined,
    selectedTask: task
      ? { id: task.id, status: task.status, waitingFor: task.waiting_for }
      : undefined,
    zoomed: s.zoomed,
    canDetach: s.hosted,
    pasteBuffer: s.pasteBuffer !== undefined,
    tabRows: tabRecords(s, s.tab).length,
    ...(s.review && {
      diff: {
        onLine: s.review.rows[s.review.cursor]?.kind === "line",
        onComment: commentsAtCursor(s.review).length > 0,
        comments: s.review.comments.length,
        agent: s.review.agent,
      },
    }),
  };
}

/** The stream `m` merges: the selected agent's when it is completed, else the first completed one in merge order. */
export function mergeTarget(s: KeyState): string | undefined {
  const done = (id: string | undefined) => {
    const st = s.status?.streams.find((x) => x.id === id)?.status;
    return st === "completed" || st === "merge_failed";
  };
  const own = s.selected ? s.agents[s.selected]?.stream : undefined;
  if (own && done(own)) return own;
  return s.status?.merge_order.find((id) => done(id));
}
