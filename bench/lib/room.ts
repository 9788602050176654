/**
 * The whole control room under test, and tmux doing the same job, for the benchmarks that
 * compare them (startup, latency, throughput, state, idle, memory).
 *
 * - The repository: a throwaway git repository whose plan has four streams (A-D) of two agents
 *   each, all started (`tower start A B C D`), so that the control room opens with eight panes.
 *   Every agent runs `sh <scripts>/agent.sh <agent id>`; a benchmark writes that script (what
 *   the agents do) before it opens the control room, and the same script runs in tmux's panes.
 *   The agents wait for the harness on named pipes where a benchmark needs a common start
 *   (`fifos`, `release`).
 * - Tower: `node dist/bin/tower.js ui --no-resume` in the harness's pseudo-terminal at 160x48,
 *   in the repository, with TERM=xterm-256color, a UTF-8 locale and no CI variables: as a person
 *   runs it, a client that starts the repository's Tower server (which holds the agents'
 *   terminals) and attaches to it. Its costs are the client's and the server's together, as
 *   tmux's are its client's and its server's. The pane rectangles come from the UI's own layout
 *   functions (dist/room/layout.js), checked against the title bars on screen. It is closed with
 *   `q` and `s` (stop every agent and the server; SIGTERM, then SIGKILL, if that fails).
 * - tmux: a private server (`tmux -L <unique> -f /dev/null`) whose client runs in the harness's
 *   pseudo-terminal, one session of eight panes (split, `select-layout tiled`), history-limit
 *   5,000 as Tower's scrollback, TERM=xterm-256color inside, and the pane titles shown in the
 *   borders (`pane-border-status top`) as Tower's title bars. Closed with `kill-server`.
 *
 * After either closes, no process may be left under the benchmark's folder: what is left is
 * killed and reported (`close` returns the problems, for the benchmark's failures).
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as LayoutModule from "../../src/room/layout.js";
import type * as RuntimeDirModule from "../../src/room/runtime-dir.js";
import type * as InfoModule from "../../src/server/info.js";
import { removeTmuxSocket } from "../../test/helpers/tmux-socket.js";
import {
  type CpuTime,
  childrenOf,
  cpuTime,
  isAlive,
  processesUnder,
  reapUnder,
  totalCpu,
} from "./procs.js";
import { CLI, cleanEnv, git, makeBenchRepo, PROJECT_ROOT, tower, trustRepo } from "./repo.js";
import { nowMs } from "./stats.js";
import { HarnessTerminal, type Rect } from "./terminal.js";

export const ROOM = { cols: 160, rows: 48 } as const;
export const AGENT_IDS = ["A1", "A2", "B1", "B2", "C1", "C2", "D1", "D2"] as const;
export type AgentId = (typeof AGENT_IDS)[number];
/** Tower's scrollback per session (dist/pty DEFAULT_SCROLLBACK); tmux gets the same history. */
export const HISTORY = 5_000;

export interface RoomRepo {
  /** Everything lives under it: the repository, the worktrees, the scripts. */
  parent: string;
  root: string;
  stateDir: string;
  /** The agents' script, the generated output files and the named pipes. */
  scripts: string;
  /** The worktree of each agent's stream. */
  worktree(id: AgentId): string;
  cleanup(): void;
}

const plan = (script: string) => `version: 1
project: bench
agent: [sh, ${JSON.stringify(script)}, "{agent}"]
streams:
${["A", "B", "C", "D"]
  .map(
    (s, i) => `  ${s}:
    name: Stream ${s}
    scope: ["s${i}/**"]
    agents:
      - { id: ${s}1, task: bench, preset: shell }
      - { id: ${s}2, task: bench, preset: shell }`,
  )
  .join("\n")}
`;

/** The repository with the four streams started. */
export async function makeRoomRepo(): Promise<RoomRepo> {
  const repo = await makeBenchRepo();
  const parent = path.dirname(repo.root);
  try {
    const scripts = path.join(parent, "scripts");
    mkdirSync(scripts);
    writeFileSync(path.join(repo.root, "streams.yaml"), plan(path.join(scripts, "agent.sh")));
    git(repo.root, "commit", "-q", "-am", "bench plan");
    // The plan's commands changed: trusted again, as `tower trust` would, or Tower asks first.
    await trustRepo(repo.root);
    const started = await tower(repo.root, ["start", "A", "B", "C", "D"]);
    if (started.code !== 0) throw new Error(`tower start failed: ${started.stderr}`);
    return {
      parent,
      root: repo.root,
      stateDir: repo.stateDir,
      scripts,
      // `tower start` puts worktrees beside the repository: <project>-stream-<id>.
      worktree: (id) => path.join(parent, `bench-stream-${id.slice(0, 1)}`),
      cleanup: repo.cleanup,
    };
  } catch (error) {
    repo.cleanup();
    throw error;
  }
}

/**
 * Writes what every agent runs: `body` is sh with `$1` the agent's id and `$D` the scripts
 * folder.
 */
export function writeAgentScript(repo: RoomRepo, body: string): void {
  const script = `#!/bin/sh\nD=${shellQuote(repo.scripts)}\n${body}\n`;
  writeFileSync(path.join(repo.scripts, "agent.sh"), script, { mode: 0o755 });
}

const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/** An agent that shows a prompt and waits for input. */
export const IDLE_AGENT = `printf '%s ready> ' "$1"\nexec cat`;

/** Named pipes `<scripts>/<name>-<id>`, one per agent, for `read go < "$D/<name>-$1"`. */
export function makeFifos(repo: RoomRepo, name: string, ids: readonly string[]): void {
  const files = ids.map((id) => path.join(repo.scripts, `${name}-${id}`));
  for (const file of files) rmSync(file, { force: true });
  execFileSync("mkfifo", files);
}

/**
 * Lets the agents waiting on `<name>-<id>` go: writes a line into each pipe. An agent that has not
 * opened its pipe yet is waited for (non-blocking opens, retried), up to `timeoutMs`.
 */
export async function release(
  repo: RoomRepo,
  name: string,
  ids: readonly string[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = nowMs() + timeoutMs;
  const pending = new Set(ids);
  while (pending.size > 0) {
    for (const id of [...pending]) {
      let fd: number;
      try {
        fd = openSync(
          path.join(repo.scripts, `${name}-${id}`),
          constants.O_WRONLY | constants.O_NONBLOCK,
        );
      } catch (error) {
        // ENXIO: nobody reads it yet.
        if ((error as NodeJS.ErrnoException).code === "ENXIO") continue;
        throw error;
      }
      try {
        writeSync(fd, "go\n");
      } finally {
        closeSync(fd);
      }
      pending.delete(id);
    }
    if (pending.size === 0) break;
    if (nowMs() > deadline)
      throw new Error(`agents ${[...pending].join(", ")} never waited on their ${name} pipe`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The environment both programs start with: a plain 256-colour UTF-8 terminal, no CI. */
export function roomEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const drop = new Set([
    "CI",
    "CONTINUOUS_INTEGRATION",
    "COLORTERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "TERM_PROGRAM",
    // As a person runs it (React's development build, as `tower` gets it from npm).
    "NODE_ENV",
  ]);
  for (const [key, value] of Object.entries(cleanEnv())) {
    if (value === undefined || drop.has(key) || key.startsWith("TMUX")) continue;
    env[key] = value;
  }
  return { ...env, TERM: "xterm-256color", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
}

/** One program under test showing the eight agents. */
export interface Room {
  readonly name: "tower" | "tmux";
  readonly term: HarnessTerminal;
  /** Resolves with the time the first complete frame was on screen (see `complete`). */
  ready(timeoutMs?: number): Promise<number>;
  /** Every agent's pane with its title is drawn, and the program's own lines (header, footer). */
  complete(): boolean;
  /** Where the agent's program is drawn on the screen (its title bar left out). */
  content(id: AgentId): Rect;
  /** The processes whose CPU and memory are the program's own (its agents' not included). */
  pids(): number[];
  /** The CPU its client and server have used, and their children's (`cpuSince` for a span). */
  cpu(): CpuTime;
  /** Keys typed from now on go to this agent's program. */
  focus(id: AgentId): Promise<void>;
  /** Ends it and everything it started; returns what went wrong (left-over processes...). */
  close(): Promise<string[]>;
}

type Layout = typeof LayoutModule;
let layoutModule: Promise<Layout> | undefined;
const loadLayout = (): Promise<Layout> => {
  const file = path.join(PROJECT_ROOT, "dist/room/layout.js");
  layoutModule ??= import(pathToFileURL(file).href) as Promise<Layout>;
  return layoutModule;
};

/** The processes left under the folder, killed, as problems. */
async function leftovers(repo: RoomRepo, who: string): Promise<string[]> {
  const left = await reapUnder(repo.parent);
  return left.map((p) => `${who}: process ${p.pid} (${p.command}) was left running; killed it`);
}

export class TowerRoom implements Room {
  readonly name = "tower";

  private constructor(
    readonly term: HarnessTerminal,
    private readonly repo: RoomRepo,
    /** The UI's layout code (dist/room/layout.js). */
    private readonly layout: Layout,
  ) {}

  /**
   * The screen's layout now: the bottom panel takes the rows its tab needs (src/ui/layout.ts),
   * so its tab bar's row says how tall it is, and where the panes are.
   */
  private current(): { panes: Map<AgentId, Rect>; panel: Rect } {
    const most = this.layout.screenLayout(ROOM.cols, ROOM.rows);
    let chosen = most;
    for (let rows = this.layout.MIN_PANEL; rows <= most.panel.height; rows++) {
      const candidate = this.layout.screenLayout(ROOM.cols, ROOM.rows, { panel: rows });
      if (/^ Locks \d+ /.test(this.term.row(candidate.panel.y))) {
        chosen = candidate;
        break;
      }
    }
    const key = chosen.panel.y;
    if (this.cached?.key !== key) {
      const panes = new Map<AgentId, Rect>();
      for (const { id, rect } of this.layout.visiblePanes(AGENT_IDS, undefined, chosen.grid, false))
        panes.set(id as AgentId, rect);
      this.cached = { key, panes, panel: chosen.panel };
    }
    return this.cached;
  }
  private cached: { key: number; panes: Map<AgentId, Rect>; panel: Rect } | undefined;

  /** The bottom panel: its tab bar, then the rows of the active tab (Locks at first). */
  get panel(): Rect {
    return this.current().panel;
  }

  static launch(repo: RoomRepo): Promise<TowerRoom> {
    return TowerRoom.spawn(repo, ["ui", "--no-resume"]);
  }

  /** `tower attach`: a client on the server already running the repository's room. */
  static attach(repo: RoomRepo, env: Record<string, string> = roomEnv()): Promise<TowerRoom> {
    return TowerRoom.spawn(repo, ["attach"], env);
  }

  private static async spawn(
    repo: RoomRepo,
    args: string[],
    env: Record<string, string> = roomEnv(),
  ): Promise<TowerRoom> {
    const layout = await loadLayout();
    const { grid } = layout.screenLayout(ROOM.cols, ROOM.rows);
    const shown = layout.visiblePanes(AGENT_IDS, undefined, grid, false).length;
    if (shown !== AGENT_IDS.length)
      throw new Error(`Tower's layout shows ${shown} of the 8 panes at 160x48`);
    // What npm installs as `tower`: the shell launcher beside tower.js (scripts/bundle.ts).
    const term = await HarnessTerminal.spawn(path.join(path.dirname(CLI), "tower"), args, {
      cwd: repo.root,
      env,
      ...ROOM,
    });
    return new TowerRoom(term, repo, layout);
  }

  private pane(id: AgentId): Rect {
    const rect = this.current().panes.get(id);
    if (!rect) throw new Error(`no pane for ${id}`);
    return rect;
  }

  /** The agent's title bar as shown. */
  title(id: AgentId): string {
    const rect = this.pane(id);
    return this.term.row(rect.y, rect.x, rect.width);
  }

  private selected(id: AgentId): boolean {
    return this.title(id).startsWith(`▶ ${id} `);
  }

  complete(): boolean {
    const header = this.term.row(0);
    const footer = this.term.row(ROOM.rows - 1);
    return (
      header.startsWith(" tower ") &&
      header.includes(" bench ") &&
      /^ (NORMAL|INSERT) /.test(footer) &&
      AGENT_IDS.every((id) => new RegExp(`^(▶ | {2})${id} `).test(this.title(id)))
    );
  }

  /** The Tower server the client started, once the first frame is on screen. */
  private serverPid: number | undefined;

  async ready(timeoutMs = 60_000): Promise<number> {
    const at = await this.term.waitFor(
      () => this.complete(),
      "Tower's first complete frame",
      timeoutMs,
    );
    this.serverPid = await TowerRoom.serverPid(this.repo);
    return at;
  }

  /**
   * The pid of the repository's Tower server: the one its `server.json` names (a process found
   * by its command line may be another one, on its way out), which must be a `tower server`
   * process under the repository.
   */
  static async serverPid(repo: RoomRepo): Promise<number> {
    const load = (file: string) => import(pathToFileURL(path.join(PROJECT_ROOT, file)).href);
    const { roomDir } = (await load("dist/room/runtime-dir.js")) as typeof RuntimeDirModule;
    const { liveServer } = (await load("dist/server/info.js")) as typeof InfoModule;
    const info = await liveServer(await roomDir(repo.root, roomEnv()));
    if (!info) throw new Error("Tower's first frame is on screen but no Tower server runs");
    const running = processesUnder(repo.root).filter((p) => /\btower\.js server\b/.test(p.command));
    if (!running.some((p) => p.pid === info.pid))
      throw new Error(
        `server.json names pid ${info.pid}, which is not among the Tower servers under the repository: ${JSON.stringify(running)}`,
      );
    return info.pid;
  }

  content(id: AgentId): Rect {
    const rect = this.pane(id);
    return { x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1 };
  }

  /** The server's pid, once `ready` found it. */
  get server(): number | undefined {
    return this.serverPid;
  }

  /** `D` (in normal mode), as a person detaches: the client ends, the server and agents go on. */
  async detach(timeoutMs = 20_000): Promise<void> {
    this.term.write("D");
    await this.term.waitFor(() => !this.term.running, "the Tower client to detach", timeoutMs);
    const exit = await this.term.close();
    if (exit.exitCode !== 0) throw new Error(`tower: detached with ${JSON.stringify(exit)}`);
  }

  /**
   * The client, the server and the server's git helper while it runs (it starts with the first
   * git command and stops after 10 s idle): what Tower holds in memory.
   */
  pids(): number[] {
    if (this.serverPid === undefined) return [this.term.pid];
    return [this.term.pid, this.serverPid, ...childrenOf(this.serverPid, "git-process-main")];
  }

  /**
   * The client's and the server's CPU; as children's, the git helper's and the git it ran. A
   * helper that exited counts in the server's children's time (with the git it ran), one that
   * runs is read here: the sums only grow, whenever a helper comes or goes.
   */
  cpu(): CpuTime {
    const own = [this.term.pid, ...(this.serverPid === undefined ? [] : [this.serverPid])];
    const sum = totalCpu(own);
    if (this.serverPid !== undefined) {
      for (const helper of childrenOf(this.serverPid, "git-process-main")) {
        const t = cpuTime(helper);
        sum.childrenMs += t.selfMs + t.childrenMs;
      }
    }
    return sum;
  }

  /** Moves the selection with `l` (to the right, then on) until it is on `id`; then `i`. */
  async focus(id: AgentId): Promise<void> {
    for (let moves = 0; !this.selected(id); moves++) {
      if (moves >= AGENT_IDS.length) throw new Error(`could not select ${id} with l`);
      const before = AGENT_IDS.find((a) => this.selected(a));
      this.term.write("l");
      await this.term.waitFor(
        () => AGENT_IDS.some((a) => a !== before && this.selected(a)),
        `the selection to move from ${before}`,
      );
    }
    this.term.write("i");
    await this.term.waitFor(
      () =>
        this.title(id).includes(" INSERT") && this.term.row(ROOM.rows - 1).startsWith(" INSERT"),
      `insert mode on ${id}`,
    );
  }

  /**
   * `q` and `s` (back to normal mode with Ctrl-] first), as a person stops everything; SIGTERM
   * and then SIGKILL to the UI if that does not work within 20 s. The server must be gone too.
   */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    if (this.term.running) {
      try {
        this.term.write("\x1d");
        this.term.write("q");
        await this.term.waitFor(
          () =>
            !this.term.running ||
            this.term.dump().includes("Leave Tower?") ||
            this.term.dump().includes("Quit Tower?"),
          "the quit question",
          20_000,
        );
        if (this.term.running)
          this.term.write(this.term.dump().includes("Leave Tower?") ? "s" : "y");
        await this.term.waitFor(() => !this.term.running, "Tower to quit", 20_000);
        const server = this.serverPid;
        for (const deadline = nowMs() + 20_000; server !== undefined && isAlive(server); ) {
          if (nowMs() > deadline) throw new Error("the Tower server still ran 20 s after s");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } catch (error) {
        problems.push(`tower: q and y did not quit: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    const exit = await this.term.close();
    if (problems.length === 0 && exit.exitCode !== 0)
      problems.push(`tower: exited with ${JSON.stringify(exit)}`);
    problems.push(...(await leftovers(this.repo, "tower")));
    return problems;
  }
}

interface TmuxPane {
  id: string;
  title: string;
  rect: Rect;
}

export class TmuxRoom implements Room {
  readonly name = "tmux";
  private panes = new Map<AgentId, TmuxPane>();
  private serverPid: number | undefined;

  private constructor(
    readonly term: HarnessTerminal,
    private readonly repo: RoomRepo,
    private readonly socket: string,
  ) {}

  static async launch(repo: RoomRepo): Promise<TmuxRoom> {
    const socket = `tower-bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const script = path.join(repo.scripts, "agent.sh");
    const pane = (id: AgentId) => ["-c", repo.worktree(id), `sh ${script} ${id}`];
    const [first, ...rest] = AGENT_IDS;
    const args = [
      "-L",
      socket,
      "-f",
      "/dev/null",
      "start-server",
      ...[
        ["history-limit", String(HISTORY)],
        ["default-terminal", "xterm-256color"],
        ["pane-border-status", "top"],
        ["pane-border-format", " #{pane_title} "],
      ].flatMap(([option, value]) => [";", "set-option", "-g", option!, value!]),
      ";",
      "new-session",
      "-s",
      "bench",
      ...pane(first),
      ";",
      "select-pane",
      "-T",
      first,
      ...rest.flatMap((id) => [
        ";",
        "split-window",
        ...pane(id),
        ";",
        "select-pane",
        "-T",
        id,
        // Re-tiled after every split, so that there is always room for the next one.
        ";",
        "select-layout",
        "tiled",
      ]),
    ];
    const term = await HarnessTerminal.spawn("tmux", args, {
      cwd: repo.root,
      env: roomEnv(),
      ...ROOM,
    });
    return new TmuxRoom(term, repo, socket);
  }

  /** `tmux attach -t bench`: a new client on the server of `room` (which has been detached). */
  static async attach(room: TmuxRoom): Promise<TmuxRoom> {
    const term = await HarnessTerminal.spawn(
      "tmux",
      ["-L", room.socket, "-f", "/dev/null", "attach-session", "-t", "bench"],
      { cwd: room.repo.root, env: roomEnv(), ...ROOM },
    );
    const client = new TmuxRoom(term, room.repo, room.socket);
    // The same server and session, at the same size: the same panes where they were.
    client.panes = new Map(room.panes);
    client.serverPid = room.serverPid;
    return client;
  }

  /** The server's pid, once `ready` found it. */
  get server(): number | undefined {
    return this.serverPid;
  }

  /** The prefix and `d` (C-b d), as a person detaches: the client ends, the server goes on. */
  async detach(timeoutMs = 20_000): Promise<void> {
    this.term.write("\x02d");
    await this.term.waitFor(() => !this.term.running, "the tmux client to detach", timeoutMs);
    const exit = await this.term.close();
    if (exit.exitCode !== 0) throw new Error(`tmux: detached with ${JSON.stringify(exit)}`);
  }

  tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], {
      encoding: "utf8",
      env: roomEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  complete(): boolean {
    const text = this.term.screen();
    return (
      (text[ROOM.rows - 1] ?? "").startsWith("[bench]") &&
      AGENT_IDS.every((id) => text.some((row) => row.includes(`─ ${id} ─`)))
    );
  }

  async ready(timeoutMs = 60_000): Promise<number> {
    const at = await this.term.waitFor(
      () => this.complete(),
      "tmux's first complete frame",
      timeoutMs,
    );
    this.serverPid = Number(this.tmux("display-message", "-p", "#{pid}").trim());
    const lines = this.tmux(
      "list-panes",
      "-F",
      "#{pane_id} #{pane_title} #{pane_left} #{pane_top} #{pane_width} #{pane_height}",
    );
    for (const line of lines.trim().split("\n")) {
      const [id = "", title = "", x, y, width, height] = line.split(" ");
      const rect = { x: Number(x), y: Number(y), width: Number(width), height: Number(height) };
      if (AGENT_IDS.includes(title as AgentId))
        this.panes.set(title as AgentId, { id, title, rect });
    }
    if (this.panes.size !== AGENT_IDS.length)
      throw new Error(`tmux has ${this.panes.size} of the 8 panes:\n${lines}`);
    return at;
  }

  private pane(id: AgentId): TmuxPane {
    const pane = this.panes.get(id);
    if (!pane) throw new Error(`no tmux pane for ${id} (call ready first)`);
    return pane;
  }

  content(id: AgentId): Rect {
    return this.pane(id).rect;
  }

  pids(): number[] {
    if (this.serverPid === undefined) throw new Error("tmux's server is not known yet");
    return [this.serverPid, this.term.pid];
  }

  cpu(): CpuTime {
    return totalCpu(this.pids());
  }

  async focus(id: AgentId): Promise<void> {
    this.tmux("select-pane", "-t", this.pane(id).id);
  }

  async close(): Promise<string[]> {
    const problems: string[] = [];
    try {
      this.tmux("kill-server");
    } catch {
      // Gone already.
    }
    await this.term.close();
    removeTmuxSocket(this.socket);
    if (this.serverPid !== undefined && !(await gone(this.serverPid, 5_000))) {
      problems.push(`tmux: the server ${this.serverPid} outlived kill-server; killed it`);
      try {
        process.kill(this.serverPid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    problems.push(...(await leftovers(this.repo, "tmux")));
    return problems;
  }
}

/** Resolves true once `pid` has ended, false if it still runs after `timeoutMs`. */
async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (nowMs() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export type RoomKind = "tower" | "tmux";

/**
 * The frame is still complete after the work: given a moment, since the harness may have parsed
 * half of a frame the program is still writing. A frame that stays broken is a failure, with the
 * screen as it was.
 */
export async function checkComplete(
  room: Room,
  when: string,
  failures: string[],
  timeoutMs = 5_000,
): Promise<void> {
  try {
    await room.term.waitFor(() => room.complete(), `a complete frame ${when}`, timeoutMs);
  } catch (error) {
    failures.push(`${room.name}: the frame is not complete ${when}: ${(error as Error).message}`);
  }
}

export function launchRoom(kind: RoomKind, repo: RoomRepo): Promise<Room> {
  return kind === "tower" ? TowerRoom.launch(repo) : TmuxRoom.launch(repo);
}

/**
 * Opens the room, waits for its first complete frame, runs `body`, and closes it whatever
 * happens; problems on the way out go to `failures`.
 */
export async function withRoom<T>(
  kind: RoomKind,
  repo: RoomRepo,
  failures: string[],
  body: (room: Room, readyAt: number) => Promise<T>,
): Promise<T> {
  const room = await launchRoom(kind, repo);
  try {
    const readyAt = await room.ready();
    return await body(room, readyAt);
  } finally {
    failures.push(...(await room.close()));
  }
}
