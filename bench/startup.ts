/**
 * `startup`: from launching the program to its first complete frame, Tower against tmux.
 *
 * The room of bench/lib/room.ts: eight idle agents (a prompt, then `cat`) in four started
 * streams, the program in the harness's 160x48 pseudo-terminal, its output parsed by a headless
 * terminal. The clock runs from just before the spawn to the parse that completes the frame:
 *
 * - Tower (`node dist/bin/tower.js ui --no-resume`): the header, the footer, and all eight pane
 *   title bars where the UI's layout puts them. Node's start-up, loading the plan and the state,
 *   and starting the eight agents' pseudo-terminals are all in it.
 * - tmux: a new private server, one command line that makes the session and splits it into eight
 *   titled panes (`select-layout tiled`); its status line and all eight titles in the borders.
 *
 * The two are launched in turn, one untimed launch of each first (disk cache, Node's compile
 * cache); each is closed (and checked to leave no process) before the next.
 */
import { sized } from "./lib/mode.js";
import {
  checkComplete,
  IDLE_AGENT,
  makeRoomRepo,
  type Room,
  type RoomKind,
  type RoomRepo,
  withRoom,
  writeAgentScript,
} from "./lib/room.js";
import { percentile, round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, compareRow } from "./lib/types.js";

const RUNS = sized({ warmup: 1, timed: 7 }, { warmup: 0, timed: 2 });

async function launchMs(kind: RoomKind, repo: RoomRepo, failures: string[]): Promise<number> {
  return withRoom(kind, repo, failures, async (room: Room, readyAt: number) => {
    await checkComplete(room, "after the first one", failures);
    return readyAt - room.term.startedAt;
  });
}

export const startup: Benchmark = {
  name: "startup",
  description: "launch to the first complete frame (8 panes drawn), Tower against tmux",
  async run(): Promise<BenchResult> {
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    const times: Record<RoomKind, number[]> = { tower: [], tmux: [] };
    try {
      writeAgentScript(repo, IDLE_AGENT);
      for (let i = 0; i < RUNS.warmup + RUNS.timed; i++) {
        for (const kind of ["tower", "tmux"] as const) {
          const ms = await launchMs(kind, repo, failures);
          if (i >= RUNS.warmup) times[kind].push(ms);
        }
      }
    } finally {
      repo.cleanup();
    }
    const p = (kind: RoomKind, q: number) => round(percentile(times[kind], q));
    const note = `${RUNS.timed} launches each after ${RUNS.warmup} untimed; header, footer and 8 pane titles (tmux: status line and 8 titled borders)`;
    return {
      rows: [
        compareRow(
          "start-up to first complete frame, p50",
          p("tower", 50),
          p("tmux", 50),
          "ms",
          note,
        ),
        compareRow("start-up to first complete frame, max", p("tower", 100), p("tmux", 100), "ms"),
      ],
      failures,
      details: { runs: RUNS, times },
    };
  },
};
