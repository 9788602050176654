/**
 * Notifications when the user is not looking: an agent starts waiting for them, an agent fails
 * (exits non-zero or by a signal), a merge or a gate finishes. Each becomes a `notify` event for
 * the clients (each rings its own terminal unless the agent is the one it shows; see
 * ui/notify.ts), and runs the plan's `notify:` command with the details in environment
 * variables: that reaches the user with no client attached at all.
 *
 * At most one notification per agent (or per stream, for merges and gates) every `minGapMs`, so
 * an agent that flickers between waiting and running does not ring on every flicker.
 */
import { spawn } from "node:child_process";
import type { NotifyEvent } from "../engine/plan/index.js";
import type { Project } from "../engine/project.js";
import { trustState } from "../engine/trust.js";
import type { RoomEvent } from "./commands.js";
import type { RoomState, RoomStore } from "./state.js";

export const NOTIFY_GAP_MS = 5_000;

export interface Notice {
  event: NotifyEvent;
  agent?: string;
  stream?: string;
  text: string;
}

export interface NotifierOptions {
  minGapMs?: number;
  /** Told when the user's command cannot be started (the clients' message line). */
  onMessage?: (text: string) => void;
}

export class Notifier {
  private readonly last = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly project: Project,
    store: RoomStore,
    private readonly emit: (event: RoomEvent) => void,
    private readonly options: NotifierOptions = {},
  ) {
    this.unsubscribe = store.subscribe((s, prev) => {
      if (s.agents !== prev.agents) this.agentsChanged(s, prev);
    });
  }

  private agentsChanged(s: RoomState, prev: RoomState): void {
    for (const [id, agent] of Object.entries(s.agents)) {
      const before = prev.agents[id];
      if (!before || before.status === agent.status) continue;
      if (agent.status === "waiting") {
        this.notice({
          event: "waiting",
          agent: id,
          stream: agent.stream,
          text: `${id} is waiting for you`,
        });
      } else if (
        agent.status === "exited" &&
        !agent.stopped &&
        ((agent.exitCode !== null && agent.exitCode !== undefined && agent.exitCode !== 0) ||
          (agent.signal && before.status !== "exited"))
      ) {
        const how = agent.signal
          ? `was stopped by ${agent.signal}`
          : `exited with ${agent.exitCode}`;
        this.notice({ event: "failed", agent: id, stream: agent.stream, text: `${id} ${how}` });
      }
    }
  }

  /** Tells the clients and runs the user's command (rate-limited per agent or stream). */
  notice(notice: Notice): void {
    const key = notice.agent ?? `${notice.event}:${notice.stream ?? ""}`;
    const now = Date.now();
    const gap = this.options.minGapMs ?? NOTIFY_GAP_MS;
    const last = this.last.get(key);
    if (last !== undefined && now - last < gap) return;
    this.last.set(key, now);
    // `ui.notify` decides what rings the clients' terminals; `notify.on` what runs the command.
    if (this.project.plan.uiNotify.includes(notice.event)) this.ring(notice);
    void this.runCommand(notice);
  }

  private ring(notice: Notice): void {
    this.emit({
      type: "notify",
      event: notice.event,
      text: notice.text,
      ...(notice.agent !== undefined && { agent: notice.agent }),
      ...(notice.stream !== undefined && { stream: notice.stream }),
    });
  }

  private async runCommand(notice: Notice): Promise<void> {
    const notify = this.project.plan.notify;
    if (!notify?.on.includes(notice.event)) return;
    // Like every command of the plan, it runs only once the user trusted it on this machine.
    if (!(await trustState(this.project.plan)).trusted) return;
    try {
      const child = spawn("sh", ["-c", notify.run], {
        cwd: this.project.repo.mainRoot,
        env: {
          ...process.env,
          TOWER_EVENT: notice.event,
          TOWER_AGENT: notice.agent ?? "",
          TOWER_STREAM: notice.stream ?? "",
          TOWER_MESSAGE: notice.text,
        },
        stdio: "ignore",
        detached: true,
      });
      child.on("error", (error) =>
        this.options.onMessage?.(`notify: cannot run ${notify.run}: ${error.message}`),
      );
      child.unref();
    } catch (error) {
      this.options.onMessage?.(`notify: cannot run ${notify.run}: ${String(error)}`);
    }
  }

  close(): void {
    this.unsubscribe();
  }
}
