/**
 * `latency`: keystroke to echo, through the whole program, with seven agents flooding their
 * panes and with all of them quiet; Tower against tmux.
 *
 * Tower runs as a person runs it (bench/lib/room.ts): a client that starts the repository's
 * server, so a keystroke goes from the client through the server's socket to the agent's
 * pseudo-terminal, and its echo back through the server's emulator and a patch to the client,
 * as tmux's goes through its client and server.
 *
 * The room of bench/lib/room.ts at 160x48: agent B2 runs `cat`; the seven others wait on a
 * named pipe, then print generated mixed terminal output (bench/lib/ansi-gen.ts: colours,
 * attributes, cursor moves, wrapping lines, wide characters) in a loop, as fast as the program
 * drains it. Tower gets B2 selected with `l` and insert mode with `i`; tmux gets B2's pane
 * selected (`select-pane`).
 *
 * A sample: the harness types one character into the program's terminal and times until the
 * character is the last non-blank row of B2's pane on the parsed screen (the terminal driver
 * echoes it, the program draws it). Consecutive samples use different characters, so that the
 * one awaited cannot be an earlier one. Then, untimed, Enter: `cat` prints the line back, and the
 * harness waits for both copies, so that every sample starts on a fresh line; and a pause of
 * 40-100 ms (a fast typist's pace, not a condition: it keeps a sample from landing in the same
 * frame as the previous echo). Flood off first (the flooders still waiting), then flood on, once
 * each flooding pane shows output; the check is that the flood panes kept changing through the
 * samples and that the harness kept receiving output.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeAnsiFile } from "./lib/ansi-gen.js";
import { sized } from "./lib/mode.js";
import {
  AGENT_IDS,
  type AgentId,
  checkComplete,
  makeFifos,
  makeRoomRepo,
  ROOM,
  type Room,
  type RoomKind,
  type RoomRepo,
  release,
  roomEnv,
  withRoom,
  writeAgentScript,
} from "./lib/room.js";
import { nowMs, percentile, round } from "./lib/stats.js";
import { HarnessTerminal } from "./lib/terminal.js";
import { type Benchmark, type BenchResult, type BenchRow, compareRow, row } from "./lib/types.js";

const SIZE = sized(
  { samples: 200, budgetMs: 150_000, floodBytes: 4 * 1024 * 1024 },
  { samples: 12, budgetMs: 15_000, floodBytes: 256 * 1024 },
);
const CAT: AgentId = "B2";
const FLOODERS = AGENT_IDS.filter((id) => id !== CAT);
const KEYS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SAMPLE_TIMEOUT_MS = 30_000;
const STILL_GRACE_MS = 5_000;

const SCRIPT = `if [ "$1" = ${CAT} ]; then exec cat; fi
read go < "$D/flood-$1"
while :; do cat "$D/flood.bin"; done`;

interface Phase {
  samples: number[];
  /** Stopped at the time budget before all the samples were taken. */
  capped: boolean;
}

/** The pane's non-blank rows, trimmed. */
const filled = (room: Room, id: AgentId): string[] =>
  room.term
    .region(room.content(id))
    .map((row) => row.trim())
    .filter((row) => row !== "");

/** Samples typed into `term`, whose `cat` shows its lines as the non-blank `rows`. */
async function echoSamples(
  term: HarnessTerminal,
  rows: () => string[],
  first: number,
): Promise<Phase> {
  const samples: number[] = [];
  const deadline = nowMs() + SIZE.budgetMs;
  for (let i = 0; i < SIZE.samples; i++) {
    if (nowMs() > deadline) return { samples, capped: true };
    const key = KEYS[(first + i) % KEYS.length] ?? "x";
    const t0 = nowMs();
    term.write(key);
    const at = await term.waitFor(
      () => rows().at(-1) === key,
      `the echo of ${JSON.stringify(key)} in ${CAT}'s pane`,
      SAMPLE_TIMEOUT_MS,
    );
    samples.push(at - t0);
    term.write("\r");
    await term.waitFor(
      () => {
        const r = rows();
        return r.at(-1) === key && r.at(-2) === key;
      },
      `cat's copy of ${JSON.stringify(key)}`,
      SAMPLE_TIMEOUT_MS,
    );
    await new Promise((resolve) => setTimeout(resolve, 40 + ((i * 37) % 61)));
  }
  return { samples, capped: false };
}

interface KindResult {
  off: Phase;
  on: Phase;
  /** Output the harness received during the flood-on samples, in characters. */
  floodOutput: number;
}

async function measure(kind: RoomKind, repo: RoomRepo, failures: string[]): Promise<KindResult> {
  makeFifos(repo, "flood", FLOODERS);
  return withRoom(kind, repo, failures, async (room) => {
    await room.focus(CAT);
    const cat = () => filled(room, CAT);
    const off = await echoSamples(room.term, cat, 0);
    await release(repo, "flood", FLOODERS);
    await room.term.waitFor(
      () => FLOODERS.every((id) => filled(room, id).length >= 3),
      "output in every flooding pane",
    );
    const before = FLOODERS.map((id) => filled(room, id).join("\n"));
    const received = room.term.received;
    const on = await echoSamples(room.term, cat, off.samples.length);
    const floodOutput = room.term.received - received;
    const unchanged = () => FLOODERS.filter((id, i) => filled(room, id).join("\n") === before[i]);
    // A pane can show the same text twice (the flood is one file in a loop, and a screen is
    // sampled at frame boundaries): a flooding pane must change at the latest a few seconds on.
    if (unchanged().length > 0) {
      await room.term
        .waitFor(() => unchanged().length === 0, "every flooding pane to change", STILL_GRACE_MS)
        .catch(() => undefined);
    }
    const still = unchanged();
    if (still.length > 0)
      failures.push(
        `${kind}: flooding panes ${still.join(", ")} did not change during the samples nor ${STILL_GRACE_MS / 1000} s after; ${still[0]} shows:\n${filled(room, still[0] as AgentId).join("\n")}`,
      );
    await checkComplete(room, "after the flood", failures);
    return { off, on, floodOutput };
  });
}

const RELAY = fileURLToPath(new URL("./lib/relay.mjs", import.meta.url));

/** The non-blank rows of the whole screen, trimmed. */
const screenRows = (term: HarnessTerminal) => () =>
  term
    .screen()
    .map((row) => row.trim())
    .filter((row) => row !== "");

/**
 * The floors under the quiet echo, measured as it is: `cat` in the harness's own terminal (no
 * program between: the terminal driver's echo and the harness's parse), and `cat` behind the
 * bare Node relay (bench/lib/relay.mjs: a client and a server that only copy bytes), what any
 * client and server in Node take on that way before doing anything of their own.
 */
async function floors(repo: RoomRepo): Promise<{ direct: Phase; relay: Phase }> {
  const options = { cwd: repo.parent, env: roomEnv(), ...ROOM };
  const alone = await HarnessTerminal.spawn("/bin/cat", [], options);
  let direct: Phase;
  try {
    direct = await echoSamples(alone, screenRows(alone), 0);
  } finally {
    await alone.close();
  }
  const socket = path.join(repo.parent, "relay.sock");
  const server = spawn(process.execPath, [RELAY, "server", socket], {
    cwd: repo.parent,
    env: roomEnv(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once("data", () => resolve());
      server.once("exit", (code) => reject(new Error(`the relay's server exited (${code})`)));
    });
    const client = await HarnessTerminal.spawn(
      process.execPath,
      [RELAY, "client", socket],
      options,
    );
    try {
      return { direct, relay: await echoSamples(client, screenRows(client), 0) };
    } finally {
      await client.close();
    }
  } finally {
    server.kill();
  }
}

export const latency: Benchmark = {
  name: "latency",
  description:
    "keystroke to echo on screen in a cat pane, 7 other panes flooding and quiet, Tower (through its server) against tmux",
  async run(): Promise<BenchResult> {
    const repo = await makeRoomRepo();
    const failures: string[] = [];
    try {
      await writeAnsiFile(`${repo.scripts}/flood.bin`, SIZE.floodBytes, 11);
      writeAgentScript(repo, SCRIPT);
      const tower = await measure("tower", repo, failures);
      const tmux = await measure("tmux", repo, failures);
      const floor = await floors(repo);
      const rows: BenchRow[] = [];
      for (const phase of ["off", "on"] as const) {
        const t = tower[phase];
        const m = tmux[phase];
        const counts = (p: Phase) =>
          `${p.samples.length}${p.capped ? ` (stopped at the ${SIZE.budgetMs / 1000} s cap)` : ""}`;
        const note = `through the server (client -> server -> pty -> server -> client), tmux likewise; samples: tower ${counts(t)}, tmux ${counts(m)}${phase === "on" ? "; 7 panes flooding" : "; the other 7 panes quiet"}`;
        for (const q of [50, 95, 99]) {
          rows.push(
            compareRow(
              `echo latency through the server, flood ${phase}, p${q}`,
              round(percentile(t.samples, q)),
              round(percentile(m.samples, q)),
              "ms",
              q === 50 ? note : undefined,
            ),
          );
        }
        for (const [kind, p] of [
          ["tower", t],
          ["tmux", m],
        ] as const) {
          // A slow program is a result (the note says so); no sample at all is a failure.
          if (p.samples.length === 0) failures.push(`${kind}, flood ${phase}: no sample`);
        }
      }
      for (const [what, phase, note] of [
        [
          "no program between",
          floor.direct,
          "cat in the harness's own terminal: the terminal driver's echo and the harness's parse, in every row above too",
        ],
        [
          "a bare Node relay",
          floor.relay,
          "cat behind two Node processes that only copy bytes (bench/lib/relay.mjs: stdin -> unix socket -> pty -> socket -> stdout), the way Tower's keystroke takes with nothing of Tower's on it",
        ],
      ] as const) {
        for (const q of [50, 95, 99]) {
          rows.push(
            row(
              `echo latency, quiet, ${what}, p${q}`,
              round(percentile(phase.samples, q)),
              "ms",
              q === 50 ? `${note}; samples: ${phase.samples.length}` : undefined,
            ),
          );
        }
        if (phase.samples.length === 0) failures.push(`${what}: no sample`);
      }
      return {
        rows,
        failures,
        details: {
          size: SIZE,
          floors: {
            direct: floor.direct.samples.map(round),
            relay: floor.relay.samples.map(round),
          },
          floodOutputChars: { tower: tower.floodOutput, tmux: tmux.floodOutput },
          samples: {
            tower: { off: tower.off.samples.map(round), on: tower.on.samples.map(round) },
            tmux: { off: tmux.off.samples.map(round), on: tmux.on.samples.map(round) },
          },
        },
      };
    } finally {
      repo.cleanup();
    }
  },
};
