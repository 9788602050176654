/**
 * `panes`: how fast agent output gets from the process to screen rows, and what a session costs
 * in memory, next to tmux draining the same output in the same run.
 *
 * One 20 MB file of mixed terminal output (bench/lib/ansi-gen.ts: colours of every kind,
 * attributes, cursor moves, redraws, wrapping lines, wide characters) is `cat` by 1 and then 8
 * agents at once, each in its own 80x24 pseudo-terminal, followed by an end marker.
 *
 * - Tower: sessions from dist/pty (node-pty, headless xterm with 5,000 lines of scrollback,
 *   backpressure, the plain-text log on), and rows taken at 60 frames a second as the UI does;
 *   the time is until the marker is in every session's rows.
 * - tmux: the same command in as many panes of a private server (history-limit 5000, no status
 *   line, TERM xterm-256color), polled with `capture-pane` every 50 ms until the marker shows in
 *   every pane.
 *
 * MB/s is all the output (sessions x 20 MB) over that time. Memory per session: the peak growth
 * of Tower's resident set (and of its JS heap, and what stays after a GC) over its level before
 * the sessions, divided by their number; for tmux the peak growth of the server's resident set.
 * Check: the final screen of every Tower session equals tmux's, cell for cell (as text).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import type * as PtyModule from "../src/pty/index.js";
import { removeTmuxSocket } from "../test/helpers/tmux-socket.js";
import { writeAnsiFile } from "./lib/ansi-gen.js";
import { sized } from "./lib/mode.js";
import { cleanEnv, PROJECT_ROOT } from "./lib/repo.js";
import { nowMs, percentile, round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, type BenchRow, compareRow, row } from "./lib/types.js";

const SIZE = {
  bytes: sized(20 * 1024 * 1024, 1024 * 1024),
  cols: 80,
  rows: 24,
  sessions: [1, 8],
  seed: 7,
};
const FRAME_MS = 16;
const POLL_MS = 50;
const TIMEOUT_MS = 60_000;
const MARKER = "TOWER-BENCH-END";
const MB = 1024 * 1024;

async function loadPty(): Promise<typeof PtyModule> {
  const file = path.join(PROJECT_ROOT, "dist/pty/index.js");
  return (await import(pathToFileURL(file).href)) as typeof PtyModule;
}

/** A full garbage collection, for the retained-memory figure. */
function gcFunction(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

const env = (): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(cleanEnv({ LC_ALL: "C.UTF-8", LANG: "C.UTF-8" }))) {
    if (value !== undefined && !key.startsWith("TMUX")) out[key] = value;
  }
  return out;
};

interface Run {
  sessions: number;
  elapsedMs: number;
  mbPerS: number;
  peakRssPerSessionMb: number;
  screens: string[][];
}

interface TowerRun extends Run {
  peakHeapPerSessionMb: number;
  retainedPerSessionMb: number;
  framesP50Ms: number;
  framesP99Ms: number;
  pauses: number;
}

async function towerRun(
  pty: typeof PtyModule,
  sessions: number,
  command: string,
  dir: string,
  bytes: number,
  gc: () => void,
): Promise<TowerRun> {
  gc();
  const base = process.memoryUsage();
  const stateDir = path.join(dir, `state-${sessions}`);
  const all = Array.from(
    { length: sessions },
    (_, i) =>
      new pty.Session({
        agent: `P${i + 1}`,
        stream: "P",
        task: "flood",
        command: ["sh", "-c", command],
        worktree: dir,
        repoRoot: dir,
        stateDir,
        cols: SIZE.cols,
        rows: SIZE.rows,
        env: env(),
        stopGraceMs: 500,
      }),
  );
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  const doneAt: number[] = new Array<number>(sessions).fill(0);
  const frameTimes: number[] = [];
  const t0 = nowMs();
  for (const session of all) session.start();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const f0 = nowMs();
        all.forEach((session, i) => {
          if (doneAt[i]) return;
          const { rows } = session.frame();
          if (rows.some((r) => r.includes(MARKER))) doneAt[i] = nowMs() - t0;
        });
        frameTimes.push(nowMs() - f0);
        if (doneAt.every((t) => t > 0)) {
          clearInterval(timer);
          resolve();
        } else if (nowMs() - t0 > TIMEOUT_MS) {
          clearInterval(timer);
          reject(new Error(`Tower, ${sessions} sessions: no end marker after ${TIMEOUT_MS} ms`));
        }
      }, FRAME_MS);
    });
  } finally {
    clearInterval(sampler);
  }
  sample();
  const elapsedMs = Math.max(...doneAt);
  gc();
  const retained = process.memoryUsage().rss - base.rss;
  const screens = all.map((s) => s.text());
  const pauses = all.reduce((sum, s) => sum + s.pauses, 0);
  await Promise.all(all.map((s) => s.dispose(500)));
  return {
    sessions,
    elapsedMs,
    mbPerS: (sessions * bytes) / MB / (elapsedMs / 1000),
    peakRssPerSessionMb: (peakRss - base.rss) / MB / sessions,
    peakHeapPerSessionMb: (peakHeap - base.heapUsed) / MB / sessions,
    retainedPerSessionMb: retained / MB / sessions,
    framesP50Ms: percentile(frameTimes, 50),
    framesP99Ms: percentile(frameTimes, 99),
    pauses,
    screens,
  };
}

function rssKb(pid: number, field = "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return Number(match?.[1] ?? 0);
}

async function tmuxRun(
  sessions: number,
  command: string,
  dir: string,
  bytes: number,
): Promise<Run> {
  const socket = `tower-bench-${process.pid}-${sessions}`;
  const config = path.join(dir, "tmux.conf");
  writeFileSync(
    config,
    "set -g default-terminal xterm-256color\nset -g status off\nset -g history-limit 5000\n",
  );
  const tmux = (args: string[]) =>
    execFileSync("tmux", ["-L", socket, "-f", config, ...args], {
      env: env(),
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 64 * MB,
    });
  const size = ["-x", String(SIZE.cols), "-y", String(SIZE.rows)];
  try {
    tmux(["new-session", "-d", "-s", "idle", ...size, "sleep 600"]);
    const pid = Number(tmux(["display-message", "-p", "-t", "idle", "#{pid}"]).trim());
    const base = rssKb(pid);
    let peak = base;
    const names = Array.from({ length: sessions }, (_, i) => `p${i + 1}`);
    const doneAt = new Array<number>(sessions).fill(0);
    const t0 = nowMs();
    for (const name of names) tmux(["new-session", "-d", "-s", name, ...size, command]);
    while (doneAt.some((t) => t === 0)) {
      peak = Math.max(peak, rssKb(pid));
      const waiting = names.filter((_, i) => doneAt[i] === 0);
      // One client for all the panes still running: `capture-pane ; capture-pane ; ...`.
      const args = waiting.flatMap((name, i) => [
        ...(i > 0 ? [";"] : []),
        "capture-pane",
        "-p",
        "-t",
        name,
      ]);
      const lines = tmux(args).split("\n");
      waiting.forEach((name, i) => {
        const pane = lines.slice(i * SIZE.rows, (i + 1) * SIZE.rows);
        if (pane.some((line) => line.includes(MARKER))) doneAt[names.indexOf(name)] = nowMs() - t0;
      });
      if (nowMs() - t0 > TIMEOUT_MS) {
        throw new Error(`tmux, ${sessions} panes: no end marker after ${TIMEOUT_MS} ms`);
      }
      if (doneAt.some((t) => t === 0)) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    peak = Math.max(peak, rssKb(pid));
    const elapsedMs = Math.max(...doneAt);
    const screens = names.map((name) => {
      const rows = tmux(["capture-pane", "-p", "-t", name]).split("\n");
      return rows.slice(0, SIZE.rows);
    });
    return {
      sessions,
      elapsedMs,
      mbPerS: (sessions * bytes) / MB / (elapsedMs / 1000),
      peakRssPerSessionMb: (peak - base) / 1024 / sessions,
      screens,
    };
  } finally {
    try {
      tmux(["kill-server"]);
    } catch {
      // Already gone.
    }
    removeTmuxSocket(socket);
  }
}

const trim = (rows: readonly string[]) => rows.map((r) => r.replace(/ +$/, ""));

function screenDiff(tmux: readonly string[], tower: readonly string[]): string | undefined {
  const a = trim(tmux);
  const b = trim(tower);
  for (let i = 0; i < SIZE.rows; i++) {
    if (a[i] !== b[i]) {
      return `row ${i}: tmux ${JSON.stringify(a[i])}, tower ${JSON.stringify(b[i])}`;
    }
  }
  return undefined;
}

export const panes: Benchmark = {
  name: "panes",
  description:
    "process to screen rows: MB/s and memory per session with 1 and 8 agents flooding, next to tmux",
  async run(): Promise<BenchResult> {
    const pty = await loadPty();
    const gc = gcFunction();
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bench-panes-"));
    const failures: string[] = [];
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = {};
    try {
      const file = path.join(dir, "flood.bin");
      const bytes = await writeAnsiFile(file, SIZE.bytes, SIZE.seed);
      const command = `cat ${file}; printf '\\033[0m\\r\\n${MARKER}\\r\\n'; exec sleep 600`;
      for (const sessions of SIZE.sessions) {
        const tower = await towerRun(pty, sessions, command, dir, bytes, gc);
        const tmux = await tmuxRun(sessions, command, dir, bytes);
        const label = sessions === 1 ? "1 session" : `${sessions} sessions`;
        rows.push(
          compareRow(
            `throughput, ${label}`,
            round(tower.mbPerS),
            round(tmux.mbPerS),
            "MB/s",
            `${sessions} x ${round(bytes / MB)} MB to rows; tower ${round(tower.elapsedMs)} ms, tmux ${round(tmux.elapsedMs)} ms`,
          ),
          compareRow(
            `peak memory per session, ${label}`,
            round(tower.peakRssPerSessionMb),
            round(tmux.peakRssPerSessionMb),
            "MB",
            "resident set growth (Tower process / tmux server) over the level before",
          ),
          row(
            `JS heap peak per session, ${label}`,
            round(tower.peakHeapPerSessionMb),
            "MB",
            `retained after GC: ${round(tower.retainedPerSessionMb)} MB RSS per session`,
          ),
          row(
            `frame time, ${label}`,
            round(tower.framesP50Ms),
            "ms",
            `p50 for all sessions' rows per frame; p99 ${round(tower.framesP99Ms)} ms; ${tower.pauses} backpressure pauses`,
          ),
        );
        details[label] = {
          tower: { ...tower, screens: undefined },
          tmux: { ...tmux, screens: undefined },
        };
        tower.screens.forEach((screen, i) => {
          const reference = tmux.screens[i] ?? tmux.screens[0] ?? [];
          const diff = screenDiff(reference, screen);
          if (diff !== undefined) {
            failures.push(`${label}: session ${i + 1}'s final screen differs from tmux's: ${diff}`);
          }
        });
      }
      details.bytesPerSession = bytes;
      details.size = SIZE;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { rows, failures, details };
  },
};
