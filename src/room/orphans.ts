/**
 * Streams removed from streams.yaml while their agents run in the room. Tower must not stop
 * someone's agents because a line went from a file, nor leave them running unseen: the room
 * keeps their sessions and panes, lists each such stream in the store's `orphans` for the
 * clients to ask the user, and does what the user answers (`keep`: they run until stopped, and
 * the question is not asked again for that stream; `stop`: they are stopped gracefully). Their
 * worktree and branch are never touched here. A stream put back in the plan is no orphan, and
 * its earlier answer is forgotten (removed again, it is asked about again).
 */
import type { Project } from "../engine/project.js";
import type { SessionManager } from "./sessions.js";
import type { OrphanedStream, RoomState, RoomStore } from "./state.js";

export class OrphanWatch {
  /** Streams the user answered for (kept or stopped), while they stay out of the plan. */
  private readonly decided = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly project: Project,
    private readonly store: RoomStore,
    private readonly sessions: Pick<SessionManager, "stop">,
    private readonly say: (text: string) => void,
  ) {
    // A plan read again rebuilds the status; an agent that exits changes the agents.
    this.unsubscribe = store.subscribe((state, previous) => {
      if (state.status !== previous.status || state.agents !== previous.agents) this.update();
    });
    this.update();
  }

  /** Streams out of the plan with agents running in the room, answered for or not. */
  private candidates(state: RoomState = this.store.getState()): OrphanedStream[] {
    const inPlan = new Set(this.project.plan.streams.map((s) => s.id));
    const byStream = new Map<string, string[]>();
    for (const id of state.agentOrder) {
      const agent = state.agents[id];
      if (!agent || agent.status === "exited" || inPlan.has(agent.stream)) continue;
      byStream.set(agent.stream, [...(byStream.get(agent.stream) ?? []), id]);
    }
    return [...byStream].map(([stream, agents]) => ({ stream, agents }));
  }

  private update(): void {
    const inPlan = new Set(this.project.plan.streams.map((s) => s.id));
    for (const stream of this.decided) if (inPlan.has(stream)) this.decided.delete(stream);
    const state = this.store.getState();
    const orphans = this.candidates(state).filter((o) => !this.decided.has(o.stream));
    if (JSON.stringify(orphans) === JSON.stringify(state.orphans)) return;
    const known = new Set(state.orphans.map((o) => o.stream));
    state.setOrphans(orphans);
    for (const orphan of orphans) {
      if (known.has(orphan.stream)) continue;
      this.say(
        `${orphan.stream} was removed from streams.yaml while its agents ${orphan.agents.join(", ")} run: keep them running until you stop them, or stop them now (its worktree and branch stay either way)`,
      );
    }
  }

  private find(stream: string): OrphanedStream {
    const all = this.candidates();
    const found = all.find((o) => o.stream === stream);
    if (found) return found;
    const list = all.map((o) => o.stream).join(", ") || "none is";
    throw new Error(
      `${stream} is not a stream removed from streams.yaml with agents running (${list})`,
    );
  }

  /** The user keeps the stream's agents running: they stay until stopped, not asked about again. */
  keep(stream: string): string {
    const orphan = this.find(stream);
    this.decided.add(stream);
    this.update();
    return `${orphan.agents.join(", ")} of ${stream} keep running until you stop them`;
  }

  /** Stops the stream's agents (SIGTERM, SIGKILL after the grace period); their panes stay. */
  async stop(stream: string): Promise<string> {
    const orphan = this.find(stream);
    this.decided.add(stream);
    this.update();
    await Promise.all(orphan.agents.map((id) => this.sessions.stop(id)));
    return `stopped ${orphan.agents.join(", ")} of ${stream}; its worktree and branch are kept`;
  }

  close(): void {
    this.unsubscribe();
  }
}
