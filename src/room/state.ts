/**
 * The room's state: what every client shows, as plain data in one vanilla zustand store built
 * from slices. The room's services write it (the state-file watcher, the conflict scanner, the
 * agents' sessions); clients mirror it (in the same process, the control room's store holds
 * these slices itself; over a socket, the room's events carry them).
 */

import { createStore, type StateCreator, type StoreApi } from "zustand/vanilla";
import type { ConflictWarning } from "../engine/conflicts/index.js";
import type { LockInfo } from "../engine/locks.js";
import type { ActivityEntry, Handoff } from "../engine/state/formats.js";
import type { StatusReport } from "../engine/status.js";
import type { TaskRow } from "../engine/tasks/index.js";
import type { CopyStatus } from "./copy-mode.js";

export const ACTIVITY_LIMIT = 500;

export type AgentStatus = "starting" | "running" | "idle" | "waiting" | "exited";

export interface AgentView {
  id: string;
  stream: string;
  task: string;
  branch: string;
  status: AgentStatus;
  /** The agent's role (its name), if the plan gives it one. */
  role?: string;
  /** What told the status: the agent's hooks, its title or OSC, the screen, its output. */
  source?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** Exited because Tower stopped it (not a failure, whatever its code). */
  stopped?: boolean;
  /** When the status last changed (ms since the epoch), to tell the newest waiting agent. */
  since?: number;
  /**
   * Why Tower did not start it (a refused launch, a command that cannot run), until it starts
   * again: its pane says so to every client, also those that attach later.
   */
  failure?: string;
}

export interface CheckpointRow {
  id: string;
  status: string;
  kind: "approval" | "run" | "gate";
  dependsOn: string[];
  waitingFor: string[];
}

/** What the user is asked before an untrusted plan's agents start: every command, or what changed. */
export interface TrustQuestion {
  title: string;
  lines: string[];
}

export interface ProjectSlice {
  status: StatusReport | undefined;
  /** A problem reading the plan or the state, shown instead of hiding it. */
  problem: string | undefined;
  /** The plan is not trusted on this machine: no agent starts until the user answers this. */
  trustQuestion: TrustQuestion | undefined;
  setStatus(status: StatusReport): void;
  setProblem(problem: string | undefined): void;
  setTrustQuestion(question: TrustQuestion | undefined): void;
}

export interface PaneFrame {
  rows: string[];
  cols: number;
  /** Scrolled back by this many lines (0: live). */
  offset: number;
  /** The pane is in copy mode (src/room/copy-mode.ts): where its cursor is, what it selects. */
  copy?: CopyStatus;
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
    exit?: { code: number | null; signal: string | null; stopped?: true; failure?: string },
    source?: string,
  ): void;
  /** New screens for some panes, in one update (the frame clock's tick). */
  setFrames(frames: Record<string, PaneFrame>): void;
  removeAgent(id: string): void;
}

/** The agents of the room not exited, in pane order. */
export function runningAgents(s: Pick<AgentsSlice, "agents" | "agentOrder">): string[] {
  return s.agentOrder.filter((id) => {
    const status = s.agents[id]?.status;
    return status !== undefined && status !== "exited";
  });
}

/** A stream gone from streams.yaml while its agents still run in the room (see orphans.ts). */
export interface OrphanedStream {
  stream: string;
  /** Its agents running (or starting) in the room, in pane order. */
  agents: string[];
}

export interface OrphansSlice {
  /** Streams the user has not decided about yet: keep their agents running, or stop them. */
  orphans: OrphanedStream[];
  setOrphans(orphans: OrphanedStream[]): void;
}

/** A snapshot of a stream worktree's uncommitted work (engine/git/snapshot.ts), as listed. */
export interface SnapshotRow {
  stream: string;
  commit: string;
  /** When it was taken (ISO time). */
  at: string;
  /** What it was taken for ("before A1's Bash", "after A1's PostToolUse"). */
  message: string;
  /** The files it holds that differ from the commit it was taken on. */
  files: string[];
}

export interface SharedStateSlice {
  locks: LockInfo[];
  conflicts: ConflictWarning[];
  conflictError: string | undefined;
  checkpoints: CheckpointRow[];
  tasks: TaskRow[];
  activity: ActivityEntry[];
  handoffs: Handoff[];
  /** Newest first, capped (see snapshot-rows.ts). */
  snapshots: SnapshotRow[];
  setLocks(locks: LockInfo[]): void;
  setConflicts(conflicts: ConflictWarning[], error?: string): void;
  setCheckpoints(checkpoints: CheckpointRow[]): void;
  setTasks(tasks: TaskRow[]): void;
  setActivity(entries: ActivityEntry[]): void;
  setHandoffs(handoffs: Handoff[]): void;
  setSnapshots(snapshots: SnapshotRow[]): void;
}

export type RoomState = ProjectSlice & AgentsSlice & OrphansSlice & SharedStateSlice;

/** A store with the room's slices (the control room's store has them too, and more). */
export type RoomStore = StoreApi<RoomState>;

/** The room's data, without its setters: what travels to clients. */
export type RoomData = Omit<
  RoomState,
  {
    [K in keyof RoomState]: RoomState[K] extends (...args: never[]) => unknown ? K : never;
  }[keyof RoomState]
>;

/** The keys of the room's data, in the order a new client receives them. */
export const ROOM_DATA_KEYS = [
  "status",
  "problem",
  "trustQuestion",
  "agents",
  "agentOrder",
  "orphans",
  "locks",
  "conflicts",
  "conflictError",
  "checkpoints",
  "tasks",
  "activity",
  "handoffs",
  "snapshots",
  "frames",
] as const satisfies readonly (keyof RoomData)[];

type Slice<T> = StateCreator<RoomState, [], [], T>;

export const createProjectSlice: Slice<ProjectSlice> = (set) => ({
  status: undefined,
  problem: undefined,
  trustQuestion: undefined,
  setStatus: (status) => set({ status }),
  setProblem: (problem) => set({ problem }),
  setTrustQuestion: (trustQuestion) => set({ trustQuestion }),
});

export const createAgentsSlice: Slice<AgentsSlice> = (set) => ({
  agents: {},
  agentOrder: [],
  frames: {},
  upsertAgent: (agent) =>
    set((s) => {
      const next = { ...s.agents[agent.id], ...agent };
      // Starting again: why it did not start the last time is over.
      if (next.status !== "exited") delete next.failure;
      return {
        agents: { ...s.agents, [agent.id]: next },
        agentOrder: s.agentOrder.includes(agent.id) ? s.agentOrder : [...s.agentOrder, agent.id],
      };
    }),
  setAgentStatus: (id, status, exit, source) =>
    set((s) => {
      const agent = s.agents[id];
      if (!agent) return {};
      const next = { ...agent, status, exitCode: exit?.code ?? null, signal: exit?.signal ?? null };
      if (exit?.stopped) next.stopped = true;
      else delete next.stopped;
      if (exit?.failure !== undefined) next.failure = exit.failure;
      else delete next.failure;
      if (agent.status !== status) next.since = Date.now();
      if (source !== undefined) next.source = source;
      else delete next.source;
      return { agents: { ...s.agents, [id]: next } };
    }),
  setFrames: (frames) => set((s) => ({ frames: { ...s.frames, ...frames } })),
  removeAgent: (id) =>
    set((s) => {
      const { [id]: _agent, ...agents } = s.agents;
      const { [id]: _frame, ...frames } = s.frames;
      return { agents, frames, agentOrder: s.agentOrder.filter((a) => a !== id) };
    }),
});

export const createOrphansSlice: Slice<OrphansSlice> = (set) => ({
  orphans: [],
  setOrphans: (orphans) => set({ orphans }),
});

export const createSharedStateSlice: Slice<SharedStateSlice> = (set) => ({
  locks: [],
  conflicts: [],
  conflictError: undefined,
  checkpoints: [],
  tasks: [],
  activity: [],
  handoffs: [],
  snapshots: [],
  setLocks: (locks) => set({ locks }),
  setConflicts: (conflicts, error) => set({ conflicts, conflictError: error }),
  setCheckpoints: (checkpoints) => set({ checkpoints }),
  setTasks: (tasks) => set({ tasks }),
  setActivity: (entries) => set({ activity: entries.slice(-ACTIVITY_LIMIT) }),
  setHandoffs: (handoffs) => set({ handoffs }),
  setSnapshots: (snapshots) => set({ snapshots }),
});

/**
 * The room's slices for any store whose state includes them (the room's own, or a control
 * room's that also holds its own UI state).
 */
export function roomSlices<S extends RoomState>(
  set: StoreApi<S>["setState"],
  get: StoreApi<S>["getState"],
  api: StoreApi<S>,
): RoomState {
  // The slices only read and write the room's keys: the wider store is a room store to them.
  const args = [set, get, api] as unknown as Parameters<Slice<RoomState>>;
  return {
    ...createProjectSlice(...args),
    ...createAgentsSlice(...args),
    ...createOrphansSlice(...args),
    ...createSharedStateSlice(...args),
  };
}

/** The room's own store (a server's; in-process, the control room's store serves as it). */
export function createRoomStore(): RoomStore {
  return createStore<RoomState>()((set, get, api) => roomSlices(set, get, api));
}
