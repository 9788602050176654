/** What the key table needs to know about the current state, derived from the store. */
import type { KeyContext } from "../keys/table.js";
import type { AppState } from "../store/slices.js";

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
  | "locks"
  | "zoomed"
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
  locks: s.locks,
  zoomed: s.zoomed,
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
  return {
    mode: s.mode,
    agentCount: s.agentOrder.length,
    selectedAgent: agent
      ? {
          id: agent.id,
          stream: agent.stream,
          status: agent.status,
          streamStatus: stream?.status ?? "pending",
          mergeBlocker:
            stream && stream.status !== "completed" && stream.status !== "merge_failed"
              ? `${stream.id} is ${stream.status.replace("_", " ")}: complete it first (c)`
              : undefined,
        }
      : undefined,
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
    zoomed: s.zoomed,
  };
}
