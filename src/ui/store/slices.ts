/**
 * The control room's state: one vanilla zustand store built from typed slices. Services write
 * to it (state-file watcher, conflict scanner, agent sessions); components select narrowly and
 * call actions. Only plain data lives here.
 */
import type { StateCreator } from "zustand/vanilla";
import type { ConflictWarning } from "../../engine/conflicts/index.js";
import type { LockInfo } from "../../engine/locks.js";
import type { ActivityEntry, Handoff } from "../../engine/state/formats.js";
import type { StatusReport } from "../../engine/status.js";
import type { TaskRow } from "../../engine/tasks/index.js";
import type { Mode } from "../keys/table.js";
import type { ColorMode } from "../view/color.js";
import type { AgentStatus, AgentView, CheckpointRow, Tab } from "../view/model.js";

export const ACTIVITY_LIMIT = 500;

export interface ProjectSlice {
  status: StatusReport | undefined;
  /** A problem reading the plan or the state, shown instead of hiding it. */
  problem: string | undefined;
  setStatus(status: StatusReport): void;
  setProblem(problem: string | undefined): void;
}

export interface PaneFrame {
  rows: string[];
  cols: number;
  /** Scrolled back by this many lines (0: live). */
  offset: number;
}

export interface AgentsSlice {
  agents: Record<string, AgentView>;
  /** Pane order: streams in plan order, agents in plan order. */
  agentOrder: string[];
  frames: Record<string, PaneFrame>;
  upsertAgent(agent: AgentView): void;
  setAgentStatus(
    id: string,
    status: AgentStatus,
    exit?: { code: number | null; signal: string | null },
    source?: string,
  ): void;
  /** New screens for some panes, in one update (the frame clock's tick). */
  setFrames(frames: Record<string, PaneFrame>): void;
  removeAgent(id: string): void;
}

export interface SharedStateSlice {
  locks: LockInfo[];
  conflicts: ConflictWarning[];
  conflictError: string | undefined;
  checkpoints: CheckpointRow[];
  tasks: TaskRow[];
  activity: ActivityEntry[];
  handoffs: Handoff[];
  setLocks(locks: LockInfo[]): void;
  setConflicts(conflicts: ConflictWarning[], error?: string): void;
  setCheckpoints(checkpoints: CheckpointRow[]): void;
  setTasks(tasks: TaskRow[]): void;
  setActivity(entries: ActivityEntry[]): void;
  setHandoffs(handoffs: Handoff[]): void;
}

export type Modal =
  | { kind: "confirm"; title: string; lines: string[]; confirmLabel: string; onConfirm: () => void }
  | {
      kind: "pick";
      title: string;
      options: string[];
      selected: number;
      onPick: (option: string) => void;
    }
  | {
      kind: "input";
      title: string;
      /** Context shown above the field. */
      lines?: string[];
      label: string;
      value: string;
      onSubmit: (value: string) => void;
    }
  | { kind: "text"; title: string; lines: string[]; offset: number };

export interface UiSlice {
  mode: Mode;
  selected: string | undefined;
  tab: Tab;
  /** Selected row in the active tab (locks, checkpoints, ...). */
  tabRow: number;
  zoomed: boolean;
  helpOpen: boolean;
  modal: Modal | undefined;
  flash: { text: string; until: number } | undefined;
  size: { cols: number; rows: number };
  /** What the terminal can show: no colour (NO_COLOR), the 16 standard colours, or all. */
  colorMode: ColorMode;
  setMode(mode: Mode): void;
  select(id: string | undefined): void;
  setTab(tab: Tab): void;
  setTabRow(row: number): void;
  setZoomed(zoomed: boolean): void;
  setHelpOpen(open: boolean): void;
  openModal(modal: Modal): void;
  closeModal(): void;
  showFlash(text: string, ms?: number): void;
  setSize(cols: number, rows: number): void;
}

export type AppState = ProjectSlice & AgentsSlice & SharedStateSlice & UiSlice;
type Slice<T> = StateCreator<AppState, [], [], T>;

export const createProjectSlice: Slice<ProjectSlice> = (set) => ({
  status: undefined,
  problem: undefined,
  setStatus: (status) => set({ status }),
  setProblem: (problem) => set({ problem }),
});

export const createAgentsSlice: Slice<AgentsSlice> = (set) => ({
  agents: {},
  agentOrder: [],
  frames: {},
  upsertAgent: (agent) =>
    set((s) => ({
      agents: { ...s.agents, [agent.id]: { ...s.agents[agent.id], ...agent } },
      agentOrder: s.agentOrder.includes(agent.id) ? s.agentOrder : [...s.agentOrder, agent.id],
      selected: s.selected ?? agent.id,
    })),
  setAgentStatus: (id, status, exit, source) =>
    set((s) => {
      const agent = s.agents[id];
      if (!agent) return {};
      const next = { ...agent, status, exitCode: exit?.code ?? null, signal: exit?.signal ?? null };
      if (source !== undefined) next.source = source;
      else delete next.source;
      return { agents: { ...s.agents, [id]: next } };
    }),
  setFrames: (frames) => set((s) => ({ frames: { ...s.frames, ...frames } })),
  removeAgent: (id) =>
    set((s) => {
      const { [id]: _agent, ...agents } = s.agents;
      const { [id]: _frame, ...frames } = s.frames;
      const agentOrder = s.agentOrder.filter((a) => a !== id);
      return {
        agents,
        frames,
        agentOrder,
        selected: s.selected === id ? agentOrder[0] : s.selected,
      };
    }),
});

export const createSharedStateSlice: Slice<SharedStateSlice> = (set) => ({
  locks: [],
  conflicts: [],
  conflictError: undefined,
  checkpoints: [],
  tasks: [],
  activity: [],
  handoffs: [],
  setLocks: (locks) => set({ locks }),
  setConflicts: (conflicts, error) => set({ conflicts, conflictError: error }),
  setCheckpoints: (checkpoints) => set({ checkpoints }),
  setTasks: (tasks) => set({ tasks }),
  setActivity: (entries) => set({ activity: entries.slice(-ACTIVITY_LIMIT) }),
  setHandoffs: (handoffs) => set({ handoffs }),
});

export const createUiSlice: Slice<UiSlice> = (set) => ({
  mode: "normal",
  selected: undefined,
  tab: "locks",
  tabRow: 0,
  zoomed: false,
  helpOpen: false,
  modal: undefined,
  flash: undefined,
  size: { cols: 80, rows: 24 },
  colorMode: "full",
  setMode: (mode) => set({ mode }),
  select: (selected) => set({ selected }),
  setTab: (tab) => set({ tab, tabRow: 0 }),
  setTabRow: (tabRow) => set({ tabRow: Math.max(0, tabRow) }),
  setZoomed: (zoomed) => set({ zoomed }),
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  openModal: (modal) => set({ modal }),
  closeModal: () => set({ modal: undefined }),
  showFlash: (text, ms = 4000) => set({ flash: { text, until: Date.now() + ms } }),
  setSize: (cols, rows) => set({ size: { cols, rows } }),
});
