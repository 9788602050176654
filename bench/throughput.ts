/**
 * `throughput`: eight agents print 20 MB of mixed terminal output each at once, through the
 * whole program to the screen; Tower against tmux.
 *
 * The room of bench/lib/room.ts at 160x48 and the workload of bench/lib/flood.ts: every agent
 * waits on a named pipe, then `cat`s the same 20 MB file (bench/lib/ansi-gen.ts: colours of
 * every kind, attributes, cursor moves, redraws, wrapping lines, wide characters) and prints an
 * end marker naming itself, then waits (`cat`). The clock runs from letting them go to the parse
 * of the program's output that puts the last marker on the outer screen, each in its own pane.
 *
 * MB/s is all the output (8 x 20 MB) over that time. CPU: what the program itself used meanwhile
 * (utime + stime from /proc/<pid>/stat): Tower's server, which runs every pane's emulator, and
 * its client, which draws the screen; tmux's server and its client. The agents' own CPU is not counted. Tower's
 * children (git for the conflict scans) are reported apart.
 */
import { toMarkers, writeFloodRoom } from "./lib/flood.js";
import { sized } from "./lib/mode.js";
import { type CpuTime, cpuSince, totalCpu } from "./lib/procs.js";
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
import { type Benchmark, type BenchResult, compareRow, row } from "./lib/types.js";

const SIZE = sized(
  { bytes: 20 * 1024 * 1024, timeoutMs: 300_000 },
  { bytes: 1024 * 1024, timeoutMs: 60_000 },
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
    const before = totalCpu(room.pids());
    const run = await toMarkers(room, repo, SIZE.timeoutMs);
    const cpu = cpuSince(before, totalCpu(room.pids()));
    await checkComplete(room, "after the flood", failures);
    return { elapsedMs: run.elapsedMs, cpu, doneMs: run.doneMs };
  });
}

export const throughput: Benchmark = {
  name: "throughput",
  description:
    "8 panes x 20 MB of mixed output to the outer screen: MB/s and CPU, Tower against tmux",
  async run(): Promise<BenchResult> {
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    try {
      const bytes = await writeFloodRoom(repo, SIZE.bytes, "exec cat");
      const tower = await measure("tower", repo, failures);
      const tmux = await measure("tmux", repo, failures);
      const total = (AGENT_IDS.length * bytes) / MB;
      const mbps = (r: KindResult) => round(total / (r.elapsedMs / 1000));
      const cpuS = (r: KindResult) => round(r.cpu.selfMs / 1000);
      return {
        rows: [
          compareRow(
            "throughput, 8 panes",
            mbps(tower),
            mbps(tmux),
            "MB/s",
            `${AGENT_IDS.length} x ${round(bytes / MB)} MB to the outer screen; tower ${round(tower.elapsedMs)} ms, tmux ${round(tmux.elapsedMs)} ms`,
          ),
          compareRow(
            "CPU time for it",
            cpuS(tower),
            cpuS(tmux),
            "s",
            "utime+stime: Tower's client + server; tmux's client + server",
          ),
          compareRow(
            "CPU per MB",
            round(tower.cpu.selfMs / total),
            round(tmux.cpu.selfMs / total),
            "ms/MB",
          ),
          row(
            "Tower's children's CPU meanwhile",
            round(tower.cpu.childrenMs / 1000),
            "s",
            "exited children (git for conflict scans), not in the row above",
          ),
        ],
        failures,
        details: { size: SIZE, bytesPerAgent: bytes, tower, tmux },
      };
    } finally {
      repo.cleanup();
    }
  },
};
