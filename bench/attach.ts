/**
 * `attach`: a client attaching to a room that runs without one, and what detaching and
 * attaching again and again costs the server; Tower against tmux.
 *
 * The room of bench/lib/room.ts at 160x48. Each program's server is started as a person does,
 * by a first client, which is then detached (Tower: `D`; tmux: the prefix and `d`), so that the
 * eight agents go on in a server without any client:
 *
 * 1. Attach time, agents idle (each has printed a prompt and waits): `tower attach` (the
 *    installed `tower`, dist/bin/tower; tmux: `tmux attach-session -t bench`) launched in the harness's pseudo-terminal; the clock runs
 *    from the spawn to the parse that puts the first complete frame on the screen: the header,
 *    the footer and all eight pane titles where the layout puts them (tmux: the status line and
 *    eight titled borders), and in every pane its own agent's prompt. Then detached. One untimed
 *    attach first (disk cache, Node's compile cache). Also reported: the spawn to the client's
 *    first output, the client's own start-up (the rest is the room's frame reaching it).
 * 2. Cycles with output: the agents first print 6,000 lines (every pane's scrollback full),
 *    then lines forever (ten lines, a 50 ms pause). After a few warm-up cycles, with no client
 *    attached, the server's resident set (VmRSS) and open file descriptors (/proc/<pid>/fd);
 *    then N attach/detach cycles, each timed as above (its frame must show in every pane a line
 *    of its own agent); then, detached again, the same two figures.
 *
 * Checks: every attach's first frame complete, each pane's title and content in place (a frame
 * that does not come within 10 s counts as garbled, with the screen in the failure); the
 * server's descriptors at most 2 more than before the cycles (given 5 s to settle: a detached
 * client's socket is closed asynchronously, a conflict scan's git may hold pipes for a moment);
 * its resident set at most 30 MB more (not judged in quick mode: ten cycles are within the
 * garbage collector's noise).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { QUICK, sized } from "./lib/mode.js";
import { addedTargets, memory, openFds, openFdTargets } from "./lib/procs.js";
import {
  AGENT_IDS,
  type AgentId,
  makeFifos,
  makeRoomRepo,
  type Room,
  type RoomKind,
  type RoomRepo,
  release,
  TmuxRoom,
  TowerRoom,
  writeAgentScript,
} from "./lib/room.js";
import { nowMs, percentile, round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, type BenchRow, compareRow, row } from "./lib/types.js";

const SIZE = sized(
  { warmup: 1, samples: 20, warmupCycles: 5, cycles: 100 },
  { warmup: 0, samples: 3, warmupCycles: 2, cycles: 10 },
);
const MB = 1024 * 1024;
/** Growth of the server's resident set over the cycles that fails the check. */
const RSS_BOUND = 30 * MB;
/** Growth of the server's open descriptors over the cycles that fails the check. */
const FD_BOUND = 2;
const FRAME_TIMEOUT_MS = 10_000;
/** Failures with a screen in them: enough to see what went wrong, not a wall of screens. */
const MAX_SCREENS = 3;

const FILL_LINES = 6_000;
const SCRIPT = `printf '%s ready> ' "$1"
read go < "$D/print-$1"
cat "$D/fill.txt"
i=0
while :; do
  i=$((i+1))
  printf '%s line %d: output\\n' "$1" "$i"
  case $((i % 10)) in 0) sleep 0.05;; esac
done`;

/** A client of the program: a room that can be detached from, its server going on. */
type Client = Room & { readonly server: number | undefined; detach(): Promise<void> };

/** Whether every pane shows what its own agent printed (`phase`: the prompt, or its lines). */
function contentInPlace(room: Room, phase: "idle" | "output"): boolean {
  const mine = (id: AgentId, text: string) =>
    phase === "idle" ? text.includes(`${id} ready>`) : text.startsWith(`${id} line `);
  return AGENT_IDS.every((id) => room.term.region(room.content(id)).some((r) => mine(id, r)));
}

interface Attach {
  /** Spawn to the first complete frame with every pane's content; NaN when it never came. */
  ms: number;
  /** Spawn to the client's first output (its own start-up: the rest is the room's frame). */
  firstOutputMs: number;
  client: Client;
}

/** Attaches a client and waits for its first complete frame, everything in place. */
async function attachOnce(
  open: () => Promise<Client>,
  phase: "idle" | "output",
  problems: string[],
): Promise<Attach> {
  const client = await open();
  const since = (at: number) => at - client.term.startedAt;
  const firstOutput = client.term
    .waitFor(() => client.term.received > 0, "the client's first output", FRAME_TIMEOUT_MS)
    .then(since, () => Number.NaN);
  try {
    const at = await client.term.waitFor(
      () => client.complete() && contentInPlace(client, phase),
      "the first complete frame with every pane's content",
      FRAME_TIMEOUT_MS,
    );
    return { ms: since(at), firstOutputMs: await firstOutput, client };
  } catch (error) {
    problems.push(`${client.name}: attach ${phase}: ${(error as Error).message}`);
    return { ms: Number.NaN, firstOutputMs: await firstOutput, client };
  }
}

interface ServerFigures {
  rss: number;
  fds: number;
  /** What the descriptors point at (numbers masked), to name the ones a failed check found. */
  targets: string[];
}

const serverFigures = (pid: number): ServerFigures => ({
  rss: memory(pid).rss,
  fds: openFds(pid),
  targets: openFdTargets(pid),
});

interface KindResult {
  idleMs: number[];
  /** The idle attaches' spawn to the client's first output. */
  firstOutputMs: number[];
  cycleMs: number[];
  /** Attaches whose first frame was not complete with every pane in place. */
  garbled: number;
  before: ServerFigures;
  /** Halfway through the cycles: a leak grows as much in the second half as in the first. */
  half: ServerFigures;
  after: ServerFigures;
}

const rounded = (r: KindResult) => ({
  ...r,
  before: { rss: r.before.rss, fds: r.before.fds },
  half: { rss: r.half.rss, fds: r.half.fds },
  after: { rss: r.after.rss, fds: r.after.fds },
  idleMs: r.idleMs.map(round),
  firstOutputMs: r.firstOutputMs.map(round),
  cycleMs: r.cycleMs.map(round),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(kind: RoomKind, repo: RoomRepo, failures: string[]): Promise<KindResult> {
  makeFifos(repo, "print", AGENT_IDS);
  const problems: string[] = [];
  const first = kind === "tower" ? await TowerRoom.launch(repo) : await TmuxRoom.launch(repo);
  const open = (): Promise<Client> =>
    first instanceof TowerRoom ? TowerRoom.attach(repo) : TmuxRoom.attach(first);
  try {
    await first.ready();
    await first.term.waitFor(() => contentInPlace(first, "idle"), "every agent's prompt");
    const server = first.server;
    if (server === undefined) throw new Error(`${kind}: no server pid`);
    await first.detach();

    const cycle = async (phase: "idle" | "output"): Promise<Attach> => {
      const attached = await attachOnce(open, phase, problems);
      await attached.client.detach();
      return attached;
    };

    const idleMs: number[] = [];
    const firstOutputMs: number[] = [];
    for (let i = 0; i < SIZE.warmup + SIZE.samples; i++) {
      const { ms, firstOutputMs: startMs } = await cycle("idle");
      if (i < SIZE.warmup) continue;
      idleMs.push(ms);
      firstOutputMs.push(startMs);
    }
    // The server must be the same one all along: one that died and was replaced would hide a
    // leak (and is a failure of its own).
    const sameServer = async (when: string) => {
      const now =
        first instanceof TowerRoom
          ? await TowerRoom.serverPid(repo)
          : Number(first.tmux("display-message", "-p", "#{pid}").trim());
      if (now !== server)
        throw new Error(`${kind}: the server was pid ${server}, ${when} it is pid ${now}`);
    };

    await release(repo, "print", AGENT_IDS);
    for (let i = 0; i < SIZE.warmupCycles; i++) await cycle("output");
    await sameServer("before the cycles");
    const before = serverFigures(server);
    const cycleMs: number[] = [];
    let half: ServerFigures | undefined;
    for (let i = 0; i < SIZE.cycles; i++) {
      cycleMs.push((await cycle("output")).ms);
      if (i + 1 === Math.floor(SIZE.cycles / 2)) half = serverFigures(server);
    }

    // A detached client's socket is closed asynchronously: a few seconds for the count to settle.
    let after = serverFigures(server);
    for (const deadline = nowMs() + 5_000; after.fds > before.fds + FD_BOUND; ) {
      if (nowMs() > deadline) break;
      await sleep(100);
      after = serverFigures(server);
    }
    await sameServer("after the cycles");
    const garbled = problems.length;
    failures.push(
      ...problems.slice(0, MAX_SCREENS),
      ...(garbled > MAX_SCREENS
        ? [`${kind}: ${garbled - MAX_SCREENS} more attaches without a complete frame`]
        : []),
    );
    return { idleMs, firstOutputMs, cycleMs, garbled, before, half: half ?? before, after };
  } finally {
    // A last client stops everything (Tower: q, s; tmux: kill-server), whatever happened.
    let last: Room = first;
    if (!first.term.running) {
      try {
        last = await open();
        await last.ready(30_000);
      } catch {
        // close() below still ends the server and reaps what is left.
      }
    }
    failures.push(...(await last.close()));
  }
}

export const attach: Benchmark = {
  name: "attach",
  description:
    "attach to a running room to the first complete frame, and detach/attach cycles under output (server memory, fds), Tower against tmux",
  async run(): Promise<BenchResult> {
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    try {
      writeFileSync(
        path.join(repo.scripts, "fill.txt"),
        Array.from({ length: FILL_LINES }, (_, i) => `fill ${i}\n`).join(""),
      );
      writeAgentScript(repo, SCRIPT);
      const tower = await measure("tower", repo, failures);
      const tmux = await measure("tmux", repo, failures);
      const p = (samples: number[], q: number) => round(percentile(samples, q));
      const mb = (bytes: number) => round(bytes / MB);
      /** The p50 and p99 rows of two sets of times. */
      const percentiles = (label: string, ours: number[], theirs: number[], note: string) => [
        compareRow(`${label}, p50`, p(ours, 50), p(theirs, 50), "ms", note),
        compareRow(`${label}, p99`, p(ours, 99), p(theirs, 99), "ms"),
      ];
      const rows: BenchRow[] = [
        ...percentiles(
          "attach to first complete frame, idle",
          tower.idleMs,
          tmux.idleMs,
          `${SIZE.samples} attaches each after ${SIZE.warmup} untimed, 8 idle agents; header, footer, 8 pane titles and each agent's prompt (tmux: status line, 8 titled borders)`,
        ),
        compareRow(
          "of which the client's start-up, idle, p50",
          p(tower.firstOutputMs, 50),
          p(tmux.firstOutputMs, 50),
          "ms",
          "spawn to the client's first output to its terminal: the rest is the room's frame",
        ),
        ...percentiles(
          "attach to first complete frame, output",
          tower.cycleMs,
          tmux.cycleMs,
          `the ${SIZE.cycles} detach/attach cycles, 8 agents printing lines (10, a 50 ms pause) all along`,
        ),
        compareRow(
          "server RSS before the cycles",
          mb(tower.before.rss),
          mb(tmux.before.rss),
          "MB",
          `VmRSS of the server alone, no client attached, after ${SIZE.warmupCycles} warm-up cycles`,
        ),
        compareRow(
          `server RSS after ${SIZE.cycles} cycles`,
          mb(tower.after.rss),
          mb(tmux.after.rss),
          "MB",
          "no client attached",
        ),
      ];
      for (const [kind, r] of [
        ["tower", tower],
        ["tmux", tmux],
      ] as const) {
        const grewBy = r.after.rss - r.before.rss;
        rows.push(
          row(
            `${kind}: server RSS growth over the cycles`,
            mb(grewBy),
            "MB",
            `${mb(r.before.rss)} -> ${mb(r.after.rss)} MB; check: at most ${mb(RSS_BOUND)} MB${QUICK ? " (quick mode: not judged)" : ""}`,
          ),
          row(
            `${kind}: server RSS growth over the second half of the cycles`,
            mb(r.after.rss - r.half.rss),
            "MB",
            `${mb(r.half.rss)} -> ${mb(r.after.rss)} MB over the last ${SIZE.cycles - Math.floor(SIZE.cycles / 2)} cycles: what the panes' history and the heap settle to comes first, a leak grows all along`,
          ),
          row(
            `${kind}: server fds growth over the cycles`,
            r.after.fds - r.before.fds,
            "fds",
            `${r.before.fds} -> ${r.after.fds} open; check: at most ${FD_BOUND} more`,
          ),
          row(
            `${kind}: attaches without a complete frame`,
            r.garbled,
            "attaches",
            `of ${SIZE.warmup + SIZE.samples + SIZE.warmupCycles + SIZE.cycles}; each first frame must show the 8 titles and every pane's own output`,
          ),
        );
        if (!QUICK && grewBy > RSS_BOUND)
          failures.push(
            `${kind}: the server's RSS grew by ${mb(grewBy)} MB over ${SIZE.cycles} detach/attach cycles (${mb(r.before.rss)} -> ${mb(r.after.rss)} MB), more than ${mb(RSS_BOUND)} MB`,
          );
        if (!(r.after.fds - r.before.fds <= FD_BOUND))
          failures.push(
            `${kind}: the server's open file descriptors went from ${r.before.fds} to ${r.after.fds} over ${SIZE.cycles} detach/attach cycles (more than ${FD_BOUND} leaked); new: ${addedTargets(r.before.targets, r.after.targets) || "none by kind (others replaced)"}`,
          );
      }
      return {
        rows,
        failures,
        details: {
          size: SIZE,
          bounds: { rssBytes: RSS_BOUND, fds: FD_BOUND },
          tower: rounded(tower),
          tmux: rounded(tmux),
        },
      };
    } finally {
      repo.cleanup();
    }
  },
};
