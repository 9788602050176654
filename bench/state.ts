/**
 * `state`: how soon a change of the shared state made by another process is on Tower's screen.
 * Tower only: tmux has nothing that shows a lock.
 *
 * The room of bench/lib/room.ts at 160x48, its eight agents idle (a prompt, then `cat`). The
 * harness takes a lock the way `tower lock` does, through the engine from dist/ (one update of
 * file_locks.json under its flock, and an activity line), on a new path each time, and times from
 * the start of that call until the path is in the bottom panel's Locks tab (the tab shown at
 * first) on the parsed screen; then releases it and times until the path is gone. The UI learns
 * of the change from its file watcher, reads the file again and draws: that chain is measured.
 *
 * What a change costs the client is measured too: the characters it wrote to its terminal (the
 * harness's pty), the bytes it read (the server's patches) and its CPU time, from the lock write
 * until the screen has been still for a moment after the path came (or went). Ink redraws the
 * whole screen at a change unless told otherwise (src/ui/ink-output.ts): that is a screenful of
 * characters, and then every pane's rows.
 */
import { readFileSync } from "node:fs";
import { loadEngine } from "./lib/engine.js";
import { sized } from "./lib/mode.js";
import { cpuTime } from "./lib/procs.js";
import {
  checkComplete,
  IDLE_AGENT,
  makeRoomRepo,
  TowerRoom,
  writeAgentScript,
} from "./lib/room.js";
import { nowMs, percentile, round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, type BenchRow, row } from "./lib/types.js";

const CHANGES = sized(100, 10);
const TIMEOUT_MS = 30_000;
/** The screen is still once nothing has come for this long. */
const STILL_MS = 150;

export const state: Benchmark = {
  name: "state",
  description: "a lock taken (and released) by another process to Tower's screen, Tower only",
  async run(): Promise<BenchResult> {
    const engine = await loadEngine();
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    const shown: number[] = [];
    const cleared: number[] = [];
    const writes: number[] = [];
    /** Characters the client wrote for one change, and its CPU time (ms) for it. */
    const chars: number[] = [];
    const clientCpu: number[] = [];
    /** Bytes the client read for one change: the server's patches, from its socket. */
    const clientRead: number[] = [];
    try {
      writeAgentScript(repo, IDLE_AGENT);
      const store = new engine.StateStore(repo.stateDir);
      const room = await TowerRoom.launch(repo);
      try {
        await room.ready();
        const panel = () => room.term.region(room.panel);
        await room.term.waitFor(
          () => /^ Locks 0 /.test(panel()[0] ?? "") && panel().some((r) => r.includes("no locks")),
          "the empty Locks tab",
        );
        for (let i = 0; i < CHANGES; i++) {
          const key = `bench/state-${i}.txt`;
          const request = { paths: [key], agent: "A1", stream: "A", task: "bench" };
          const listed = () => panel().some((r) => r.startsWith(key));
          const client = room.pids()[0] ?? 0;
          const now = () => ({
            chars: room.term.received,
            cpuMs: cpuTime(client).selfMs,
            read: bytesRead(client),
          });
          let mark = now();
          const cost = async () => {
            await still(room.term);
            const next = now();
            chars.push(next.chars - mark.chars);
            clientCpu.push(next.cpuMs - mark.cpuMs);
            clientRead.push(next.read - mark.read);
            mark = next;
          };
          const t0 = nowMs();
          const taken = await engine.acquireLocks(store, request);
          writes.push(nowMs() - t0);
          if (!taken.ok) throw new Error(`lock ${key} refused: ${JSON.stringify(taken.results)}`);
          shown.push((await room.term.waitFor(listed, `${key} in the Locks tab`, TIMEOUT_MS)) - t0);
          await cost();
          const t1 = nowMs();
          const released = await engine.releaseLocks(store, request);
          if (!released.ok) throw new Error(`release of ${key} failed`);
          cleared.push(
            (await room.term.waitFor(() => !listed(), `${key} gone from the tab`, TIMEOUT_MS)) - t1,
          );
          await cost();
        }
        await checkComplete(room, "after the changes", failures);
      } finally {
        failures.push(...(await room.close()));
      }
    } finally {
      repo.cleanup();
    }
    const stats = (label: string, samples: number[], note?: string): BenchRow[] => [
      row(`${label}, p50`, round(percentile(samples, 50)), "ms", note),
      row(`${label}, p99`, round(percentile(samples, 99)), "ms"),
    ];
    return {
      rows: [
        ...stats(
          "lock taken -> path on screen",
          shown,
          `${shown.length} locks from the engine API, each on a new path; the write included. Tower only: tmux has no equivalent`,
        ),
        ...stats("lock released -> path gone", cleared),
        row(
          "characters the client wrote for a change, p50",
          round(percentile(chars, 50)),
          "chars",
          `a lock taken or released, until the screen was still for ${STILL_MS} ms; a 160x48 screen is 7,680 cells`,
        ),
        row(
          "bytes the client read for a change, p50",
          round(percentile(clientRead, 50)),
          "bytes",
          "/proc/<pid>/io rchar of the client: the server's patches from its socket",
        ),
        row(
          "client CPU for a change, mean",
          round(clientCpu.reduce((a, b) => a + b, 0) / Math.max(1, clientCpu.length)),
          "ms",
          "utime + stime of the client process, tick resolution, over every change",
        ),
        row(
          "the lock write itself, p50",
          round(percentile(writes, 50)),
          "ms",
          "flock, rewrite, fsync, .bak, activity line",
        ),
      ],
      failures,
      details: {
        changes: CHANGES,
        shown: shown.map(round),
        cleared: cleared.map(round),
        writes: writes.map(round),
        chars,
        clientCpu: clientCpu.map(round),
        clientRead,
      },
    };
  },
};

/** Waits until the terminal has received nothing for `STILL_MS`. */
async function still(term: { received: number }): Promise<void> {
  let seen = -1;
  while (seen !== term.received) {
    seen = term.received;
    await new Promise((resolve) => setTimeout(resolve, STILL_MS));
  }
}

/** The bytes `pid` has read so far (rchar: every read, sockets included); 0 when it is gone. */
function bytesRead(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    return Number(/^rchar: (\d+)$/m.exec(io)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
