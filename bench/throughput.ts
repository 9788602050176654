/**
 * `throughput`: eight agents print 20 MB each at once, through the whole program to the screen;
 * Tower against tmux, on two workloads in the same run, reported apart.
 *
 * The room of bench/lib/room.ts at 160x48 and the workload of bench/lib/flood.ts: every agent
 * waits on a named pipe, then `cat`s the same 20 MB file and prints an end marker naming
 * itself, then waits (`cat`). The file (bench/lib/ansi-gen.ts) is, in turn:
 * - mixed terminal output: colours of every kind, attributes, cursor moves, redraws, wrapping
 *   lines, wide characters;
 * - plain text in long lines: 200-400 printable characters a line, so that each wraps over
 *   several rows of a pane, no escape sequence at all. The clock runs from letting them go to the parse
 * of the program's output that puts the last marker on the outer screen, each in its own pane.
 *
 * MB/s is all the output (8 x 20 MB) over that time, the median of three runs of each program,
 * Tower's and tmux's in turn (one each with --quick). CPU: what the program itself used meanwhile
 * (utime + stime from /proc/<pid>/stat): Tower's server, which runs every pane's emulator, and
 * its client, which draws the screen; tmux's server and its client. The agents' own CPU is not
 * counted. The server's git helper and the git it runs (the conflict scans) are reported apart.
 */
import type { Workload } from "./lib/ansi-gen.js";
import { toMarkers, writeFloodRoom } from "./lib/flood.js";
import { sized } from "./lib/mode.js";
import { type CpuTime, cpuSince } from "./lib/procs.js";
import {
  AGENT_IDS,
  checkComplete,
  makeFifos,
  makeRoomRepo,
  type RoomKind,
  type RoomRepo,
  withRoom,
} from "./lib/room.js";
import { round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, type BenchRow, compareRow, row } from "./lib/types.js";

/**
 * `runs`: rooms of each program per workload, Tower's and tmux's in turn. This machine's speed
 * drifts by tens of percent within minutes (tmux alone measured 9.8-26 MB/s in runs of the same
 * day), so one run of each, one after the other, can put a drift into the ratio; the median of
 * three taken in turn does not follow one slow run.
 */
const SIZE = sized(
  { bytes: 20 * 1024 * 1024, timeoutMs: 300_000, runs: 3 },
  { bytes: 1024 * 1024, timeoutMs: 60_000, runs: 1 },
);
const MB = 1024 * 1024;

interface KindResult {
  elapsedMs: number;
  cpu: CpuTime;
  doneMs: Record<string, number>;
}

async function measure(kind: RoomKind, repo: RoomRepo, failures: string[]): Promise<KindResult> {
  makeFifos(repo, "go", AGENT_IDS);
  return withRoom(kind, repo, failures, async (room) => {
    const before = room.cpu();
    const run = await toMarkers(room, repo, SIZE.timeoutMs);
    const cpu = cpuSince(before, room.cpu());
    await checkComplete(room, "after the flood", failures);
    return { elapsedMs: run.elapsedMs, cpu, doneMs: run.doneMs };
  });
}

/** The run of median time (its CPU with it). */
function medianRun(runs: readonly KindResult[]): KindResult {
  const sorted = [...runs].sort((a, b) => a.elapsedMs - b.elapsedMs);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error("no run to take the median of");
  return middle;
}

const WORKLOADS: readonly { workload: Workload; label: string; what: string }[] = [
  { workload: "mixed", label: "mixed output", what: "mixed terminal output" },
  {
    workload: "plain",
    label: "plain long lines",
    what: "plain text, lines of 200-400 characters that wrap, no escape sequence",
  },
];

export const throughput: Benchmark = {
  name: "throughput",
  description:
    "8 panes x 20 MB to the outer screen, mixed output and plain long lines: MB/s and CPU, Tower against tmux",
  async run(): Promise<BenchResult> {
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = { size: SIZE };
    try {
      for (const { workload, label, what } of WORKLOADS) {
        const bytes = await writeFloodRoom(repo, SIZE.bytes, "exec cat", workload);
        const towerRuns: KindResult[] = [];
        const tmuxRuns: KindResult[] = [];
        for (let i = 0; i < SIZE.runs; i++) {
          towerRuns.push(await measure("tower", repo, failures));
          tmuxRuns.push(await measure("tmux", repo, failures));
        }
        const tower = medianRun(towerRuns);
        const tmux = medianRun(tmuxRuns);
        const total = (AGENT_IDS.length * bytes) / MB;
        const mbps = (r: KindResult) => round(total / (r.elapsedMs / 1000));
        const cpuS = (r: KindResult) => round(r.cpu.selfMs / 1000);
        rows.push(
          compareRow(
            `throughput, ${label}, 8 panes`,
            mbps(tower),
            mbps(tmux),
            "MB/s",
            `${AGENT_IDS.length} x ${round(bytes / MB)} MB of ${what} to the outer screen; the median of ${SIZE.runs} run${SIZE.runs === 1 ? "" : "s"} each, in turn: tower ${towerRuns.map((r) => round(r.elapsedMs)).join(" / ")} ms, tmux ${tmuxRuns.map((r) => round(r.elapsedMs)).join(" / ")} ms`,
          ),
          compareRow(
            `CPU time, ${label}`,
            cpuS(tower),
            cpuS(tmux),
            "s",
            "utime+stime of the median run: Tower's client + server; tmux's client + server",
          ),
          compareRow(
            `CPU per MB, ${label}`,
            round(tower.cpu.selfMs / total),
            round(tmux.cpu.selfMs / total),
            "ms/MB",
          ),
          row(
            `Tower's git helper and git meanwhile, ${label}`,
            round(tower.cpu.childrenMs / 1000),
            "s",
            "the git helper and the git it ran (conflict scans), not in the rows above",
          ),
        );
        details[workload] = { bytesPerAgent: bytes, tower: towerRuns, tmux: tmuxRuns };
      }
      return { rows, failures, details };
    } finally {
      repo.cleanup();
    }
  },
};
