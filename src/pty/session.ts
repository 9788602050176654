/**
 * One agent session: the agent's command in a pseudo-terminal (node-pty) in its stream's
 * worktree, its output parsed by a headless xterm emulator, its screen as rows (screen.ts), its
 * status (status.ts) and its plain-text log (log.ts).
 *
 * - Replies to the program's terminal queries (cursor position, device attributes, ...) that the
 *   emulator produces go back to the program.
 * - Parsing: the output waits its turn on the process's parse queue (parse-queue.ts), which
 *   parses every emulator's output a slice each in turn within a budget per turn of the event
 *   loop; the echo of a keystroke is parsed as it arrives.
 * - Backpressure: when more than `highWaterMark` bytes of output are not parsed yet, the pty is
 *   paused (the program then blocks on its writes) until it is under `lowWaterMark`.
 * - Exit: node-pty can lose the end of the output on Linux (see `guardTail`, which reads the pty
 *   to its end); the exit is reported after every byte was parsed and logged.
 * - Stop: SIGTERM to the process and its process group, SIGKILL after `stopGraceMs`. The owner
 *   stops its sessions before it exits (SessionManager.close); a process that exits with sessions
 *   still running (process.exit, a crash while stopping) kills their process groups on its way
 *   out, so that no agent outlives the Tower that holds its terminal, not even one that ignores
 *   the hang-up.
 * - Isolation: the pty master is made close-on-exec at once (inherit.ts), so no other program
 *   Tower starts, agents included, holds this agent's terminal.
 * - Answers (`approve`, `deny`): the keys go once the program's output has been still for
 *   `ANSWER_SETTLE_MS` (at most `ANSWER_WAIT_MAX_MS` after the key), and input that follows
 *   waits behind them. A CLI can lose a key that comes with the prompt it answers: Codex 0.171
 *   sometimes drops an Esc that arrives within ~100 ms of drawing its approval and then ignores
 *   Esc at that prompt for good, so a `n` pressed as the prompt appears would never deny.
 */

import { existsSync, readSync } from "node:fs";
import os from "node:os";
import type { IDisposable, Terminal } from "@xterm/headless";
import { type IPty, spawn } from "node-pty";
import type { AgentCommand, Preset } from "../engine/plan/index.js";
import { substituteCommand } from "../engine/plan/index.js";
import { StateStore } from "../engine/state/store.js";
import { createEmulator, DEFAULT_SCROLLBACK } from "./emulator.js";
import { PaneHistory } from "./history.js";
import { closeOnExec, keepTerminalsFromChildren } from "./inherit.js";
import {
  DEFAULT_ESCAPE_KEY,
  DEFAULT_STOP_GRACE_MS,
  encodeKeys,
  encodePaste,
  keyboardInput,
  type SplitInput,
} from "./keys.js";
import { AgentLog, ScreenLogger } from "./log.js";
import { type ParseFeed, type ParseQueue, sharedParseQueue } from "./parse-queue.js";
import { type AnnouncedStatus, inferPreset, type PresetSpec, presetSpec } from "./presets.js";
import { ownInput, pendingInput, writeToPty } from "./pty-write.js";
import { type Frame, type FrameOptions, Screen } from "./screen.js";
import {
  type AttentionKind,
  type ExitInfo,
  type SessionStatus,
  type StatusChange,
  type StatusSource,
  StatusTracker,
} from "./status.js";

export const DEFAULT_COLS = 80;
export const DEFAULT_ROWS = 24;
export { DEFAULT_STOP_GRACE_MS };
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
export const DEFAULT_LOW_WATER_MARK = 128 * 1024;
/** How long the program's output must have been still before an answer's keys go to it. */
export const ANSWER_SETTLE_MS = 150;
/** The longest an answer waits for that stillness (a program that keeps drawing gets it then). */
export const ANSWER_WAIT_MAX_MS = 1_000;

/**
 * Typed or pasted input waiting for a program that does not read it, past which more is refused
 * (and said): it would only pile up in the server's memory. One paste of any size goes when
 * nothing waits.
 */
export const MAX_INPUT_BACKLOG = 16 * 1024 * 1024;
const SCREEN_CHECK_MS = 100;

export interface SessionOptions {
  /** The agent's id (`TOWER_AGENT_ID`, the log's name). */
  agent: string;
  stream: string;
  task: string;
  /** A string runs with `sh -c`, a list is argv; `{task}` etc. are substituted. */
  command: AgentCommand;
  /** The stream's worktree: the working directory. */
  worktree: string;
  repoRoot: string;
  stateDir: string;
  /** The plan's explicit preset; otherwise inferred from the command. */
  preset?: Preset;
  cols?: number;
  rows?: number;
  /** Lines of scrollback (default 5,000). */
  scrollback?: number;
  /** The base environment (default `process.env`); TOWER_* and TERM are set on top. */
  env?: NodeJS.ProcessEnv;
  /**
   * The user's own program (a shell, an editor), not an agent: no TOWER_AGENT_ID or TOWER_TASK
   * in its environment, so `tower` run in it acts as the user.
   */
  user?: boolean;
  /** `false`: no log. Default: `<stateDir>/logs/agent-<ID>.log`, capped at 10 MiB. */
  log?: false | { file?: string; maxBytes?: number };
  /** Between SIGTERM and SIGKILL when stopping (default 5 s). */
  stopGraceMs?: number;
  /** The key that hands control back to Tower (default Ctrl-], 0x1d). */
  escapeKey?: number;
  /** Unparsed bytes at which the pty is paused (default 1 MiB). */
  highWaterMark?: number;
  /** Unparsed bytes under which it is resumed (default 128 KiB). */
  lowWaterMark?: number;
  /** Where the emulator's parsing is scheduled (default: the process's, parse-queue.ts). */
  parseQueue?: ParseQueue;
  /** See status.ts (default 1.5 s). */
  runningMs?: number;
  /** See screen.ts (default 1 s). */
  syncTimeoutMs?: number;
}

/** How to start this time: another command than the plan's (resuming), more environment. */
export interface Launch {
  command?: AgentCommand;
  env?: Record<string, string>;
  /** Variables taken out of the environment (ones that would tell the CLI it has no terminal). */
  unset?: readonly string[];
  /** What `{task}` stands for this time (a briefing before the task, for a CLI without a flag for it). */
  task?: string;
}

export interface SessionNotification {
  kind: AttentionKind;
  /** The notification's text (empty for a bell). */
  text: string;
}

export interface SessionEvents {
  /** The status changed. */
  status: (change: StatusChange) => void;
  /** The process exited; all its output has been parsed and logged. */
  exit: (info: ExitInfo) => void;
  /** The screen may have changed (output parsed, resize, restart): time to take a frame. */
  update: () => void;
  title: (title: string) => void;
  /** A bell or an OSC 9 / OSC 777 notification. */
  notification: (notification: SessionNotification) => void;
}

type Listeners = { [K in keyof SessionEvents]: Set<SessionEvents[K]> };

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(os.constants.signals).map(([name, number]) => [number, name]),
);

/** Variables that describe some other terminal than the one the agent gets. */
const FOREIGN_TERMINAL_VARS = [
  "TMUX",
  "TMUX_PANE",
  "STY",
  "WINDOW",
  "WINDOWID",
  "TERMCAP",
  "COLUMNS",
  "LINES",
];

/** The environment an agent runs with. */
export function agentEnv(options: SessionOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env ?? process.env)) {
    if (value !== undefined && !FOREIGN_TERMINAL_VARS.includes(key)) env[key] = value;
  }
  Object.assign(env, {
    TOWER_AGENT_ID: options.agent,
    TOWER_STREAM: options.stream,
    TOWER_STATE_DIR: options.stateDir,
    TOWER_REPO_ROOT: options.repoRoot,
    TOWER_TASK: options.task,
    TOWER_WORKTREE: options.worktree,
    TERM: "xterm-256color",
    COLORTERM: "truecolor",
  });
  if (options.user) {
    delete env.TOWER_AGENT_ID;
    delete env.TOWER_TASK;
  }
  return env;
}

interface PtySocket {
  destroy(error?: Error): unknown;
  read(): Buffer | string | null;
  readonly readableEnded: boolean;
}

/** What the kernel still holds for a pty master, read without blocking until EIO/EAGAIN. */
function drainFd(fd: number, deliver: (chunk: Buffer) => void): void {
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch {
      return; // EIO: the terminal is closed and empty; EAGAIN: nothing more for now
    }
    if (n <= 0) return;
    deliver(chunk.subarray(0, n));
  }
}

/**
 * Makes node-pty deliver a pty's output to its end before it reports the exit.
 *
 * node-pty 1.1 on Linux loses the tail of a program's output in two ways: libuv ends the stream
 * on the POLLHUP that follows the child's exit while the kernel still buffers data (a "partial
 * read" there counts as end of file), and node-pty destroys the socket 200 ms after the exit
 * whatever it still buffers (all of it, when the socket is paused for backpressure). Both go
 * through the socket's `destroy()`, which this wraps: before the socket is really destroyed,
 * what the stream buffered is emitted as usual and what the kernel still holds is read with
 * non-blocking reads until EIO (the end) or EAGAIN (a grandchild keeps the terminal open and has
 * nothing more to say now), and handed to `deliver`.
 * Returns false when node-pty's internals are not as expected (nothing is changed then).
 */
export function guardTail(pty: IPty, deliver: (chunk: Buffer) => void): boolean {
  const internals = pty as unknown as { _socket?: PtySocket; fd?: number };
  const socket = internals._socket;
  const fd = internals.fd;
  if (socket === undefined || typeof socket.destroy !== "function" || typeof fd !== "number") {
    return false;
  }
  const destroy = socket.destroy.bind(socket);
  let drained = false;
  socket.destroy = (error?: Error) => {
    if (!drained) {
      drained = true;
      try {
        // Buffered while paused: read() emits each chunk to the 'data' listeners as usual.
        if (!socket.readableEnded) while (socket.read() !== null);
      } catch {
        // A stream in error has nothing more to give.
      }
      drainFd(fd, deliver);
    }
    return destroy(error);
  };
  return true;
}

export class Session {
  readonly agent: string;
  readonly stream: string;
  readonly task: string;
  readonly worktree: string;
  readonly preset: Preset;
  readonly spec: PresetSpec;
  /** The emulator; its screen as rows is `screen`. */
  readonly terminal: Terminal;
  readonly screen: Screen;
  /** The pane's history above its screen (compact past xterm's own scrollback). */
  readonly history: PaneHistory;
  readonly log: AgentLog | undefined;
  private readonly options: SessionOptions;
  private readonly tracker: StatusTracker;
  private readonly logger: ScreenLogger | undefined;
  private readonly listeners: Listeners = {
    status: new Set(),
    exit: new Set(),
    update: new Set(),
    title: new Set(),
    notification: new Set(),
  };
  private readonly disposables: IDisposable[] = [];
  private readonly highWater: number;
  private readonly lowWater: number;
  private proc: IPty | undefined;
  private procDisposables: IDisposable[] = [];
  private command: AgentCommand;
  private exitInfo: ExitInfo | undefined;
  /** `stop` was called on the running process (its exit is then said to be a stop). */
  private stopAsked = false;
  private exitWaiters: ((info: ExitInfo) => void)[] = [];
  private exiting: Promise<void> | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  /** The program's output on its way to the emulator's parser. */
  private readonly feed: ParseFeed;
  private pausedFlag = false;
  /** When the program last wrote to its terminal (performance.now()). */
  private lastOutputAt = 0;
  /** Input held behind an answer that waits for the output to settle, for that process. */
  private held: { proc: IPty; data: (string | Buffer)[]; timer: NodeJS.Timeout } | undefined;
  private screenTimer: NodeJS.Timeout | undefined;
  private lastScreenCheck = 0;
  private disposed = false;
  /** Tower's own prompts waiting for the program's question to be answered (see `prompt`). */
  private prompts: string[] = [];
  /** Set when `dispose` begins: nothing starts after that. */
  private disposing = false;
  /** Times the pty was paused for backpressure (for tests and benchmarks). */
  pauses = 0;

  constructor(options: SessionOptions) {
    this.options = options;
    this.agent = options.agent;
    this.stream = options.stream;
    this.task = options.task;
    this.worktree = options.worktree;
    this.command = options.command;
    this.preset = inferPreset(options.command, options.preset);
    this.spec = presetSpec(this.preset);
    this.highWater = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.lowWater = Math.min(options.lowWaterMark ?? DEFAULT_LOW_WATER_MARK, this.highWater);
    const scrollback = options.scrollback ?? DEFAULT_SCROLLBACK;
    this.terminal = createEmulator({
      cols: options.cols ?? DEFAULT_COLS,
      rows: options.rows ?? DEFAULT_ROWS,
      scrollback: PaneHistory.xtermScrollback(scrollback),
    });
    // A flood of plain text that would only scroll past the history is not parsed (the log
    // takes its lines as the scroll would have).
    this.feed = (options.parseQueue ?? sharedParseQueue).feed(this.terminal, () => this.parsed(), {
      historyRows: scrollback,
      gatherBytes: Math.floor((this.highWater * 3) / 4),
      onSkip: (lines) => this.logger?.skipped(lines),
    });
    // Before the log, which sizes its batches from the emulator's own scrollback.
    this.history = new PaneHistory(this.terminal, scrollback);
    this.screen = new Screen(this.terminal, {
      history: this.history,
      ...(options.syncTimeoutMs === undefined ? {} : { syncTimeoutMs: options.syncTimeoutMs }),
    });
    this.tracker = new StatusTracker({
      preset: this.spec,
      ...(options.runningMs === undefined ? {} : { runningMs: options.runningMs }),
      onChange: (change) => {
        this.emit("status", change);
        this.releasePrompts(change);
      },
    });
    if (options.log !== false) {
      const file =
        options.log?.file ?? new StateStore(options.stateDir).agentLogPath(options.agent);
      this.log = new AgentLog({
        file,
        ...(options.log?.maxBytes === undefined ? {} : { maxBytes: options.log.maxBytes }),
      });
      this.logger = new ScreenLogger(this.terminal, this.log);
    }
    const t = this.terminal;
    this.disposables.push(
      // The emulator's answers to the program's queries (DSR, DA, mode reports, ...).
      t.onData((data) => this.proc && writeToPty(this.proc, data)),
      t.onBinary((data) => this.proc && writeToPty(this.proc, Buffer.from(data, "binary"))),
      t.onWriteParsed(() => {
        this.checkScreenSoon();
        this.emit("update");
      }),
      t.onBell(() => this.attention("bell", "")),
      t.onTitleChange((title) => {
        this.tracker.title(title);
        this.emit("title", title);
      }),
      // Codex announces its state: `OSC 7501;state=idle|working|blocked|done:app=codex...`.
      t.parser.registerOscHandler(7501, (data) => {
        this.tracker.osc7501(data);
        return true;
      }),
      // OSC 9: iTerm2/ConEmu/Windows Terminal notification; `9;4;...` is a progress report.
      t.parser.registerOscHandler(9, (data) => {
        if (!/^4(?:;|$)/.test(data)) this.attention("osc9", data);
        return true;
      }),
      // OSC 777 `notify;<title>;<body>` (urxvt, foot, ...).
      t.parser.registerOscHandler(777, (data) => {
        if (data.startsWith("notify;")) this.attention("osc777", data.slice("notify;".length));
        return true;
      }),
    );
  }

  /**
   * Starts the command (or `launch.command`, with `launch.env` added to the environment and
   * `launch.unset` taken out). Throws
   * if it is running already or the worktree does not exist.
   */
  start(launch: Launch = {}): void {
    if (this.disposing) throw new Error(`session ${this.agent} is disposed`);
    if (this.proc !== undefined) throw new Error(`session ${this.agent} is already running`);
    if (!existsSync(this.worktree)) {
      throw new Error(`session ${this.agent}: worktree ${this.worktree} does not exist`);
    }
    this.command = launch.command ?? this.options.command;
    const env = { ...agentEnv(this.options), ...launch.env };
    for (const key of launch.unset ?? []) delete env[key];
    const { file, args } = substituteCommand(this.command, {
      task: launch.task ?? this.task,
      agent: this.agent,
      stream: this.stream,
      worktree: this.worktree,
    });
    // No agent gets a terminal of Tower's: neither another agent's master nor Tower's own.
    keepTerminalsFromChildren();
    const proc = spawn(file, args, {
      name: "xterm-256color",
      cols: this.terminal.cols,
      rows: this.terminal.rows,
      cwd: this.worktree,
      env,
      // Raw bytes: xterm decodes UTF-8 itself, across chunk boundaries.
      encoding: null,
    });
    // node-pty's master descriptor (not in its typings); the scan above covers it otherwise.
    const master = (proc as unknown as { fd?: unknown }).fd;
    if (typeof master === "number") closeOnExec(master);
    running.add(proc.pid);
    killOnExit();
    this.proc = proc;
    this.stopAsked = false;
    this.exitInfo = undefined;
    this.exiting = undefined;
    this.pausedFlag = false;
    guardTail(proc, (chunk) => this.output(proc, chunk));
    ownInput(proc);
    this.procDisposables = [
      proc.onData((data) => this.output(proc, data as unknown as Buffer)),
      proc.onExit((event) => {
        running.delete(proc.pid);
        this.exiting = this.processExited(proc, event);
      }),
    ];
  }

  get status(): SessionStatus {
    return this.tracker.status;
  }

  /** What the status comes from (the agent's hooks, its title, the screen, ...). */
  get statusSource(): StatusSource {
    return this.tracker.source;
  }

  /** The agent announced its status by other means than its terminal (its CLI's hooks). */
  announce(status: AnnouncedStatus, source: StatusSource = "hook"): void {
    this.tracker.announce(status, source);
  }

  /** When the current status began (ms since the epoch). */
  get statusSince(): number {
    return this.tracker.changedAt;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** How the last run ended; undefined while running or before the first start. */
  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  get cols(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  /** Whether the pty is paused for backpressure right now. */
  get paused(): boolean {
    return this.pausedFlag;
  }

  /** Bytes of output received and not parsed yet. */
  get unparsedBytes(): number {
    return this.feed.unparsed;
  }

  /** Bytes of plain text left unparsed because they could only have scrolled past the history. */
  get fastForwardedBytes(): number {
    return this.feed.skipped;
  }

  on<K extends keyof SessionEvents>(event: K, listener: SessionEvents[K]): () => void {
    const set = this.listeners[event] as Set<SessionEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** The screen as styled rows (see screen.ts). */
  frame(options?: FrameOptions): Frame {
    return this.screen.frame(options);
  }

  /** The screen as plain text rows. */
  text(options?: { offset?: number; trimRight?: boolean }): string[] {
    return this.screen.text(options);
  }

  /** Resolves once all output received so far has been parsed. */
  whenParsed(): Promise<void> {
    return this.feed.drained();
  }

  /** Bytes to the program as they are (no escape-key handling, no translation). */
  write(data: string | Buffer): void {
    if (this.proc === undefined) return;
    if (this.held?.proc === this.proc) {
      this.held.data.push(data); // after the answer it waits behind
      return;
    }
    writeToPty(this.proc, data);
    this.tracker.input();
    this.feed.typed();
  }

  /**
   * Keyboard bytes from the user's terminal: forwarded except the escape key (cursor keys in
   * the program's mode). Returns the split so the caller sees the escape and what followed it.
   */
  input(data: string): SplitInput {
    this.checkBacklog();
    const split = keyboardInput(data, {
      escapeKey: this.options.escapeKey ?? DEFAULT_ESCAPE_KEY,
      applicationCursor: this.terminal.modes.applicationCursorKeysMode,
    });
    if (split.forward !== "") this.write(split.forward);
    return split;
  }

  /** Pasted text: bracketed only when the program turned bracketed paste on. */
  paste(text: string): void {
    this.checkBacklog();
    this.write(encodePaste(text, this.terminal.modes.bracketedPasteMode));
  }

  /**
   * Text Tower gives the program of its own accord (a next task, a review's comments), pasted
   * as `paste` does, but never into a question the program waits on (status "waiting": an
   * approval, a [y/n]): there it would be the answer (with bracketed paste off, each line break
   * an Enter), and the human would no longer see the question as waiting. It waits until the
   * question is answered and goes after it; a program that exits drops it.
   */
  prompt(text: string): void {
    if (this.status === "waiting" || this.prompts.length > 0) {
      this.prompts.push(text);
      return;
    }
    this.paste(text);
  }

  /**
   * Held prompts go once the program has moved on from its question: a change of status that
   * is not the human's keystroke (the first key of an answer is not all of it).
   */
  private releasePrompts(change: StatusChange): void {
    if (change.status === "exited") this.prompts = [];
    if (change.status === "waiting" || change.reason === "input") return;
    for (const text of this.prompts.splice(0)) {
      try {
        this.paste(text);
      } catch {
        // The program is not reading its input (over the backlog's limit): it cannot go.
        this.prompts = [];
      }
    }
  }

  /** Input written that the program has not read yet, bytes (answers held back included). */
  inputBacklog(): number {
    const held = this.held?.data.reduce((sum, part) => sum + Buffer.byteLength(part), 0) ?? 0;
    return (this.proc ? pendingInput(this.proc) : 0) + held;
  }

  /** Throws when more than MAX_INPUT_BACKLOG waits for the program (see there). */
  private checkBacklog(): void {
    const waiting = this.inputBacklog();
    if (waiting <= MAX_INPUT_BACKLOG) return;
    const mib = Math.round(waiting / (1024 * 1024));
    throw new Error(
      `${this.options.agent} is not reading its input: ${mib} MiB wait for it; nothing more is sent until it reads`,
    );
  }

  /** Named keys (keys.ts `encodeKey`), cursor keys in the program's mode. */
  sendKeys(...names: string[]): void {
    this.write(
      encodeKeys(names, { applicationCursor: this.terminal.modes.applicationCursorKeysMode }),
    );
  }

  /** Answers yes to what the program asks (the preset's approve keys), once it is still. */
  approve(): void {
    this.answer(this.spec.approveKeys);
  }

  /** Answers no (the preset's deny keys), once it is still. */
  deny(): void {
    this.answer(this.spec.denyKeys);
  }

  /**
   * Sends `keys` once the output has been still for ANSWER_SETTLE_MS (a prompt drawn a moment
   * ago may not take keys yet), at most ANSWER_WAIT_MAX_MS from now; what is written meanwhile
   * follows them.
   */
  private answer(keys: readonly string[]): void {
    const proc = this.proc;
    if (proc === undefined) return;
    const bytes = encodeKeys(keys, {
      applicationCursor: this.terminal.modes.applicationCursorKeysMode,
    });
    if (this.held?.proc === proc || performance.now() - this.lastOutputAt >= ANSWER_SETTLE_MS) {
      this.write(bytes);
      return;
    }
    const deadline = performance.now() + ANSWER_WAIT_MAX_MS;
    const release = () => {
      const now = performance.now();
      const still = now - this.lastOutputAt;
      if (this.held === undefined) return;
      if (still < ANSWER_SETTLE_MS && now < deadline) {
        this.held.timer = setTimeout(release, Math.min(ANSWER_SETTLE_MS - still, deadline - now));
        return;
      }
      const { data } = this.held;
      this.held = undefined;
      if (this.proc !== proc) return; // the process it was for has gone
      for (const part of data) this.write(part);
    };
    const wait = ANSWER_SETTLE_MS - (performance.now() - this.lastOutputAt);
    this.held = { proc, data: [bytes], timer: setTimeout(release, wait) };
  }

  /** Resizes the pty (the program gets SIGWINCH) and the emulator. */
  resize(cols: number, rows: number): void {
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1) {
      throw new Error(`invalid size ${cols}x${rows}`);
    }
    if (cols === this.terminal.cols && rows === this.terminal.rows) return;
    this.logger?.beforeResize(); // before the reflow moves the history's lines
    this.history.beforeResize(cols, rows);
    this.terminal.resize(cols, rows);
    try {
      this.proc?.resize(cols, rows);
    } catch {
      // The pty is closing: the emulator's size is what matters now.
    }
    this.emit("update");
  }

  /** Resolves with how the current (or last) run ended. */
  waitForExit(): Promise<ExitInfo> {
    if (this.proc === undefined && this.exitInfo !== undefined) {
      return Promise.resolve(this.exitInfo);
    }
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  /**
   * SIGTERM to the process and its process group, SIGKILL after `graceMs`. Resolves when it has
   * exited and its output is parsed and logged.
   */
  stop(graceMs = this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS): Promise<ExitInfo> {
    const proc = this.proc;
    if (proc === undefined) {
      if (this.exiting !== undefined) return this.waitForExit();
      return Promise.resolve(this.exitInfo ?? { code: null, signal: null });
    }
    const exited = this.waitForExit();
    this.stopAsked = true;
    signal(proc.pid, "SIGTERM");
    if (this.killTimer === undefined) {
      this.killTimer = setTimeout(() => {
        if (this.proc === proc) signal(proc.pid, "SIGKILL");
      }, graceMs);
    }
    return exited;
  }

  /**
   * Stops the process if it runs, then starts the plan's command (or `launch`'s, for example one
   * that resumes the agent's conversation) again in the same worktree on a reset screen.
   */
  async restart(options: { launch?: Launch; graceMs?: number } = {}): Promise<void> {
    if (this.proc !== undefined) await this.stop(options.graceMs);
    await this.exiting;
    this.logger?.collect();
    this.terminal.reset();
    this.history.clear();
    this.screen.reset();
    this.logger?.reset();
    this.tracker.restarted();
    this.start(options.launch);
    this.emit("update");
  }

  /** Stops the process (if running), writes the log and releases the emulator. */
  async dispose(graceMs?: number): Promise<void> {
    if (this.disposed) return;
    this.disposing = true;
    if (this.proc !== undefined) await this.stop(graceMs);
    await this.exiting;
    this.disposed = true;
    clearTimeout(this.screenTimer);
    clearTimeout(this.held?.timer);
    this.held = undefined;
    await this.log?.close();
    this.feed.close();
    this.tracker.dispose();
    this.logger?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.screen.dispose();
    this.history.dispose();
    this.terminal.dispose();
    for (const set of Object.values(this.listeners)) set.clear();
  }

  private output(proc: IPty, data: Buffer): void {
    if (proc !== this.proc) return;
    this.feed.push(data);
    if (!this.pausedFlag && this.feed.unparsed >= this.highWater) {
      this.pausedFlag = true;
      this.pauses++;
      proc.pause();
    }
    this.lastOutputAt = performance.now();
    if (hasVisibleText(data)) this.tracker.output();
  }

  /** Some output was parsed: a pty paused for backpressure goes on under the low-water mark. */
  private parsed(): void {
    if (this.pausedFlag && this.feed.unparsed <= this.lowWater) {
      this.pausedFlag = false;
      this.proc?.resume();
    }
  }

  private async processExited(
    proc: IPty,
    event: { exitCode: number; signal?: number },
  ): Promise<void> {
    for (const d of this.procDisposables.splice(0)) d.dispose();
    await this.feed.drained();
    this.checkScreen();
    this.logger?.flushScreen();
    await this.log?.close(); // a restart opens it again
    clearTimeout(this.killTimer);
    this.killTimer = undefined;
    const signalName =
      event.signal !== undefined && event.signal > 0
        ? (SIGNAL_NAMES.get(event.signal) ?? `SIG${event.signal}`)
        : null;
    const info: ExitInfo = {
      code: signalName === null ? event.exitCode : null,
      signal: signalName,
      ...(this.stopAsked && proc === this.proc && { stopped: true as const }),
    };
    if (proc === this.proc) this.proc = undefined;
    this.exitInfo = info;
    this.pausedFlag = false;
    this.tracker.exited(info);
    for (const resolve of this.exitWaiters.splice(0)) resolve(info);
    this.emit("exit", info);
    this.emit("update");
  }

  private attention(kind: AttentionKind, text: string): void {
    this.tracker.notify(kind);
    this.emit("notification", { kind, text });
  }

  /** Runs the screen patterns at most every 100 ms while output flows, and once after it. */
  private checkScreenSoon(): void {
    if (this.screenTimer !== undefined) return;
    // Never in the same turn as the output: the screen's text and its patterns are read after
    // the frame of what was parsed has gone out (a keystroke's echo does not wait for them).
    const wait = Math.max(0, this.lastScreenCheck + SCREEN_CHECK_MS - Date.now());
    this.screenTimer = setTimeout(() => {
      this.screenTimer = undefined;
      this.checkScreen();
    }, wait);
    this.screenTimer.unref();
  }

  private checkScreen(): void {
    this.lastScreenCheck = Date.now();
    if (!this.disposed) this.tracker.screen(this.screen.text());
  }

  private emit<K extends keyof SessionEvents>(
    event: K,
    ...args: Parameters<SessionEvents[K]>
  ): void {
    for (const listener of this.listeners[event]) {
      (listener as (...a: Parameters<SessionEvents[K]>) => void)(...args);
    }
  }
}

/**
 * Whether a chunk of output has anything to show: text, as opposed to only control sequences
 * (mode switches, cursor moves, a terminal restored on exit), which do not count as activity.
 * Long chunks are taken as text without looking.
 */
export function hasVisibleText(data: Uint8Array): boolean {
  if (data.length > 512) return true;
  let i = 0;
  while (i < data.length) {
    const byte = data[i] ?? 0;
    if (byte === 0x1b) {
      const next = data[i + 1];
      if (next === 0x5b) {
        // CSI: parameters and intermediates, then a final byte 0x40..0x7e.
        i += 2;
        while (i < data.length && ((data[i] ?? 0) < 0x40 || (data[i] ?? 0) > 0x7e)) i++;
        i++;
      } else if (next === 0x5d || next === 0x50 || next === 0x5f || next === 0x5e) {
        // OSC, DCS, APC, PM: up to BEL or ST.
        i += 2;
        while (i < data.length && data[i] !== 0x07 && !(data[i] === 0x1b && data[i + 1] === 0x5c))
          i++;
        i += data[i] === 0x07 ? 1 : 2;
      } else {
        i += 2; // a two-byte escape (ESC 7, ESC =, ...)
      }
    } else if (byte < 0x20 || byte === 0x7f) {
      i++;
    } else {
      return true;
    }
  }
  return false;
}

/** The pids of the sessions' processes that have not exited, in this process. */
const running = new Set<number>();
let exitHook = false;

/** Installs (once) the last resort: a process exiting with sessions running kills them. */
function killOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    killRunningSessions();
  });
}

/**
 * SIGKILL to every session's process group that has not exited, at once (an `exit` handler
 * cannot wait for a grace period). Returns their pids.
 */
export function killRunningSessions(): number[] {
  const pids = [...running];
  for (const pid of pids) signal(pid, "SIGKILL");
  running.clear();
  return pids;
}

/** A signal to the process group led by `pid` (node-pty makes the child a session leader) and to
 * `pid` itself. */
function signal(pid: number, name: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, name);
    } catch {
      // Gone already.
    }
  }
}
