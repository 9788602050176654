/**
 * The agents' sessions: one pseudo-terminal per agent of every stream in progress, in the
 * stream's worktree, kept in step with the store.
 *
 * - `sync(status)` starts the agents of `in_progress` streams that have no session yet (the
 *   manager follows the store's `status`, so a stream started from another terminal gets its
 *   agents too). On the first sync after the control room opens, `resume: true` continues the
 *   agents' previous conversations; streams started later start fresh. Agents of streams that
 *   are no longer in progress stay (exited or not) until removed.
 * - Session events go to the store: status changes (`setAgentStatus`, and `agents.json` in the
 *   state directory for other tools) and screen frames. Frames run on one clock for all panes:
 *   at most ~30 store updates a second, each carrying every pane that changed (`setFrames`), so
 *   eight flooding agents cost no more renders than one. The first update after input skips the
 *   clock and is pushed at once on its own (keystroke echo), and so is a scrolled view.
 * - `layout()` gives each visible pane's program the size of its pane.
 * - Before the first agent starts, agents that a previous Tower left running (pids in
 *   `agents.json` that are alive and are really those agents) are stopped: this Tower does not
 *   hold their terminals, so it cannot adopt them, and must not run a second copy beside them.
 *   One still run by another live Tower (which holds its terminal) is left to it, not started.
 * - `agents.json` says what is true when it is written: each write takes the sessions' state at
 *   that moment, so the last one, after the last exit, says exited (pid null, code or signal).
 *   `close()` waits for starts under way and for the writes.
 */

import path from "node:path";
import { agentCli, choosesSession } from "../agents/launch.js";
import { selfCommand } from "../agents/self.js";
import { uncommittedIn } from "../engine/git/diff.js";
import { lockNamesFold, locksOverlap, releaseAutoLocks } from "../engine/locks.js";
import type { AgentCommand, AgentSpec } from "../engine/plan/index.js";
import type { Project } from "../engine/project.js";
import { roleLabel } from "../engine/roles.js";
import type { AgentsFile } from "../engine/state/formats.js";
import { TOWER_AGENT } from "../engine/state/store.js";
import { toUtcIso } from "../engine/state/time.js";
import type { StatusReport } from "../engine/status.js";
import { requireTrust, type TrustState, trustPlan, trustState } from "../engine/trust.js";
import {
  type AnnouncedStatus,
  DEFAULT_ESCAPE_KEY,
  DEFAULT_STOP_GRACE_MS,
  type ExitInfo,
  findAgentProcess,
  inferPreset,
  isAlive,
  type Launch,
  runningTower,
  Session,
  type SessionOptions,
  type SessionStatus,
  splitInput,
  stopLeftover,
} from "../pty/index.js";
import { AnnouncementFeed } from "./announcements.js";
import { type CopyAction, CopyMode, type CopyStatus, type History } from "./copy-mode.js";
import { planLaunch, recordCodexSession, recordedTranscript } from "./launch.js";
import { MAX_SCREEN, paneContentSize, screenLayout, visiblePanes } from "./layout.js";
import { errorMessage } from "./serial.js";
import { settleTranscript } from "./settle.js";
import type { PaneFrame, RoomStore, TrustQuestion } from "./state.js";
import { IDLE_SETTLE_MS, releaseUnmadeWrites } from "./turn-locks.js";

/** The frame clock: at most one frame update of the store per interval (but see `typed`). */
export const FRAME_INTERVAL_MS = 33;

export type CommandOverride = AgentCommand | ((agent: AgentSpec) => AgentCommand | undefined);

/** Session options the manager passes through to every session. */
export type SessionDefaults = Partial<
  Pick<
    SessionOptions,
    | "env"
    | "log"
    | "stopGraceMs"
    | "escapeKey"
    | "scrollback"
    | "runningMs"
    | "syncTimeoutMs"
    | "highWaterMark"
    | "lowWaterMark"
  >
>;

export interface SessionManagerOptions {
  /** Resume the previous conversations of the agents started by the first sync. */
  resume?: boolean;
  /** A command for every agent (or per agent; undefined keeps the plan's), e.g. for tests. */
  commandOverride?: CommandOverride;
  /** Passed to every session. */
  session?: SessionDefaults;
  /** The frame clock's interval (default 33 ms). */
  frameIntervalMs?: number;
  /** Where start failures, write errors and notices go (the clients' message line). */
  onMessage?: (message: string) => void;

  /** How agents' hooks, guard and MCP server run `tower` (default: this process's own). */
  tower?: readonly string[];
  /** The room's hook endpoint (room/hook-endpoint.ts), given to every agent. */
  hookSocket?: string;
}

export function trustQuestion(
  planFile: string,
  trust: Exclude<TrustState, { trusted: true }>,
): TrustQuestion {
  return {
    title: trust.reason === "new" ? "Trust this plan?" : "The plan's commands changed",
    lines: [
      `${planFile} would run these commands on this machine${trust.reason === "changed" ? " (+ new or changed, - gone)" : ""}:`,
      ...(trust.reason === "new"
        ? [...trust.commands].map(([w, c]) => `  ${w}: ${c}`)
        : trust.changes),
      "Nothing of it runs until you trust it (as `tower trust` does).",
    ],
  };
}

export interface LayoutRequest {
  cols: number;
  rows: number;
  zoomed: boolean;
  /** The selected agent: the zoomed pane, and the page shown. */
  selected?: string | undefined;
  /** The client types into the selected agent: only its pane then shows a cursor. */
  insert?: boolean | undefined;
  /** The rows the client's bottom panel needs (see `screenLayout`); unknown: its most. */
  panel?: number | undefined;
}

export interface PaneSize {
  cols: number;
  rows: number;
}

/** The content size of every visible pane (see `visiblePanes`). */
export function visiblePaneSizes(
  order: readonly string[],
  request: LayoutRequest,
): Map<string, PaneSize> {
  const grid = screenLayout(request.cols, request.rows, request).grid;
  return new Map(
    visiblePanes(order, request.selected, grid, request.zoomed).map(({ id, rect }) => [
      id,
      paneContentSize(rect),
    ]),
  );
}

interface Entry {
  id: string;
  spec: AgentSpec;
  session: Session;
  /** The plan's command (or the test's override) and the worktree it runs in. */
  command: AgentCommand;
  worktree: string;
  /** Scrolled back this many lines (0: live). */
  offset: number;
  /** The pane's copy mode, while it is in it (its view then sets the offset). */
  copy?: CopyMode | undefined;
  /** A pane of the user's own (a shell, an editor): not an agent, not recorded, gone at exit. */
  extra?: boolean;
  /**
   * Lines the history had received by the last frame (its length and those gone from its top), to
   * keep a scrolled view on its lines as output arrives, also once the history is full.
   */
  historyTotal: number;
  /** The screen changed since its last frame: the clock's next tick takes one. */
  dirty: boolean;
  /** Push the next update at once: input was just sent. */
  immediate: boolean;
  disposed: boolean;
  off: (() => void)[];
  /** When the agent last announced something through its hooks (ms since the epoch). */
  announcedAt?: number;
  /** Runs once the agent has been idle for IDLE_SETTLE_MS (see turn-locks.ts). */
  idleTimer?: NodeJS.Timeout | undefined;
}

/** `work`, kept in `set` until it settles (for a close that waits on what is under way). */
function keptUntilSettled<T>(set: Set<Promise<unknown>>, work: Promise<T>): Promise<T> {
  const kept = work.finally(() => set.delete(kept));
  set.add(kept);
  return kept;
}

export class SessionManager {
  private readonly entries = new Map<string, Entry>();
  /** Agents whose start failed (until restarted by hand). */
  private readonly failed = new Map<string, string>();
  /** Agents removed by hand: not started again by a sync. */
  private readonly removed = new Set<string>();
  private readonly frameInterval: number;
  private readonly unsubscribe: () => void;
  private lastLayout: LayoutRequest | undefined;
  /** The frame clock's pending tick, and when it last ticked. */
  private tick: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private synced = false;
  private readonly announcements: AnnouncementFeed;
  /** The user was asked to trust the plan (once per opening, until answered). */
  private trustAsked = false;
  private closed = false;
  private agentsWrites: Promise<void> = Promise.resolve();
  /** Entries whose state the next agents.json write takes. */
  private readonly unrecorded = new Set<Entry>();
  /** A write is queued that has not begun: it will take every entry in `unrecorded`. */
  private recordQueued = false;
  /** Starts under way (close waits for them). */
  private readonly launches = new Set<Promise<unknown>>();
  /** The activity log's writes for starts and exits (and an exit's lock release) under way. */
  private readonly logWrites = new Set<Promise<unknown>>();
  /** The previous Tower's agents stopped (once, before the first start). */
  private leftovers: Promise<void> | undefined;
  /** Agents run by another live Tower: agent -> its process. Not started here while it runs. */
  private readonly elsewhere = new Map<string, number>();

  constructor(
    private readonly project: Project,
    private readonly store: RoomStore,
    private readonly options: SessionManagerOptions = {},
  ) {
    this.frameInterval = options.frameIntervalMs ?? FRAME_INTERVAL_MS;
    // What agents announce through their hooks goes to their sessions as it arrives.
    this.announcements = new AnnouncementFeed(project.store, (agent, status) =>
      this.announce(agent, status),
    );
    void this.announcements.start();
    this.unsubscribe = store.subscribe((state, previous) => {
      if (state.status && state.status.streams !== previous.status?.streams) {
        void this.sync(state.status);
      }
    });
  }

  /** Starts the agents of in-progress streams that have no session yet; see the module comment. */
  async sync(status: StatusReport): Promise<void> {
    if (this.closed) return;
    this.leftovers ??= this.stopLeftovers();
    await this.leftovers;
    if (this.closed) return;
    // The first launch resumes: an opening with nothing to start, or with agents that start,
    // ends it; one that only asks for trust does not (the agents start once trusted).
    const resume = this.options.resume === true && !this.synced;
    const fresh: { spec: AgentSpec; worktree: string; branch: string }[] = [];
    for (const stream of status.streams) {
      const spec = this.project.plan.streams.find((s) => s.id === stream.id);
      if (!spec) continue;
      for (const agent of spec.agents) {
        const known = this.store.getState().agents[agent.id];
        if (this.entries.has(agent.id)) {
          if (known && known.branch !== stream.branch) {
            this.store.getState().upsertAgent({ ...known, branch: stream.branch });
          }
          continue;
        }
        // A stream whose merge failed is still being worked on (its agents fix it and retry).
        if (stream.status !== "in_progress" && stream.status !== "merge_failed") continue;
        if (this.failed.has(agent.id) || this.removed.has(agent.id)) continue;
        if (this.runsElsewhere(agent.id) !== undefined) continue;
        fresh.push({
          spec: agent,
          worktree: path.resolve(this.project.repo.mainRoot, stream.worktree),
          branch: stream.branch,
        });
      }
    }
    if (fresh.length === 0) {
      this.synced = true;
      return;
    }
    const trust = await trustState(this.project.plan);
    if (!trust.trusted) {
      this.askTrust(trust);
      return;
    }
    this.synced = true;
    for (const { spec, branch } of fresh) {
      const role = roleLabel(this.project.plan, spec.id);
      this.store.getState().upsertAgent({
        id: spec.id,
        stream: spec.stream,
        task: spec.task,
        branch,
        status: "starting",
        ...(role && { role }),
      });
    }
    // The new panes' sizes, now that they are in the pane order.
    const sizes = this.paneSizes();
    const starts: Promise<void>[] = [];
    for (const { spec, worktree } of fresh) {
      const size = sizes.get(spec.id);
      const entry = this.create(spec, worktree, size);
      if (entry) starts.push(this.launch(entry, resume));
    }
    this.applyLayout(sizes);
    await Promise.all(starts);
  }

  /** Sizes the visible panes' programs for a client's screen (see LayoutRequest). */
  layout(request: LayoutRequest): Map<string, PaneSize> {
    const before = this.cursorOwner();
    const { zoomed, selected, insert, panel } = request;
    const cols = Math.min(request.cols, MAX_SCREEN.cols);
    const rows = Math.min(request.rows, MAX_SCREEN.rows);
    this.lastLayout = { cols, rows, zoomed, selected, insert, panel };
    const sizes = this.paneSizes();
    this.applyLayout(sizes);
    // The cursor moves to the pane being typed into (or goes): both panes are drawn again.
    const after = this.cursorOwner();
    if (before !== after) {
      for (const id of [before, after]) {
        const entry = id === undefined ? undefined : this.entries.get(id);
        if (entry) this.pushFrame(entry);
      }
    }
    return sizes;
  }

  /** The agent whose pane shows its cursor: the one typed into, if any. */
  private cursorOwner(): string | undefined {
    return this.lastLayout?.insert ? this.lastLayout.selected : undefined;
  }

  /**
   * Keyboard bytes for an agent: forwarded up to the escape key (Ctrl-] by default); `escape`
   * says it was pressed (back to normal mode) and `rest` holds what followed it, for Tower.
   */
  input(id: string, data: string): { escape: boolean; rest: string } {
    const entry = this.entries.get(id);
    if (!entry || entry.disposed) {
      // No session to type into: the escape key must still get the user out of insert mode.
      const split = splitInput(data, this.options.session?.escapeKey ?? DEFAULT_ESCAPE_KEY);
      return { escape: split.escape, rest: split.rest };
    }
    const split = entry.session.input(data);
    if (split.forward !== "") this.typed(entry);
    return { escape: split.escape, rest: split.rest };
  }

  paste(id: string, text: string): void {
    const entry = this.live(id);
    if (!entry) return;
    entry.session.paste(text);
    this.typed(entry);
  }

  /** Text Tower gives an agent of its own accord: held while it waits on a question (Session.prompt). */
  prompt(id: string, text: string): void {
    this.live(id)?.session.prompt(text);
  }

  approve(id: string): void {
    const entry = this.live(id);
    if (!entry) return;
    entry.session.approve();
    this.typed(entry);
  }

  deny(id: string): void {
    const entry = this.live(id);
    if (!entry) return;
    entry.session.deny();
    this.typed(entry);
  }

  /**
   * Stops the agent's process (SIGTERM, SIGKILL after the grace period); its pane stays.
   * Resolves once agents.json says it exited: other tools read it next.
   */
  async stop(id: string, graceMs?: number): Promise<ExitInfo | undefined> {
    const entry = this.live(id);
    if (!entry) return undefined;
    const exit = await this.halt(entry, graceMs);
    await this.recorded();
    return exit;
  }

  /**
   * Starts the agent's command again in its worktree on a clean screen (`resume`: continuing
   * its conversation). An agent without a session (removed, or its start failed) is started
   * from the current status.
   */
  async restart(id: string, options: { resume?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    const tower = this.runsElsewhere(id);
    if (tower !== undefined) {
      throw new Error(`${id} runs in another Tower (pid ${tower}): stop it there first`);
    }
    this.failed.delete(id);
    this.removed.delete(id);
    const entry = this.entries.get(id);
    if (!entry) {
      const status = this.store.getState().status;
      const stream = status?.streams.find((s) =>
        this.project.plan.streams.find((p) => p.id === s.id)?.agents.some((a) => a.id === id),
      );
      const spec = this.project.plan.streams
        .find((s) => s.id === stream?.id)
        ?.agents.find((a) => a.id === id);
      if (!stream || !spec) throw new Error(`unknown agent "${id}"`);
      const role = roleLabel(this.project.plan, id);
      this.store.getState().upsertAgent({
        id,
        stream: spec.stream,
        task: spec.task,
        branch: stream.branch,
        status: "starting",
        ...(role && { role }),
      });
      const sizes = this.paneSizes();
      const created = this.create(
        spec,
        path.resolve(this.project.repo.mainRoot, stream.worktree),
        sizes.get(id),
        undefined,
        { quiet: true },
      );
      this.applyLayout(sizes);
      if (created) await this.launch(created, options.resume === true, { quiet: true });
      // The refusal is this command's answer (the pane says it too, see startFailed).
      const failure = this.failed.get(id);
      if (failure !== undefined) throw new Error(`${id}: cannot start: ${failure}`);
      return;
    }
    entry.offset = 0;
    entry.copy = undefined;
    try {
      await this.requireTrust();
      const launch = await this.planFor(entry, options.resume === true);
      if (entry.session.running) await this.halt(entry);
      await entry.session.restart({ launch });
      this.followSession(entry, launch);
      this.started(entry);
      this.recordStatus(entry);
    } catch (error) {
      const message = errorMessage(error);
      // Not running (stopped, or refused before it ran): its pane says why until it starts.
      if (!entry.session.running) this.startFailed(entry.spec, message, { quiet: true });
      throw new Error(`${id}: cannot start: ${message}`);
    }
  }

  /** Scrolls the agent's pane back (positive) or forward (negative), clamped to its history. */
  scroll(id: string, deltaLines: number): number {
    const entry = this.entries.get(id);
    if (!entry || entry.disposed) return 0;
    const history = entry.session.history.length;
    entry.offset = Math.max(0, Math.min(history, entry.offset + Math.trunc(deltaLines)));
    this.pushFrame(entry);
    return entry.offset;
  }

  /**
   * Copy mode on the agent's pane (src/room/copy-mode.ts): `enter` starts it, any other action
   * starts it first; `exit` and a yank end it (a yank returns the text). Undefined: no such pane.
   */
  copy(id: string, action: CopyAction): { status?: CopyStatus; text?: string } | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.disposed) return undefined;
    if (action.do === "exit") {
      this.leaveCopy(entry);
      return {};
    }
    entry.copy ??= new CopyMode(historyOf(entry.session));
    entry.copy.update(historyOf(entry.session));
    const text = entry.copy.apply(action);
    if (action.do === "yank") {
      this.leaveCopy(entry);
      return { text: text ?? "" };
    }
    this.pushFrame(entry);
    return { status: entry.copy.status() };
  }

  private leaveCopy(entry: Entry): void {
    if (!entry.copy) return;
    entry.copy = undefined;
    entry.offset = 0;
    this.pushFrame(entry);
  }

  /** Stops the agent if it runs, releases its session and removes its pane. */
  async remove(id: string): Promise<void> {
    const entry = this.entries.get(id);
    this.removed.add(id);
    this.failed.delete(id);
    if (entry) {
      this.entries.delete(id);
      if (entry.session.running) await this.halt(entry);
      await this.disposeEntry(entry);
    }
    this.store.getState().removeAgent(id);
    this.applyLayout(this.paneSizes());
  }

  /** Stops every session (SIGTERM, SIGKILL after the grace period); resolves when all exited. */
  async stopAll(graceMs?: number): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => this.halt(e, graceMs)));
    await this.recorded();
  }

  /** How long a stop waits between SIGTERM and SIGKILL. */
  get graceMs(): number {
    return this.options.session?.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  }

  /** Ids of the agents whose process is running. */
  running(): string[] {
    return [...this.entries.values()].filter((e) => e.session.running && !e.extra).map((e) => e.id);
  }

  /**
   * Opens a pane of the user's own beside agent `beside`, in its worktree: `command` (a shell,
   * an editor on a file) in its own pseudo-terminal. Not in the plan and not an agent: nothing
   * is recorded of it, and its pane goes when it exits. Returns the pane's id (`A1+shell`...).
   */
  openExtra(beside: string, command: string[], label: string): string {
    const agent = this.entries.get(beside);
    if (!agent || agent.extra) throw new Error(`${beside} is not an agent of this room`);
    if (this.closed) throw new Error("the room is closing");
    let id = `${beside}+${label}`;
    for (let n = 2; this.entries.has(id); n++) id = `${beside}+${label}${n}`;
    const spec: AgentSpec = { id, stream: agent.spec.stream, task: label, command };
    const known = this.store.getState().agents[beside];
    this.store.getState().upsertAgent({
      id,
      stream: spec.stream,
      task: label,
      branch: known?.branch ?? "",
      status: "starting",
    });
    const entry = this.create(spec, agent.worktree, this.paneSizes().get(id), command);
    if (!entry) {
      this.store.getState().removeAgent(id);
      throw new Error(`cannot open ${label} beside ${beside}`);
    }
    entry.extra = true;
    this.applyLayout(this.paneSizes());
    entry.session.start({ command });
    this.pushFrame(entry);
    return id;
  }

  /** The agent's session (for tests and diagnostics). */
  get(id: string): Session | undefined {
    return this.entries.get(id)?.session;
  }

  /** Stops following the store, stops every session and releases them (logs flushed). */
  async close(graceMs?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.announcements.close();
    clearTimeout(this.tick);
    this.tick = undefined;
    // A start under way either started its process (stopped below) or sees `closed` and does not.
    await Promise.all([...this.launches]);
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((e) => this.halt(e, graceMs)));
    await Promise.all(entries.map((e) => this.disposeEntry(e)));
    this.entries.clear();
    await this.recorded();
    // What the exits wrote is on disk before close() returns: nothing is written after it.
    while (this.logWrites.size > 0) await Promise.all([...this.logWrites]);
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    return entry && !entry.disposed ? entry : undefined;
  }

  private commandFor(spec: AgentSpec): AgentCommand {
    const override = this.options.commandOverride;
    if (override === undefined) return spec.command;
    if (typeof override === "function") return override(spec) ?? spec.command;
    return override;
  }

  private create(
    spec: AgentSpec,
    worktree: string,
    size: PaneSize | undefined,
    own?: AgentCommand,
    how: { quiet?: boolean } = {},
  ): Entry | undefined {
    const command = own ?? this.commandFor(spec);
    let session: Session;
    try {
      session = new Session({
        ...this.options.session,
        agent: spec.id,
        stream: spec.stream,
        task: spec.task,
        command,
        worktree,
        repoRoot: this.project.repo.mainRoot,
        stateDir: this.project.store.dir,
        preset: inferPreset(command, spec.preset),
        ...(size ? { cols: size.cols, rows: size.rows } : {}),
        // The user's own pane: no agent identity, no log.
        ...(own !== undefined && { user: true, log: false as const }),
      });
    } catch (error) {
      this.startFailed(spec, errorMessage(error), how);
      return undefined;
    }
    const entry: Entry = {
      id: spec.id,
      spec,
      session,
      command,
      worktree,
      offset: 0,
      historyTotal: 0,
      dirty: false,
      immediate: false,
      disposed: false,
      off: [],
    };
    entry.off.push(
      session.on("status", (change) => {
        if (entry.disposed) return;
        if (entry.extra) {
          // The user's own pane: shown while it runs, gone when it exits.
          if (change.status === "exited") void this.remove(spec.id);
          else this.store.getState().setAgentStatus(spec.id, change.status);
          return;
        }
        this.store.getState().setAgentStatus(spec.id, change.status, change.exit, change.source);
        this.idleChanged(entry, change.status, change.previous);
        if (change.status === "exited") {
          entry.immediate = true; // the last screen lands with the exit, not a tick later
          this.exited(entry, change.exit);
        }
        if (change.status !== change.previous) this.recordStatus(entry);
      }),
      session.on("update", () => this.updated(entry)),
    );
    this.entries.set(spec.id, entry);
    return entry;
  }

  /** Starts the entry's process (resuming the conversation when asked); see `starting`. */
  private launch(entry: Entry, resume: boolean, how: { quiet?: boolean } = {}): Promise<void> {
    return keptUntilSettled(this.launches, this.starting(entry, resume, how));
  }

  private async starting(entry: Entry, resume: boolean, how: { quiet?: boolean }): Promise<void> {
    try {
      // Closing: nothing starts any more (close stops what has started).
      if (this.closed) {
        this.entries.delete(entry.id);
        await this.disposeEntry(entry);
        return;
      }
      const launch = await this.planFor(entry, resume);
      if (this.closed) throw new Error("closing");
      entry.session.start(launch);
      this.followSession(entry, launch);
      this.started(entry);
    } catch (error) {
      this.entries.delete(entry.id);
      await this.disposeEntry(entry);
      if (!this.closed) this.startFailed(entry.spec, errorMessage(error), how);
      return;
    }
    this.recordStatus(entry);
    this.pushFrame(entry);
  }

  /** The command and environment for this start (see room/launch.ts). */
  private planFor(entry: Entry, resume: boolean): Promise<Launch> {
    return planLaunch(this.project, entry.spec, entry.command, entry.worktree, {
      resume,
      tower: this.options.tower ?? selfCommand(),
      env: this.agentEnv(),
      ...(this.options.hookSocket !== undefined && { hookSocket: this.options.hookSocket }),
    });
  }

  /** The activity log says when each agent ran (the run report measures agents' times by it). */
  private started(entry: Entry): void {
    const pid = entry.session.pid;
    keptUntilSettled(
      this.logWrites,
      this.project.store
        .appendActivity({
          agent: entry.id,
          stream: entry.spec.stream,
          action: "agent_started",
          ...(pid !== undefined && { pid }),
        })
        .catch(() => {}),
    );
  }

  /**
   * An agent that exited: logged, and the locks it took by writing (through its hooks) are
   * released, since nobody holds them any more, except on the files it left changed and
   * uncommitted in its worktree: another agent taking one of those would edit what this stream
   * still holds half done (they go when the stream completes or merges, when they expire, or by
   * hand; the agent started again takes them on as it writes). Should git not answer, all stay.
   * Locks it took by hand stay until they expire.
   */
  private exited(entry: Entry, exit: ExitInfo | undefined): void {
    const { store } = this.project;
    keptUntilSettled(
      this.logWrites,
      store
        .appendActivity({
          agent: entry.id,
          stream: entry.spec.stream,
          action: "agent_exited",
          exit_code: exit?.code ?? null,
          signal: exit?.signal ?? null,
        })
        .then(() =>
          // git reads the worktree only when the agent holds such locks.
          releaseAutoLocks(store, { agent: entry.id }, new Date(), async (held) => {
            const changed = await uncommittedIn(entry.worktree);
            const fold = await lockNamesFold(entry.worktree);
            const kept = held.filter(
              (key) =>
                changed === undefined || changed.some((file) => locksOverlap(key, file, fold)),
            );
            if (kept.length > 0)
              this.report(
                `${entry.id} exited: its locks on ${kept.sort().join(", ")} stay (${changed === undefined ? "its worktree could not be read" : "changed and not committed in its worktree"}; u in the Locks tab releases them)`,
              );
            return new Set(kept);
          }),
        )
        .catch((error: unknown) => this.report(`${entry.id}: ${errorMessage(error)}`)),
    );
  }

  /** What an agent announced through its hooks (the room's endpoint heard it). */
  announce(id: string, status: AnnouncedStatus): void {
    const entry = this.live(id);
    if (!entry) return;
    entry.announcedAt = Date.now();
    entry.session.announce(status, "hook");
  }

  /**
   * Stops the entry's process once its CLI has written its conversation (src/room/settle.ts):
   * a stop right after a turn must not lose it.
   */
  private async halt(entry: Entry, graceMs?: number): Promise<ExitInfo | undefined> {
    // An agent that announced nothing since it started here ended no turn (and has no hooks to
    // record a transcript): nothing to wait for, nothing to read.
    if (entry.session.running && entry.announcedAt !== undefined) {
      await settleTranscript({
        transcript: await recordedTranscript(this.project, entry.id),
        announcedAt: entry.announcedAt,
      });
    }
    return entry.session.stop(graceMs);
  }

  private agentEnv(): NodeJS.ProcessEnv {
    return this.options.session?.env ?? process.env;
  }

  /** A Codex agent started afresh names its own session: it is found and recorded. */
  private followSession(entry: Entry, launch: Launch): void {
    const command = launch.command ?? entry.command;
    if (agentCli(command) !== "codex" || choosesSession(command)) return;
    const session = entry.session;
    void recordCodexSession(this.project, entry.spec, entry.worktree, Date.now(), {
      env: this.agentEnv(),
      running: () => !this.closed && !entry.disposed && session.running,
    }).catch((error: unknown) =>
      this.report(`${entry.id}: cannot record its Codex session: ${errorMessage(error)}`),
    );
  }

  /**
   * A plan not trusted on this machine starts no agent (a fresh clone's state must not run its
   * commands): the clients show the user every command and ask, once per opening (`trust()`).
   */
  private askTrust(trust: Exclude<TrustState, { trusted: true }>): void {
    if (this.trustAsked) return;
    this.trustAsked = true;
    this.store.getState().setTrustQuestion(trustQuestion(this.project.plan.file, trust));
  }

  /** The user trusts the plan's commands: recorded, and the agents start. */
  async trust(): Promise<void> {
    await trustPlan(this.project.plan);
    this.trustAsked = false;
    this.store.getState().setTrustQuestion(undefined);
    const status = this.store.getState().status;
    if (status) await this.sync(status);
  }

  /** The plan's agents run only once the user trusts its commands (engine/trust.ts). */
  private requireTrust(): Promise<void> {
    return requireTrust(this.project.plan);
  }

  /**
   * Agent `spec` did not start: its pane says why (AgentView.failure) until it starts, and a sync
   * does not try again. Quiet: the caller answers with the reason (a restart's reply), so the
   * message line does not say it twice.
   */
  private startFailed(spec: AgentSpec, message: string, how: { quiet?: boolean } = {}): void {
    this.failed.set(spec.id, message);
    this.store
      .getState()
      .setAgentStatus(spec.id, "exited", { code: null, signal: null, failure: message });
    if (!how.quiet) this.report(`${spec.id}: cannot start: ${message}`);
  }

  private report(message: string): void {
    this.options.onMessage?.(message);
  }

  /** Input was sent: the next screen update (the echo) is pushed without waiting. */
  private typed(entry: Entry): void {
    entry.immediate = true;
    if (entry.copy) this.leaveCopy(entry);
    else if (entry.offset !== 0) {
      entry.offset = 0; // typing returns to the live screen, as in a terminal
      this.pushFrame(entry);
    }
  }

  private updated(entry: Entry): void {
    if (entry.disposed || this.closed) return;
    if (entry.immediate) {
      entry.immediate = false;
      this.pushFrame(entry);
      return;
    }
    entry.dirty = true;
    if (this.tick !== undefined) return;
    const wait = Math.max(0, this.lastTick + this.frameInterval - Date.now());
    this.tick = setTimeout(() => this.onTick(), wait);
  }

  /** One store update with a frame of every pane whose screen changed since the last tick. */
  private onTick(): void {
    this.tick = undefined;
    this.lastTick = Date.now();
    if (this.closed) return;
    const frames: Record<string, PaneFrame> = {};
    for (const entry of this.entries.values()) {
      if (entry.dirty && !entry.disposed) frames[entry.id] = this.takeFrame(entry);
    }
    if (Object.keys(frames).length > 0) this.store.getState().setFrames(frames);
  }

  /** A frame of this pane alone, now (input, scrolling, a start). */
  private pushFrame(entry: Entry): void {
    if (entry.disposed) return;
    this.store.getState().setFrames({ [entry.id]: this.takeFrame(entry) });
  }

  private takeFrame(entry: Entry): PaneFrame {
    entry.dirty = false;
    const { history } = entry.session;
    const total = history.length + history.dropped;
    const { copy } = entry;
    if (copy) {
      // Copy mode's view is held by its own first line: it stays as output arrives.
      copy.update(historyOf(entry.session));
      entry.historyTotal = total;
      const frame = entry.session.frame({ offset: copy.offset, marks: (l) => copy.marks(l) });
      entry.offset = frame.offset;
      return {
        rows: [...frame.rows],
        cols: frame.cols,
        offset: frame.offset,
        copy: copy.status(),
      };
    }
    // A view scrolled back stays on the same lines while new output pushes the history up (and,
    // once it is full, its oldest lines out).
    if (entry.offset > 0 && total > entry.historyTotal) entry.offset += total - entry.historyTotal;
    entry.historyTotal = total;
    const frame = entry.session.frame({
      offset: entry.offset,
      cursor: entry.id === this.cursorOwner(),
    });
    entry.offset = frame.offset;
    return { rows: [...frame.rows], cols: frame.cols, offset: frame.offset };
  }

  /** The layout of the client that was active last (before any: one 80x24 screen). */
  private currentLayout(): LayoutRequest {
    return this.lastLayout ?? { cols: 80, rows: 24, zoomed: false };
  }

  private paneSizes(): Map<string, PaneSize> {
    const s = this.store.getState();
    return visiblePaneSizes(s.agentOrder, this.currentLayout());
  }

  private applyLayout(sizes: Map<string, PaneSize>): void {
    for (const [id, size] of sizes) {
      const entry = this.entries.get(id);
      if (!entry || entry.disposed) continue;
      const { session } = entry;
      if (session.cols === size.cols && session.rows === size.rows) continue;
      try {
        session.resize(size.cols, size.rows);
      } catch (error) {
        this.report(`${id}: cannot resize: ${errorMessage(error)}`);
      }
    }
  }

  /**
   * An agent idle for IDLE_SETTLE_MS has ended its turn: the provisional locks of writes it did
   * not make go (turn-locks.ts). Any other status before then cancels it.
   */
  private idleChanged(entry: Entry, status: SessionStatus, previous: SessionStatus): void {
    if (status !== "idle") {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
      return;
    }
    if (previous === "idle" || entry.idleTimer !== undefined) return;
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.disposed || this.closed) return;
      const agent = { id: entry.id, stream: entry.spec.stream, worktree: entry.worktree };
      keptUntilSettled(
        this.logWrites,
        releaseUnmadeWrites(this.project, agent).catch((error: unknown) =>
          this.report(`${entry.id}: ${errorMessage(error)}`),
        ),
      );
    }, IDLE_SETTLE_MS);
    entry.idleTimer.unref();
  }

  private async disposeEntry(entry: Entry): Promise<void> {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    entry.dirty = false;
    await entry.session.dispose();
    entry.disposed = true;
    for (const off of entry.off.splice(0)) off();
  }

  /**
   * `agents.json`: the live status of every agent, for other tools. Writes are kept in order, and
   * each takes the state of its agents when it begins, so that no write can put back a status
   * that an exit has ended (the last one written is the true one). While a write waits to begin,
   * changes join it instead of queueing more.
   */
  private recordStatus(entry: Entry): void {
    this.unrecorded.add(entry);
    if (this.recordQueued) return;
    this.recordQueued = true;
    let entries: Entry[] = [];
    this.agentsWrites = this.agentsWrites
      .then(() => {
        // From here on, a change queues another write.
        this.recordQueued = false;
        entries = [...this.unrecorded];
        this.unrecorded.clear();
        return this.project.store.update("agents", (value) => {
          const updated = toUtcIso(new Date());
          for (const e of entries) {
            value.agents[e.id] = { ...value.agents[e.id], ...agentRecord(e, updated) };
          }
        });
      })
      .catch((error: unknown) => {
        // Not written: they go with the next write.
        for (const e of entries) this.unrecorded.add(e);
        this.report(`cannot write agents.json: ${errorMessage(error)}`);
      });
  }

  /** Resolves when every agents.json write asked for so far is on disk. */
  private async recorded(): Promise<void> {
    let writes: Promise<void>;
    do {
      writes = this.agentsWrites;
      await writes;
    } while (writes !== this.agentsWrites);
  }

  /** The Tower running agent `id` elsewhere, while it does (checked again each time). */
  private runsElsewhere(id: string): number | undefined {
    const pid = this.elsewhere.get(id);
    if (pid === undefined) return undefined;
    const agent = findAgentProcess(pid, id, this.project.repo.mainRoot);
    const tower = agent ? runningTower(agent) : undefined;
    if (tower === undefined) this.elsewhere.delete(id);
    return tower;
  }

  /**
   * Before the first start: every agent that agents.json says is not exited is looked at. A
   * live process that is that agent is stopped (SIGTERM, SIGKILL after the grace period) unless
   * another live Tower holds its terminal; a record whose process is gone (or is another
   * program now) is corrected to exited with no pid. Says what it stopped.
   */
  private async stopLeftovers(): Promise<void> {
    let records: AgentsFile["agents"];
    try {
      records = (await this.project.store.read("agents")).agents;
    } catch (error) {
      this.report(`cannot read agents.json: ${errorMessage(error)}`);
      return;
    }
    const root = this.project.repo.mainRoot;
    const grace = this.graceMs;
    const corrections = new Map<
      string,
      { pid: number | null | undefined; signal: string | null }
    >();
    const stopped: { id: string; stream: string; pid: number; signal: string | null }[] = [];
    const others: string[] = [];
    const stuck: string[] = [];
    await Promise.all(
      Object.entries(records).map(async ([id, record]) => {
        if (record.status === "exited" && record.pid == null) return;
        const agent =
          typeof record.pid === "number" ? findAgentProcess(record.pid, id, root) : undefined;
        if (agent === undefined) {
          corrections.set(id, { pid: record.pid, signal: record.signal ?? null });
          return;
        }
        const tower = runningTower(agent);
        if (tower !== undefined) {
          this.elsewhere.set(id, agent.pid);
          others.push(`${id} (Tower pid ${tower})`);
          return;
        }
        const signal = await stopLeftover(agent.pid, grace);
        if (isAlive(agent.pid)) {
          // Not even SIGKILL ended it (stuck in the kernel): no second copy beside it.
          this.failed.set(id, `its previous process ${agent.pid} would not stop`);
          stuck.push(`${id} (pid ${agent.pid})`);
          return;
        }
        stopped.push({ id, stream: record.stream, pid: agent.pid, signal });
        corrections.set(id, { pid: record.pid, signal });
      }),
    );
    if (corrections.size > 0) {
      const updated = toUtcIso(new Date());
      this.agentsWrites = this.agentsWrites
        .then(() =>
          this.project.store.update("agents", (value) => {
            for (const [id, { pid, signal }] of corrections) {
              const current = value.agents[id];
              // Only if no one has recorded another process for it meanwhile.
              if (current === undefined || current.pid !== pid) continue;
              const exit = current.status === "exited";
              value.agents[id] = {
                ...current,
                status: "exited",
                updated,
                pid: null,
                exit_code: exit ? (current.exit_code ?? null) : null,
                signal: exit ? (current.signal ?? null) : signal,
              };
            }
          }),
        )
        .catch((error: unknown) => this.report(`cannot write agents.json: ${errorMessage(error)}`));
    }
    for (const { id, stream, pid, signal } of stopped) {
      await this.project.store
        .appendActivity({
          agent: TOWER_AGENT,
          stream,
          action: "leftover_stopped",
          target: id,
          pid,
          signal,
          reason: "left running by a previous Tower",
        })
        .catch(() => {});
    }
    const said: string[] = [];
    if (stopped.length > 0) {
      const ids = stopped.map((s) => s.id).sort();
      said.push(`stopped ${ids.join(", ")}: left running by a previous Tower`);
    }
    if (others.length > 0) {
      said.push(`not started here, running in another Tower: ${others.sort().join(", ")}`);
    }
    if (stuck.length > 0) {
      said.push(`not started, its previous process would not stop: ${stuck.sort().join(", ")}`);
    }
    if (said.length > 0) this.report(said.join("; "));
  }
}

/** What agents.json says of an agent: its session's state now. */
function agentRecord(entry: Entry, updated: string) {
  const { session } = entry;
  const status = session.status;
  const exit = status === "exited" ? session.exit : undefined;
  return {
    stream: entry.spec.stream,
    status,
    updated,
    pid: status === "exited" ? null : (session.pid ?? null),
    exit_code: exit?.code ?? null,
    signal: exit?.signal ?? null,
  };
}

/** The session's active buffer as copy mode reads it. */
function historyOf(session: Session): History {
  const { terminal, history } = session;
  const baseY = history.length;
  const scratch = terminal.buffer.active.getNullCell();
  return {
    length: baseY + terminal.rows,
    baseY,
    rows: terminal.rows,
    cols: terminal.cols,
    dropped: history.dropped,
    text: (line) => history.getLine(line)?.translateToString(true) ?? "",
    cells: (line) => {
      const got = history.getLine(line);
      if (!got) return [];
      const cells: string[] = [];
      for (let x = 0; x < got.length; x++) {
        const cell = got.getCell(x, scratch);
        if (!cell) break;
        cells.push(cell.getWidth() === 0 ? "" : cell.getChars() || " ");
      }
      while (cells[cells.length - 1] === " ") cells.pop();
      return cells;
    },
  };
}
