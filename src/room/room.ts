/**
 * The headless room: everything of the control room that is not drawing. The project, the
 * agents' sessions, the state watcher, the conflict scanner, the auto gates and the agents' hook
 * endpoint, started together; plain-data commands in (`run`), state in a store and events out.
 * The Ink control room is one client of it: in the same process (tests, `tower --no-server`) it
 * hands the room its own store, and the room writes the room's slices there directly; under
 * `tower server` the room has its own store, and the server sends its changes to each client.
 */
import path from "node:path";

import { guardNotInstalled, installGuard } from "../agents/guard.js";
import { selfCommand } from "../agents/self.js";
import { approveCheckpoint, rejectCheckpoint } from "../engine/checkpoints.js";
import { runGate } from "../engine/gates/index.js";
import { bringBack } from "../engine/git/snapshot.js";
import { handoffFactsFromGit } from "../engine/handoff-git.js";
import { handoffMarkdown, recordHandoff } from "../engine/handoffs.js";
import { releaseLocks } from "../engine/locks.js";
import { cleanUpMerged } from "../engine/orchestrator/cleanup-merged.js";
import { completeStream, completeWarnings } from "../engine/orchestrator/complete.js";
import { mergedLine, mergeStream } from "../engine/orchestrator/merge.js";
import { planMerge } from "../engine/orchestrator/merge-plan.js";
import { startStream } from "../engine/orchestrator/start.js";
import { addAgentToPlan } from "../engine/plan/edit.js";
import type { Project } from "../engine/project.js";
import { signingSeal } from "../engine/seal.js";
import { changeTask, nextTask, taskActionText } from "../engine/tasks/index.js";
import { copiedText } from "../engine/worktree-include.js";
import type {
  HandoffPrefillValue,
  HandoffValue,
  MergePlanValue,
  MergeValue,
  RoomCommand,
  RoomEvent,
  RoomReply,
  TaskMoveValue,
} from "./commands.js";
import { type ConflictScanner, startConflictScanner } from "./conflict-scanner.js";
import { startGateRunner } from "./gate-runner.js";
import { type HookEndpoint, startHookEndpoint } from "./hook-endpoint.js";
import { Notifier } from "./notify.js";
import { OrphanWatch } from "./orphans.js";
import { runReviewCommand } from "./review.js";
import { SessionManager, type SessionManagerOptions } from "./sessions.js";
import { followSnapshots, type SnapshotRows } from "./snapshot-rows.js";
import type { RoomStore } from "./state.js";
import { type StateScope, type StateWatcher, startStateWatcher } from "./state-watcher.js";

/** What can be refreshed by name: a state scope, the conflicts, or everything. */
export type RefreshScope = StateScope | "conflicts" | "all";

export interface RoomOptions extends SessionManagerOptions {
  /** State watcher debounce (default 40 ms). */
  stateDebounceMs?: number;
  /** Conflict scanner debounce (default 500 ms). */
  scanDebounceMs?: number;
  /** Runs git for a stream's diff (default: the stream's branch against the base). */
  diff?: (streamId: string) => Promise<string[]>;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class Room {
  private readonly listeners = new Set<(event: RoomEvent) => void>();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly project: Project,
    readonly store: RoomStore,
    readonly sessions: SessionManager,
    readonly watcher: StateWatcher,
    readonly scanner: ConflictScanner,
    private readonly hooks: HookEndpoint | undefined,
    private readonly gates: { close(): void },
    private readonly notifier: Notifier,
    private readonly orphans: OrphanWatch,
    private readonly snapshots: SnapshotRows,
    private readonly options: RoomOptions,
  ) {}

  /** Starts the room's services on `store`: the state first, then the agents, then the scans. */
  static async open(project: Project, store: RoomStore, options: RoomOptions = {}): Promise<Room> {
    // What the room says while it starts (agents a previous Tower left running, stopped; a
    // recovered state file) is kept until the room has someone to say it to.
    let room: Room | undefined;
    const early: string[] = [];
    const say = (text: string) => {
      if (room) room.emit({ type: "message", text });
      else early.push(text);
    };
    const watcher = await startStateWatcher(project, store, {
      ...(options.stateDebounceMs !== undefined && { debounceMs: options.stateDebounceMs }),
      onMessage: say,
    });
    // Agents' hooks ask the room first (hook-endpoint.ts); their announcements reach the panes.
    let sessions: SessionManager | undefined;
    // The snapshots it takes of the stream worktrees, listed for the control room.
    const snapshots = followSnapshots(project, store);
    const hooks = await startHookEndpoint(
      project,
      (agent, status) => sessions?.announce(agent, status),
      (stream) => snapshots.taken(stream),
    ).catch(() => undefined);
    sessions = new SessionManager(project, store, {
      ...options,
      onMessage: (text) => {
        options.onMessage?.(text);
        say(text);
      },
      ...(hooks && { hookSocket: hooks.socket }),
    });
    const status = store.getState().status;
    if (status) await sessions.sync(status);
    const notifier = new Notifier(project, store, (event) => room?.emit(event), {
      onMessage: say,
    });
    const gates = startGateRunner(project, store, say, (id, _passed, text) =>
      notifier.notice({ event: "gate", stream: id, text }),
    );
    const scanner = startConflictScanner(project, store, {
      ...(options.scanDebounceMs !== undefined && { debounceMs: options.scanDebounceMs }),
    });
    // Agents of a stream gone from the plan keep running, seen, until the user says otherwise.
    const orphans = new OrphanWatch(project, store, sessions, say);
    room = new Room(
      project,
      store,
      sessions,
      watcher,
      scanner,
      hooks,
      gates,
      notifier,
      orphans,
      snapshots,
      options,
    );
    for (const text of early) room.emit({ type: "message", text });
    return room;
  }

  /** Messages said while nobody listened (the room starting, a client not attached yet). */
  private readonly unheard: string[] = [];

  /** Listens to the room's events (messages, a merge's output). */
  on(listener: (event: RoomEvent) => void): () => void {
    this.listeners.add(listener);
    // The first listener hears what was said before anyone listened.
    for (const text of this.unheard.splice(0)) listener({ type: "message", text });
    return () => this.listeners.delete(listener);
  }

  private emit(event: RoomEvent): void {
    if (this.listeners.size === 0) {
      // Kept (the last few) for the first listener; a merge's output goes with its command.
      if (event.type === "message") {
        this.unheard.push(event.text);
        if (this.unheard.length > 20) this.unheard.shift();
      }
      return;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Reads a scope again (or everything); resolves when the store has it. */
  async refresh(scope: RefreshScope = "all"): Promise<void> {
    if (scope === "conflicts") return this.scanner.scanNow();
    if (scope === "all") {
      await this.watcher.refresh();
      await this.scanner.scanNow();
      return;
    }
    return this.watcher.refresh(scope);
  }

  /** Runs a command; never throws (a failure is a reply with the error's first line). */
  async run(command: RoomCommand): Promise<RoomReply> {
    try {
      return await this.execute(command);
    } catch (error) {
      return { ok: false, error: errorText(error).split("\n")[0] ?? "failed" };
    }
  }

  private async execute(command: RoomCommand): Promise<RoomReply> {
    const { project, sessions } = this;
    switch (command.type) {
      case "layout":
        sessions.layout(command);
        return { ok: true };
      case "input":
        sessions.input(command.agent, command.data);
        return { ok: true };
      case "paste":
        sessions.paste(command.agent, command.text);
        return { ok: true };
      case "approve":
        sessions.approve(command.agent);
        return { ok: true };
      case "deny":
        sessions.deny(command.agent);
        return { ok: true };
      case "scroll":
        return { ok: true, value: sessions.scroll(command.agent, command.lines) };
      case "copy": {
        const result = sessions.copy(command.agent, command.action);
        if (!result) return { ok: false, error: `${command.agent} has no pane` };
        return { ok: true, value: result };
      }
      case "stop":
        await sessions.stop(command.agent);
        return { ok: true, text: `stopped ${command.agent}` };
      case "restart":
        await sessions.restart(command.agent);
        return { ok: true, text: `restarted ${command.agent}` };
      case "stream.start": {
        // As `tower start` does: the worktree's commits meet the guard before any agent runs,
        // installed before the start is recorded.
        const result = await startStream(project, command.stream, new Date(), async (worktree) => {
          const guard = await installGuard(
            project.store,
            project.repo.mainRoot,
            worktree,
            this.options.tower ?? selfCommand(),
          );
          return guard.kind === "other"
            ? guardNotInstalled(command.stream, guard.folder)
            : undefined;
        });
        const said = [copiedText(result.copied), ...result.warnings].filter(Boolean);
        return {
          ok: true,
          text: [`started ${command.stream} on ${result.branch}`, ...said].join("; "),
        };
      }
      case "stream.complete": {
        const result = await completeStream(project, command.stream);
        const now = result.nowStartable.length
          ? `; can start now: ${result.nowStartable.join(", ")}`
          : "";
        return {
          ok: true,
          text: [`completed ${command.stream}${now}`, ...completeWarnings(result)].join("; "),
        };
      }
      case "merge.plan": {
        const [plan] = await planMerge(project, command.stream);
        if (!plan) return { ok: false, error: `nothing to merge for ${command.stream}` };
        const value: MergePlanValue = {
          id: plan.id,
          name: plan.name,
          base: plan.base ?? "(no base)",
          mergeOrder: plan.mergeOrder,
          predictedConflicts: plan.predictedConflicts,
          validate: plan.validate,
          blockers: plan.blockers,
        };
        return { ok: true, value };
      }
      case "merge":
        return { ok: true, value: await this.merge(command.stream) };
      case "stream.cleanup":
        return { ok: true, text: await this.cleanUp(command.stream) };
      case "pane.open": {
        const env = this.options.session?.env ?? process.env;
        const argv =
          command.command && command.command.length > 0
            ? command.command
            : [env.SHELL && path.isAbsolute(env.SHELL) ? env.SHELL : "sh"];
        const id = sessions.openExtra(command.beside, argv, command.label);
        return {
          ok: true,
          value: id,
          text: `${id}: ${argv.join(" ")} in ${command.beside}'s worktree (its pane goes when it exits)`,
        };
      }
      case "agent.add": {
        const { agent } = command;
        try {
          await addAgentToPlan(project.plan.file, agent);
        } catch (error) {
          return { ok: false, error: `${agent.id} not added: ${errorText(error).split("\n")[0]}` };
        }
        const running = project.plan.streams.find((s) => s.id === agent.stream);
        const status = this.store.getState().status?.streams.find((s) => s.id === agent.stream);
        return {
          ok: true,
          text:
            running && status?.status === "in_progress"
              ? `added ${agent.id} to stream ${agent.stream} in streams.yaml: it starts now`
              : running
                ? `added ${agent.id} to stream ${agent.stream} in streams.yaml: it starts with its stream (s)`
                : `added stream ${agent.stream} with ${agent.id} to streams.yaml: start it with s`,
        };
      }
      case "handoff.prefill": {
        const stream = project.plan.streams.find((s) =>
          s.agents.some((a) => a.id === command.agent),
        );
        if (!stream) return { ok: false, error: `${command.agent} is not in the plan` };
        const value: HandoffPrefillValue = {
          from: command.agent,
          stream: stream.id,
          facts: await handoffFactsFromGit(project, stream.id, command.agent),
          dependents: project.plan.streams
            .filter((s) => s.dependsOn.includes(stream.id))
            .flatMap((s) => s.agents.map((a) => a.id)),
        };
        return { ok: true, value };
      }
      case "handoff": {
        const handoff = await recordHandoff(project.plan, project.store, {
          from: command.from,
          to: command.to,
          completedTasks: command.completedTasks,
          newInterfaces: command.newInterfaces,
          breakingChanges: command.breakingChanges,
          testStatus: command.testStatus || "unknown",
          ...(command.note && { note: command.note }),
        });
        const stream = project.plan.streams.find((s) =>
          s.agents.some((a) => a.id === command.from),
        );
        const running = new Set(sessions.running());
        const value: HandoffValue = {
          text: handoffMarkdown(handoff, stream?.id ?? ""),
          to: handoff.to_agents,
          running: handoff.to_agents.filter((id) => running.has(id)),
        };
        return { ok: true, text: `handed off to ${handoff.to_agents.join(", ")}`, value };
      }
      case "checkpoint.approve": {
        const result = await approveCheckpoint({
          plan: project.plan,
          store: project.store,
          seal: await signingSeal(project.repo.mainRoot, project.seal),
          id: command.id,
          by: command.by,
        });
        return {
          ok: true,
          text: result.already ? `${command.id} was already approved` : `approved ${command.id}`,
        };
      }
      case "checkpoint.reject":
        if (!command.reason.trim()) return { ok: false, error: "a rejection needs a reason" };
        await rejectCheckpoint({
          plan: project.plan,
          store: project.store,
          seal: project.seal,
          id: command.id,
          by: command.by,
          note: command.reason,
        });
        return { ok: true, text: `rejected ${command.id}` };
      case "checkpoint.run": {
        const result = await runGate(project, command.id);
        const text = result.passed
          ? `${command.id} passed`
          : `${command.id} failed: ${result.note} (log: ${result.logFile})`;
        this.notifier.notice({ event: "gate", stream: command.id, text });
        return { ok: true, text };
      }
      case "task.move": {
        const result = await changeTask(command.action, {
          plan: project.plan,
          store: project.store,
          id: command.id,
          agent: "human",
          ...(command.note !== undefined && { note: command.note }),
        });
        // Its agent (the one the plan assigns it to, or that worked on it), running here, may be
        // given its next task as its next prompt: the client asks first.
        const holder = [result.task.assignee, result.task.agent].find(
          (id): id is string => !!id && sessions.running().includes(id),
        );
        const upcoming =
          result.action === "done" && result.changed && holder && project.plan.nextTask !== "off"
            ? nextTask(project.plan, await project.store.read("tasks"), holder)
            : undefined;
        const next = upcoming
          ? {
              agent: holder ?? "",
              id: upcoming.id,
              title: upcoming.title,
              prompt: `Your next task (${upcoming.priority}): ${upcoming.title}. Start it with \`tower task start ${upcoming.id}\` and mark it done with \`tower task done ${upcoming.id}\`.`,
            }
          : undefined;
        if (next && project.plan.nextTask === "paste") {
          sessions.prompt(next.agent, next.prompt);
          return {
            ok: true,
            text: `${taskActionText(result)}\ngave ${next.agent} its next task, ${next.id}`,
          };
        }
        const value: TaskMoveValue = next ? { next } : {};
        return { ok: true, text: taskActionText(result), value };
      }
      case "snapshot.restore":
        return this.bringBack(command.stream, command.commit);
      case "lock.release": {
        const { results } = await releaseLocks(project.store, {
          paths: [command.path],
          agent: "human",
          force: true,
        });
        // The row the user picked may be gone since (released, or its time ran out).
        if (results.every((r) => r.outcome === "not_held")) {
          return { ok: false, error: `${command.path} is not locked (any more): nothing released` };
        }
        return { ok: true, text: `released ${command.path}` };
      }
      case "diff":
        return {
          ok: true,
          value: await (this.options.diff ?? defaultDiff(project))(command.stream),
        };
      case "review.open":
      case "review.comment":
      case "review.send":
      case "review.uncomment":
        return runReviewCommand(project, sessions, command);
      case "trust":
        await sessions.trust();
        return { ok: true, text: "trusted the plan's commands on this machine" };
      case "orphans.keep":
        return { ok: true, text: this.orphans.keep(command.stream) };
      case "orphans.stop":
        return { ok: true, text: await this.orphans.stop(command.stream) };
      case "running":
        return { ok: true, value: sessions.running() };
      case "shutdown":
        await this.close();
        return { ok: true, text: "stopped every agent" };
    }
  }

  /** Brings the files of a snapshot of a stream's worktree back into it (see bringBack). */
  private async bringBack(streamId: string, commit: string): Promise<RoomReply> {
    const recorded = (await this.project.store.read("orchestrator")).streams[streamId]?.worktree;
    if (!recorded) {
      return { ok: false, error: `no stream ${streamId} with a worktree: nothing brought back` };
    }
    const worktree = path.resolve(this.project.repo.mainRoot, recorded);
    try {
      const { files, kept, before } = await bringBack(worktree, streamId, commit);
      if (before !== undefined) this.snapshots.taken(streamId);
      const short = commit.slice(0, 10);
      const what = files.length === 1 ? "1 file" : `${files.length} files`;
      return {
        ok: true,
        text: [
          `brought back ${what} of snapshot ${short} into ${streamId}'s worktree${files.length ? `: ${files.join(", ")}` : ""}`,
          kept.length
            ? `left ${kept.join(", ")} as it is (git ignores it now: no snapshot holds what it holds)`
            : "",
          before ? `what was there before is snapshot ${before.slice(0, 10)}` : "",
        ]
          .filter(Boolean)
          .join("; "),
      };
    } catch (error) {
      return { ok: false, error: errorText(error) };
    }
  }

  /** Stops a merged stream's agents and removes their panes, then its worktree and branch where safe. */
  private async cleanUp(streamId: string): Promise<string> {
    const entry = (await this.project.store.read("orchestrator")).streams[streamId];
    if (entry?.status !== "merged") {
      return (await cleanUpMerged(this.project, streamId)).kept.join("; ");
    }
    const agents = this.store
      .getState()
      .agentOrder.filter((id) => this.store.getState().agents[id]?.stream === streamId);
    for (const id of agents) await this.sessions.stop(id);
    for (const id of agents) await this.sessions.remove(id);
    const cleanup = await cleanUpMerged(this.project, streamId);
    const done = [
      agents.length ? `stopped ${agents.join(", ")}` : "",
      cleanup.worktreeRemoved ? "worktree removed" : "",
      cleanup.branchDeleted ? "branch deleted" : "",
    ].filter(Boolean);
    return [
      `${streamId} cleaned up${done.length ? `: ${done.join(", ")}` : ""}`,
      ...cleanup.kept,
    ].join("; ");
  }

  /** Merges a stream; its validation output goes to the listeners as it comes. */
  private async merge(streamId: string): Promise<MergeValue> {
    const value = await this.mergeOutcome(streamId);
    this.notifier.notice({
      event: "merge",
      stream: streamId,
      text: `merge of ${streamId}: ${value.outcome.replace("_", " ")}`,
    });
    return value;
  }

  private async mergeOutcome(streamId: string): Promise<MergeValue> {
    const say = (line: string) => this.emit({ type: "merge.output", stream: streamId, line });
    const result = await mergeStream(this.project, streamId, {
      onCommand: (command) => say(`$ ${command}`),
      onLine: (_command, line) => say(`  ${line}`),
    });
    if (result.outcome === "merged") {
      const said = [mergedLine(result), ...result.cleanup.kept];
      return { outcome: "merged", said, tail: [] };
    }
    if (result.outcome === "conflict") {
      const said = [`conflict in ${result.files.join(", ")}: merge aborted, nothing changed`];
      return { outcome: "conflict", said, tail: [] };
    }
    if (result.outcome === "validation_failed") {
      return { outcome: "validation_failed", said: [result.message], tail: result.tail };
    }
    return { outcome: result.outcome, said: [result.message], tail: [] };
  }

  /** Listens again on the agents' hook socket if its file is gone; says whether it did. */
  async keepHookSocket(): Promise<boolean> {
    return this.closing === undefined && ((await this.hooks?.ensure()) ?? false);
  }

  /** Stops the agents (within their grace period), the scans and the watcher. */
  close(graceMs?: number): Promise<void> {
    this.closing ??= (async () => {
      this.gates.close();
      this.notifier.close();
      this.orphans.close();
      await this.sessions.close(graceMs);
      await this.hooks?.close();
      await this.scanner.close();
      await this.watcher.close();
    })();
    return this.closing;
  }
}

function defaultDiff(project: Project): (streamId: string) => Promise<string[]> {
  return async (streamId) => {
    const { resolveCommit, streamDiff } = await import("../engine/git/index.js");
    const branch = (await project.store.read("orchestrator")).streams[streamId]?.branch;
    if (!branch || !project.base || !(await resolveCommit(project.repo.mainRoot, branch))) {
      return [`${streamId} has no branch to compare`];
    }
    const text = await streamDiff(project.repo.mainRoot, project.base, branch);
    return text.split("\n").length > 1 ? text.split("\n") : ["no changes yet"];
  };
}
