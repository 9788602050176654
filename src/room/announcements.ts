/**
 * What agents announce through their CLI's hooks (`tower hook` writes it into agents.json, see
 * engine/announce.ts), fed to their sessions as it arrives: the status they say they are in
 * wins over screen patterns. The file is written in place, so a watch on it sees every write.
 */
import { type FSWatcher, watch } from "node:fs";
import type { AnnouncedRecord } from "../engine/announce.js";
import { parseTimestamp, STATE_FILES } from "../engine/state/index.js";
import type { StateStore } from "../engine/state/store.js";
import type { AnnouncedStatus } from "../pty/index.js";

const STATUSES: ReadonlySet<string> = new Set(["running", "idle", "waiting"]);

export class AnnouncementFeed {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, number>();
  private reading = Promise.resolve();
  private closed = false;

  constructor(
    private readonly store: StateStore,
    private readonly deliver: (agent: string, status: AnnouncedStatus) => void,
    private readonly debounceMs = 20,
  ) {}

  /** Starts watching; what was announced before now counts as seen. */
  async start(): Promise<void> {
    await this.read(true);
    if (this.closed) return;
    try {
      this.watcher = watch(this.store.path(STATE_FILES.agents), () => this.changed());
      this.watcher.on("error", () => this.watcher?.close());
    } catch {
      // No agents.json yet: the first hook creates it, and the room writes it at the first start.
      this.timer = setTimeout(() => void this.start(), 500);
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  private changed(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reading = this.reading.then(() => this.read(false));
    }, this.debounceMs);
  }

  private async read(quiet: boolean): Promise<void> {
    let agents: Record<string, { announced?: unknown }>;
    try {
      agents = (await this.store.read("agents")).agents as typeof agents;
    } catch {
      return; // A broken file is the state watcher's to report.
    }
    for (const [agent, entry] of Object.entries(agents)) {
      const said = entry.announced as Partial<AnnouncedRecord> | undefined;
      const at = parseTimestamp(said?.at)?.getTime();
      if (at === undefined || typeof said?.status !== "string" || !STATUSES.has(said.status))
        continue;
      if ((this.seen.get(agent) ?? Number.NEGATIVE_INFINITY) >= at) continue;
      this.seen.set(agent, at);
      if (!quiet && !this.closed) this.deliver(agent, said.status as AnnouncedStatus);
    }
  }
}
