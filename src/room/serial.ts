/**
 * Small scheduling helpers for the services: a task that never runs twice at once (requests made
 * while it runs coalesce into one follow-up run), and a debounce that collects keys. No timer
 * runs while nothing is requested.
 */

/**
 * Runs `task` one at a time. `run()` while it runs schedules exactly one more run after it (all
 * such requests share it); every caller's promise resolves once a run that started after its
 * request has finished. The task's errors are the task's business: a rejection is swallowed.
 */
export class SerialTask {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly task: () => Promise<void>) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  run(): Promise<void> {
    if (this.queued) return this.queued;
    const current = this.running;
    if (current) {
      const next = current.then(() => {
        this.queued = undefined;
        return this.start();
      });
      this.queued = next;
      return next;
    }
    return this.start();
  }

  /** Resolves when nothing runs and nothing is queued. */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running);
  }

  private start(): Promise<void> {
    const run: Promise<void> = Promise.resolve()
      .then(this.task)
      .catch(() => {})
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
    return run;
  }
}

/**
 * chokidar emits at most one `change` per path every 50 ms and drops the others (no trailing
 * event), so a write that lands within 50 ms of an emitted change produces no event of its own.
 * A key whose last event came less than this long before a flush is flushed once more after
 * that window has passed, which sees such a write.
 */
export const CHANGE_THROTTLE_MS = 60;

/**
 * Collects keys and calls `flush` with all of them `delayMs` after the first one (a burst
 * becomes one call, and a steady stream of events one call per `delayMs`). A key whose last
 * event came within `quietMs` (default CHANGE_THROTTLE_MS) of the flush is flushed once more
 * when that window is over (see CHANGE_THROTTLE_MS). No timer runs while nothing happens.
 */
export class Debouncer<K> {
  private pending = new Set<K>();
  private readonly lastEvent = new Map<K, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly delayMs: number,
    private readonly flush: (keys: Set<K>) => void,
    private readonly quietMs = CHANGE_THROTTLE_MS,
  ) {}

  add(key: K): void {
    if (this.closed) return;
    this.pending.add(key);
    this.lastEvent.set(key, Date.now());
    this.arm(this.delayMs);
  }

  flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0 || this.closed) return;
    const keys = this.pending;
    this.pending = new Set();
    const now = Date.now();
    // A copy: what the flush does with its set (the state watcher takes "plan" out of it) must
    // not decide which keys get their follow-up below.
    this.flush(new Set(keys));
    let until = 0;
    for (const key of keys) {
      const quietAt = (this.lastEvent.get(key) ?? 0) + this.quietMs;
      if (quietAt > now) {
        this.pending.add(key);
        until = Math.max(until, quietAt);
      } else {
        this.lastEvent.delete(key);
      }
    }
    if (this.pending.size > 0) this.arm(until - now + 1);
  }

  /** Drops what is pending without flushing it. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.lastEvent.clear();
  }

  close(): void {
    this.cancel();
    this.closed = true;
  }

  private arm(delayMs: number): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => this.flushNow(), delayMs);
  }
}

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
