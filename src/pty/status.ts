/**
 * What a session is doing, as the control room shows it:
 *
 * - `starting`: spawned, no output yet;
 * - `running`: output within the last 1.5 s, or the preset's busy pattern on screen (a spinner
 *   that pauses is still work);
 * - `idle`: quiet;
 * - `waiting`: the program asks the human something: the preset's waiting pattern on the last
 *   lines of the screen, or a bell (BEL), or a desktop notification (OSC 9, OSC 777 `notify`)
 *   not yet answered by any input. Waiting wins over running;
 * - `exited`: the process ended (with its code or signal).
 *
 * The tracker knows nothing of terminals: the session feeds it output, screen lines, bells,
 * notifications, input and the exit, and it calls `onChange` on every change of status.
 */
import { type Preset, type PresetSpec, presetSpec, STATUS_LINES } from "./presets.js";

export type SessionStatus = "starting" | "running" | "idle" | "waiting" | "exited";

export interface ExitInfo {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  /** Signal name (e.g. "SIGTERM"), or null. */
  signal: string | null;
}

export interface StatusChange {
  status: SessionStatus;
  previous: SessionStatus;
  /** Why: "output", "quiet", "busy pattern", "waiting pattern", "bell", "osc9", ... */
  reason: string;
  at: number;
  /** Set when status is `exited`. */
  exit?: ExitInfo;
}

/** How long after its last output a session still counts as running. */
export const RUNNING_MS = 1_500;

export interface StatusTrackerOptions {
  preset: Preset | PresetSpec;
  runningMs?: number;
  now?: () => number;
  onChange?: (change: StatusChange) => void;
}

export type AttentionKind = "bell" | "osc9" | "osc777";

function matches(entry: RegExp | readonly RegExp[], lines: readonly string[]): boolean {
  const all = entry instanceof RegExp ? [entry] : entry;
  return all.length > 0 && all.every((pattern) => lines.some((line) => pattern.test(line)));
}

/** The last `count` non-blank lines, trailing blanks removed. */
export function lastLines(lines: readonly string[], count = STATUS_LINES): string[] {
  const kept: string[] = [];
  for (let i = lines.length - 1; i >= 0 && kept.length < count; i--) {
    const line = lines[i]?.trimEnd() ?? "";
    if (line !== "") kept.unshift(line);
  }
  return kept;
}

/** Whether the preset's waiting patterns match these (last) screen lines. */
export function screenWaiting(spec: PresetSpec, lines: readonly string[]): boolean {
  return spec.waiting.some((entry) => matches(entry, lines));
}

/** Whether the preset's busy patterns match these (last) screen lines. */
export function screenBusy(spec: PresetSpec, lines: readonly string[]): boolean {
  return spec.busy.some((entry) => matches(entry, lines));
}

export class StatusTracker {
  private readonly spec: PresetSpec;
  private readonly runningMs: number;
  private readonly now: () => number;
  private readonly onChange: ((change: StatusChange) => void) | undefined;
  private current: SessionStatus = "starting";
  private since: number;
  private sawOutput = false;
  private lastOutput = Number.NEGATIVE_INFINITY;
  private waitingOnScreen = false;
  private busyOnScreen = false;
  private attention: AttentionKind | undefined;
  private exitInfo: ExitInfo | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: StatusTrackerOptions) {
    this.spec = typeof options.preset === "string" ? presetSpec(options.preset) : options.preset;
    this.runningMs = options.runningMs ?? RUNNING_MS;
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange;
    this.since = this.now();
  }

  get status(): SessionStatus {
    return this.current;
  }

  /** When the current status began. */
  get changedAt(): number {
    return this.since;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** The unanswered bell or notification, if any. */
  get pendingAttention(): AttentionKind | undefined {
    return this.attention;
  }

  /** The program wrote something. */
  output(): void {
    if (this.exitInfo) return;
    this.sawOutput = true;
    this.lastOutput = this.now();
    this.update("output");
    this.armQuietTimer();
  }

  /** The screen's lines after the latest output was parsed. */
  screen(lines: readonly string[]): void {
    const last = lastLines(lines);
    this.waitingOnScreen = screenWaiting(this.spec, last);
    this.busyOnScreen = screenBusy(this.spec, last);
    // Working again after a bell: the bell has been dealt with.
    if (this.busyOnScreen && !this.waitingOnScreen) this.attention = undefined;
    this.update(
      this.waitingOnScreen ? "waiting pattern" : this.busyOnScreen ? "busy pattern" : "screen",
    );
  }

  /** A bell (BEL) or a desktop notification: the program wants the human. */
  notify(kind: AttentionKind): void {
    if (this.exitInfo) return;
    this.attention = kind;
    this.update(kind);
  }

  /** The human typed or pasted into the session: a pending bell is answered. */
  input(): void {
    if (this.attention === undefined) return;
    this.attention = undefined;
    this.update("input");
  }

  exited(info: ExitInfo): void {
    this.clearTimer();
    this.exitInfo = info;
    this.attention = undefined;
    this.update(info.signal ? `signal ${info.signal}` : `exit code ${info.code}`);
  }

  /** The process was started again: back to `starting`. */
  restarted(): void {
    this.clearTimer();
    this.exitInfo = undefined;
    this.sawOutput = false;
    this.lastOutput = Number.NEGATIVE_INFINITY;
    this.waitingOnScreen = false;
    this.busyOnScreen = false;
    this.attention = undefined;
    this.update("restart");
  }

  dispose(): void {
    this.clearTimer();
  }

  /** The status the current facts imply. */
  private derive(): SessionStatus {
    if (this.exitInfo) return "exited";
    if (this.waitingOnScreen || this.attention !== undefined) return "waiting";
    if (!this.sawOutput) return "starting";
    if (this.busyOnScreen || this.now() - this.lastOutput < this.runningMs) return "running";
    return "idle";
  }

  private update(reason: string): void {
    const next = this.derive();
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    this.since = this.now();
    const change: StatusChange = { status: next, previous, reason, at: this.since };
    if (next === "exited" && this.exitInfo) change.exit = this.exitInfo;
    this.onChange?.(change);
  }

  private armQuietTimer(): void {
    if (this.timer !== undefined) return;
    const fire = () => {
      this.timer = undefined;
      const left = this.lastOutput + this.runningMs - this.now();
      if (left > 0) {
        this.timer = setTimeout(fire, left + 1);
        this.timer.unref();
        return;
      }
      this.update("quiet");
    };
    this.timer = setTimeout(fire, this.runningMs + 1);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
