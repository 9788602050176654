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
 * notifications, input and the exit, and it calls `onChange` on every change of status or of
 * what tells it (`previous` equals `status` when only the source changed).
 */
import {
  type AnnouncedStatus,
  type Preset,
  type PresetSpec,
  presetSpec,
  STATUS_LINES,
} from "./presets.js";
import { isAgentsWord, type StatusSource } from "./status-source.js";

export type { StatusSource };

export type SessionStatus = "starting" | "running" | "idle" | "waiting" | "exited";

export interface ExitInfo {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  /** Signal name (e.g. "SIGTERM"), or null. */
  signal: string | null;
  /**
   * Its owner stopped it (`Session.stop`: SIGTERM, SIGKILL after the grace period), whatever
   * code or signal it left with: not a failure (Claude Code answers SIGTERM with code 143).
   */
  stopped?: true;
}

export interface StatusChange {
  status: SessionStatus;
  previous: SessionStatus;
  /** What the status comes from now. */
  source: StatusSource;
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

/** The lines that make up the matches of the preset's waiting patterns (empty: no match). */
export function promptLines(spec: PresetSpec, lines: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of spec.waiting) {
    if (!matches(entry, lines)) continue;
    const patterns = entry instanceof RegExp ? [entry] : entry;
    for (const line of lines) if (patterns.some((p) => p.test(line))) found.push(line);
  }
  return found;
}

/** Counts of each line, to tell a prompt already answered from a new one. */
function tally(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** Every line of `lines` is one of `answered` (as many times at most). */
function allAnswered(answered: ReadonlyMap<string, number>, lines: readonly string[]): boolean {
  for (const [line, count] of tally(lines)) if ((answered.get(line) ?? 0) < count) return false;
  return true;
}

/**
 * Codex's `OSC 7501;state=idle|working|blocked:...|done`: `done` ends a turn (it waits for the
 * user, as after `idle`).
 */
export function parseOsc7501(data: string): AnnouncedStatus | undefined {
  const state = /(?:^|:)state=([a-z]+)/.exec(data)?.[1];
  return state === "working"
    ? "running"
    : state === "blocked"
      ? "waiting"
      : state === "idle" || state === "done"
        ? "idle"
        : undefined;
}

/** Whether the preset's busy patterns match these (last) screen lines. */
export function screenBusy(spec: PresetSpec, lines: readonly string[]): boolean {
  return spec.busy.some((entry) => matches(entry, lines));
}

/** How specific each of the agent's own words is: its hooks, then its OSC state, then its title. */
const WORD_RANK: Readonly<Record<StatusSource, number>> = {
  hook: 3,
  osc: 2,
  title: 1,
  screen: 0,
  output: 0,
  bell: 0,
  exit: 0,
  start: 0,
};

/**
 * How long after its prompt appeared an agent's word of a wait may come and still be about that
 * prompt (a hook's process slow to start on a loaded machine).
 */
const LATE_WORD_MS = 15_000;

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
  /** The prompt lines on screen now. */
  private prompt: string[] = [];
  /** A prompt the human answered, while its lines stay on screen (a shell's `[y/N] y`). */
  private answered: Map<string, number> | undefined;
  /** The latest status the agent announced, and when. */
  private announced: { status: AnnouncedStatus; source: StatusSource; at: number } | undefined;
  /** The last input, and the last time a prompt was seen on screen. */
  private lastInput = Number.NEGATIVE_INFINITY;
  private promptSeen = Number.NEGATIVE_INFINITY;
  private promptGone = Number.NEGATIVE_INFINITY;
  /** When the prompt on screen (or the last one) appeared. */
  private promptAppeared = Number.NEGATIVE_INFINITY;
  private currentSource: StatusSource = "start";
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

  /** What the current status comes from. */
  get source(): StatusSource {
    return this.currentSource;
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
    const prompt = promptLines(this.spec, last);
    if (prompt.length === 0) {
      if (this.prompt.length > 0) this.promptGone = this.now();
      this.answered = undefined;
    } else {
      this.promptSeen = this.now();
      if (this.prompt.length === 0) this.promptAppeared = this.promptSeen;
    }
    this.prompt = prompt;
    this.waitingOnScreen =
      prompt.length > 0 && !(this.answered !== undefined && allAnswered(this.answered, prompt));
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

  /**
   * The human typed or pasted into the session: a pending bell, an announced wait and the
   * prompt on screen are answered (a prompt whose lines stay on screen, like a shell's `[y/N]`,
   * stays answered until another one appears).
   */
  input(): void {
    this.lastInput = this.now();
    if (this.waitingOnScreen) {
      this.answered = tally(this.prompt);
      this.waitingOnScreen = false;
    }
    this.attention = undefined;
    this.update("input");
  }

  /** The agent says what it is doing (its hooks, its title, an OSC sequence). */
  announce(status: AnnouncedStatus, source: StatusSource): void {
    if (this.exitInfo) return;
    // The same word, still in force, from a less specific source adds nothing: Claude Code's
    // ✳ title right after its Stop hook is no news, and the status stays the hook's.
    const said = this.announced;
    if (
      said &&
      said.status === status &&
      !this.over(said) &&
      WORD_RANK[source] < WORD_RANK[said.source]
    )
      return;
    this.announced = { status, source, at: this.now() };
    this.update(source);
  }

  /** The window title changed: the status it announces, if the preset reads titles. */
  title(text: string): void {
    const status = text.trim() === "" ? undefined : this.spec.title?.(text);
    if (status) this.announce(status, "title");
  }

  /** An `OSC 7501` sequence (Codex's state). */
  osc7501(data: string): void {
    const status = parseOsc7501(data);
    if (status) this.announce(status, "osc");
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
    this.prompt = [];
    this.promptAppeared = Number.NEGATIVE_INFINITY;
    this.answered = undefined;
    this.announced = undefined;
    this.attention = undefined;
    this.update("restart");
  }

  dispose(): void {
    this.clearTimer();
  }

  /**
   * The status the current facts imply, and what it comes from: a prompt on screen or an
   * unanswered bell first; then what the agent announced last (a wait it announced ends when
   * the human answers, or when a prompt it showed since has gone); then the screen's busy line
   * and the output's timing.
   */
  private derive(): [SessionStatus, StatusSource] {
    if (this.exitInfo) return ["exited", "exit"];
    if (this.waitingOnScreen) return ["waiting", "screen"];
    if (this.attention !== undefined) return ["waiting", "bell"];
    const said = this.announced;
    if (said && !this.over(said)) return [said.status, said.source];
    if (!this.sawOutput) return ["starting", "start"];
    if (this.busyOnScreen) return ["running", "screen"];
    if (this.now() - this.lastOutput < this.runningMs) return ["running", "output"];
    return ["idle", "output"];
  }

  /**
   * An announced wait ends when the human answers it, or when a prompt it showed since has gone;
   * and one said late, when the prompt it is about, on screen shortly before, has been answered
   * and has gone (Claude Code runs its PermissionRequest hook as its dialog appears, and the
   * hook's word can come after the human's answer: the agent stayed waiting with no dialog).
   */
  private over(said: { status: AnnouncedStatus; at: number }): boolean {
    if (said.status !== "waiting") return false;
    if (this.lastInput >= said.at) return true;
    if (this.promptSeen >= said.at && this.promptGone >= this.promptSeen) return true;
    const appeared = this.promptAppeared;
    return (
      this.prompt.length === 0 &&
      this.promptGone >= appeared &&
      this.lastInput >= appeared &&
      said.at - appeared <= LATE_WORD_MS
    );
  }

  private update(reason: string): void {
    const [next, source] = this.derive();
    if (next === this.current) {
      // A new source alone is told when the agent's own word comes or goes: an idle the agent
      // confirms (its Stop hook after the output went quiet) is no longer a guess. One guess
      // giving way to another (a busy line that comes and goes in running output) is not
      // news: each would be a store update and a render in every client.
      if (source === this.currentSource) return;
      if (!isAgentsWord(source) && !isAgentsWord(this.currentSource)) return;
    }
    this.currentSource = source;
    const previous = this.current;
    if (next === previous) {
      this.onChange?.({ status: next, previous, source, reason, at: this.since });
      return;
    }
    this.current = next;
    this.since = this.now();
    const change: StatusChange = { status: next, previous, source, reason, at: this.since };
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
