/**
 * `memory`: the program's resident memory with eight busy panes, after the throughput run and
 * after five more minutes of output, and whether it keeps growing; Tower against tmux.
 *
 * The room of bench/lib/room.ts at 160x48 and the workload of bench/lib/flood.ts (as in
 * `throughput`: eight agents print the same 20 MB of mixed output and a marker). Once every
 * marker is on screen, the peak resident set so far (VmHWM); then the agents go on printing
 * that output in a loop, as fast as the program takes it, for five minutes, with the resident
 * set (VmRSS) sampled every 5 s; then the peak again. Tower: its client and server; tmux: its
 * client and server (the agents' own memory is not counted).
 *
 * Growth check: both keep bounded history (5,000 lines a pane) and Tower rotates its logs, so
 * once a warm-up minute has filled the scrollback and sized the heap, the resident set should
 * stay at one level (the garbage collector's sawtooth around it). It fails when the median of
 * the last minute is more than 10% (at least 16 MB) above the median of the second minute AND
 * the last minute still climbs (least-squares slope above 2% of its level per minute): memory
 * that grows with output. Either alone is not enough: a program may settle at a higher level
 * after the second minute (it stopped growing), and a sawtooth can slope up for a minute. Quick
 * mode reports the trend without judging it (its "minutes" are 1.5 s of the warm-up).
 */
import { OUTPUT_FILE, toMarkers, writeFloodRoom } from "./lib/flood.js";
import { QUICK, sized } from "./lib/mode.js";
import { type Memory, proportionalSet, totalMemory } from "./lib/procs.js";
import {
  AGENT_IDS,
  checkComplete,
  makeFifos,
  makeRoomRepo,
  type RoomKind,
  type RoomRepo,
  release,
  withRoom,
} from "./lib/room.js";
import { nowMs, percentile, round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, type BenchRow, compareRow, row } from "./lib/types.js";

const SIZE = sized(
  { bytes: 20 * 1024 * 1024, continueMs: 300_000, sampleMs: 5_000, windowMs: 60_000 },
  { bytes: 1024 * 1024, continueMs: 6_000, sampleMs: 250, windowMs: 1_500 },
);
const MB = 1024 * 1024;
const MARKER_TIMEOUT_MS = sized(300_000, 60_000);

interface Sample {
  /** Since the output went on, ms. */
  t: number;
  rss: number;
  /** Proportional set (shared pages counted once), client + server. */
  pss: number;
  /** Output the harness had received by then, characters. */
  received: number;
}

interface KindResult {
  afterThroughput: Memory;
  atEnd: Memory;
  samples: Sample[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(kind: RoomKind, repo: RoomRepo, failures: string[]): Promise<KindResult> {
  makeFifos(repo, "go", AGENT_IDS);
  makeFifos(repo, "more", AGENT_IDS);
  return withRoom(kind, repo, failures, async (room) => {
    await toMarkers(room, repo, MARKER_TIMEOUT_MS);
    const afterThroughput = totalMemory(room.pids());
    await release(repo, "more", AGENT_IDS);
    const t0 = nowMs();
    const samples: Sample[] = [];
    while (nowMs() - t0 < SIZE.continueMs) {
      await sleep(SIZE.sampleMs);
      const pids = room.pids();
      const { rss } = totalMemory(pids);
      const pss = pids.reduce((sum, pid) => sum + proportionalSet(pid), 0);
      samples.push({ t: nowMs() - t0, rss, pss, received: room.term.received });
    }
    const atEnd = totalMemory(room.pids());
    await checkComplete(room, "after the output", failures);
    return { afterThroughput, atEnd, samples };
  });
}

interface Growth {
  /** Median of the second minute (the first one after the warm-up minute). */
  baseMedian: number;
  /** Median of the last minute. */
  lastMedian: number;
  /** Least-squares slope over the last minute, bytes per minute. */
  slopePerMin: number;
  /** Well above the second minute's level, and still climbing. */
  grew: boolean;
}

const median = (values: number[]) => percentile(values, 50);

/** The median of `value` over the samples of the last window. */
function lastMinute(samples: readonly Sample[], value: (s: Sample) => number): number {
  const end = samples.at(-1)?.t ?? 0;
  return median(samples.filter((s) => s.t > end - SIZE.windowMs).map(value));
}

/** See the module comment: the growth check. `samples` at a steady interval, `t` ascending. */
export function growth(
  samples: readonly Pick<Sample, "t" | "rss">[],
  windowMs = SIZE.windowMs,
): Growth {
  const end = samples.at(-1)?.t ?? 0;
  const base = samples.filter((s) => s.t >= windowMs && s.t < 2 * windowMs);
  const last = samples.filter((s) => s.t > end - windowMs);
  const baseMedian = median(base.map((s) => s.rss));
  const lastMedian = median(last.map((s) => s.rss));
  const n = last.length;
  const mt = last.reduce((a, s) => a + s.t, 0) / n;
  const mr = last.reduce((a, s) => a + s.rss, 0) / n;
  const num = last.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0);
  const den = last.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  const slopePerMin = den === 0 ? 0 : (num / den) * 60_000;
  const above = lastMedian - baseMedian > Math.max(16 * MB, 0.1 * baseMedian);
  const climbing = slopePerMin > 0.02 * lastMedian;
  return { baseMedian, lastMedian, slopePerMin, grew: above && climbing };
}

export const memory: Benchmark = {
  name: "memory",
  description:
    "resident memory with 8 busy panes, after 8 x 20 MB and after 5 more minutes of output, Tower against tmux",
  async run(): Promise<BenchResult> {
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    try {
      const bytes = await writeFloodRoom(
        repo,
        SIZE.bytes,
        `read go < "$D/more-$1"\nwhile :; do cat "$D/${OUTPUT_FILE}"; done`,
      );
      const results = {
        tower: await measure("tower", repo, failures),
        tmux: await measure("tmux", repo, failures),
      };
      const mb = (bytes: number) => round(bytes / MB);
      const minutes = `${round(SIZE.continueMs / 60_000)} min`;
      const growths = { tower: growth(results.tower.samples), tmux: growth(results.tmux.samples) };
      const rows: BenchRow[] = [
        compareRow(
          "peak RSS after the throughput run",
          mb(results.tower.afterThroughput.peak),
          mb(results.tmux.afterThroughput.peak),
          "MB",
          `VmHWM once 8 x ${mb(bytes)} MB are on screen; Tower's client + server, tmux's client + server`,
        ),
        compareRow(
          `peak RSS after ${minutes} more output`,
          mb(results.tower.atEnd.peak),
          mb(results.tmux.atEnd.peak),
          "MB",
          "the 8 agents printing the same output in a loop, as fast as it is taken",
        ),
        compareRow(
          "RSS, median of the last minute",
          mb(growths.tower.lastMedian),
          mb(growths.tmux.lastMedian),
          "MB",
          `VmRSS sampled every ${round(SIZE.sampleMs / 1000)} s; the last ${round(SIZE.windowMs / 1000)} s`,
        ),
        compareRow(
          "PSS, median of the last minute",
          mb(lastMinute(results.tower.samples, (s) => s.pss)),
          mb(lastMinute(results.tmux.samples, (s) => s.pss)),
          "MB",
          "proportional set (smaps_rollup), sampled with the RSS: a shared page (Node's or tmux's code, the libraries) divided among every process that maps it, this benchmark's own Node among them, where RSS counts it in each",
        ),
      ];
      for (const kind of ["tower", "tmux"] as const) {
        const g = growths[kind];
        const samples = results[kind].samples;
        rows.push(
          row(
            `${kind}: RSS trend over the last minute`,
            mb(g.slopePerMin),
            "MB/min",
            `median of the last minute ${mb(g.lastMedian)} MB, of the second minute ${mb(g.baseMedian)} MB${QUICK ? "; quick mode: not judged" : ""}`,
          ),
        );
        if (!Number.isFinite(g.baseMedian) || !Number.isFinite(g.lastMedian))
          failures.push(`${kind}: too few memory samples (${samples.length})`);
        // Six seconds of output (quick mode) is still the warm-up: too short to judge growth.
        if (g.grew && !QUICK)
          failures.push(
            `${kind}: memory keeps growing: the last minute's median RSS ${mb(g.lastMedian)} MB is more than 10% (16 MB at least) above the second minute's ${mb(g.baseMedian)} MB, and still climbing at ${mb(g.slopePerMin)} MB/min`,
          );
        // The output must have kept flowing to the end.
        const tail = samples.filter((s) => s.t > (samples.at(-1)?.t ?? 0) - SIZE.windowMs);
        if ((tail.at(-1)?.received ?? 0) <= (tail[0]?.received ?? 0))
          failures.push(`${kind}: no output reached the screen in the last minute`);
      }
      return {
        rows,
        failures,
        details: {
          size: SIZE,
          bytesPerAgent: bytes,
          growth: growths,
          samples: {
            tower: results.tower.samples.map((s) => [round(s.t), mb(s.rss), mb(s.pss)]),
            tmux: results.tmux.samples.map((s) => [round(s.t), mb(s.rss), mb(s.pss)]),
          },
        },
      };
    } finally {
      repo.cleanup();
    }
  },
};
