/**
 * `idle`: what the program costs while nothing happens: eight agents that showed a prompt and
 * wait for input (`cat`), Tower against tmux.
 *
 * The room of bench/lib/room.ts at 160x48. Settling first: until every agent's prompt is in
 * its pane and, in Tower, every pane's title says `idle` (1.5 s after the agent's last output);
 * then a fixed 5 s more, not a condition (start-up work such as the first conflict scan, the
 * compiler and the garbage collector catching up: nothing says when it is over). Then CPU time
 * over two windows of 30 s: one right after that ("just gone idle": what each quiet spell after
 * work costs), and one from 60 s after every agent went idle ("at rest"). Between the two, V8's
 * memory reducer runs: some seconds after a Node process stops allocating, it gives back the
 * heap the work grew, with full collections (measured on the server: 80 ms at 24 s after its
 * start-up's last allocation, then nothing); the git helper of the first conflict scan stops
 * after 10 s idle. CPU time is the sum of the run time of the program's threads
 * (/proc/<pid>/task/<tid>/schedstat, nanoseconds, because an idle program uses only a
 * few clock ticks): Tower's client and server; tmux's client and server. Tower's children that ended
 * meanwhile (git, if a conflict scan ran) are reported apart, from cutime + cstime. Also the
 * characters the program wrote to the terminal meanwhile.
 */
import { sized } from "./lib/mode.js";
import { type CpuTime, cpuSince } from "./lib/procs.js";
import {
  AGENT_IDS,
  checkComplete,
  IDLE_AGENT,
  makeRoomRepo,
  type RoomKind,
  type RoomRepo,
  TowerRoom,
  withRoom,
  writeAgentScript,
} from "./lib/room.js";
import { round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, compareRow, row } from "./lib/types.js";

/**
 * Even in quick mode the window is longer than tmux's status-interval (15 s): an idle tmux wakes
 * only for that, and a shorter window often catches no CPU at all (a 0, no ratio). Quick mode's
 * second window follows the first at once.
 */
const SIZE = sized(
  { settleMs: 5_000, windowMs: 30_000, restAtMs: 60_000 },
  { settleMs: 2_000, windowMs: 16_000, restAtMs: 18_000 },
);

interface Window {
  cpu: CpuTime;
  windowMs: number;
  output: number;
}

interface KindResult {
  /** Right after the settle. */
  soon: Window;
  /** From SIZE.restAtMs after every agent went idle. */
  rest: Window;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(kind: RoomKind, repo: RoomRepo, failures: string[]): Promise<KindResult> {
  return withRoom(kind, repo, failures, async (room) => {
    await room.term.waitFor(
      () =>
        AGENT_IDS.every((id) =>
          room.term.region(room.content(id)).some((r) => r.includes(`${id} ready>`)),
        ),
      "every agent's prompt",
    );
    if (room instanceof TowerRoom) {
      await room.term.waitFor(
        () => AGENT_IDS.every((id) => new RegExp(`^(▶ | {2})${id} idle `).test(room.title(id))),
        "every agent idle in its title bar",
      );
    }
    const idleAt = performance.now();
    const window = async (): Promise<Window> => {
      const before = room.cpu();
      const output = room.term.received;
      const t0 = performance.now();
      await sleep(SIZE.windowMs);
      const cpu = cpuSince(before, room.cpu());
      return { cpu, windowMs: performance.now() - t0, output: room.term.received - output };
    };
    await sleep(SIZE.settleMs);
    const soon = await window();
    await sleep(Math.max(0, idleAt + SIZE.restAtMs - performance.now()));
    const rest = await window();
    await checkComplete(room, "after idling", failures);
    return { soon, rest };
  });
}

export const idle: Benchmark = {
  name: "idle",
  description: "CPU while 8 agents wait for input, Tower against tmux",
  async run(): Promise<BenchResult> {
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    try {
      writeAgentScript(repo, IDLE_AGENT);
      const tower = await measure("tower", repo, failures);
      const tmux = await measure("tmux", repo, failures);
      /** Percent of one core. */
      const share = (w: Window) => round((w.cpu.threadsNs / 1e6 / w.windowMs) * 100);
      const perMinute = (w: Window) => round((w.cpu.threadsNs / 1e6 / w.windowMs) * 60_000);
      const seconds = (ms: number) => round(ms / 1000);
      return {
        rows: [
          compareRow(
            "CPU, 8 idle agents, at rest",
            share(tower.rest),
            share(tmux.rest),
            "% of a core",
            `over ${seconds(SIZE.windowMs)} s from ${seconds(SIZE.restAtMs)} s after all agents were idle; Tower's client + server, tmux's client + server`,
          ),
          compareRow(
            "CPU time per minute, at rest",
            perMinute(tower.rest),
            perMinute(tmux.rest),
            "ms",
          ),
          compareRow(
            "CPU, 8 agents just gone idle",
            share(tower.soon),
            share(tmux.soon),
            "% of a core",
            `over ${seconds(SIZE.windowMs)} s from ${seconds(SIZE.settleMs)} s after all agents were idle (V8's memory reducer and the first conflict scan's git helper fall in it)`,
          ),
          compareRow(
            "CPU time per minute, just gone idle",
            perMinute(tower.soon),
            perMinute(tmux.soon),
            "ms",
          ),
          ...(["soon", "rest"] as const).map((w) =>
            row(
              `Tower's git helper and git, CPU per minute, ${w === "soon" ? "just gone idle" : "at rest"}`,
              round((tower[w].cpu.childrenMs / tower[w].windowMs) * 60_000),
              "ms",
              "the server's git helper and the git it ran for the conflict scans (clock-tick resolution)",
            ),
          ),
          row(
            "output to the terminal while idle, tower",
            round(
              ((tower.soon.output + tower.rest.output) /
                (tower.soon.windowMs + tower.rest.windowMs)) *
                1000,
            ),
            "chars/s",
            `tmux: ${round(((tmux.soon.output + tmux.rest.output) / (tmux.soon.windowMs + tmux.rest.windowMs)) * 1000)} chars/s`,
          ),
        ],
        failures,
        details: { size: SIZE, tower, tmux },
      };
    } finally {
      repo.cleanup();
    }
  },
};
