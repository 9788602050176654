/**
 * The throughput workload of the `throughput` and `memory` benchmarks: every agent of the room
 * waits on its named pipe `go-<id>`, then prints the same file of generated mixed output
 * (bench/lib/ansi-gen.ts) and an end marker naming itself, `TB-END-<id>`; `then` is what it does
 * afterwards. `toMarkers` lets them all go at once and times until every marker is on the
 * program's screen, in its own pane.
 */
import path from "node:path";
import { type Workload, writeAnsiFile } from "./ansi-gen.js";
import {
  AGENT_IDS,
  type AgentId,
  type Room,
  type RoomRepo,
  release,
  writeAgentScript,
} from "./room.js";
import { nowMs } from "./stats.js";

export const OUTPUT_FILE = "output.bin";
const marker = (id: string) => `TB-END-${id}`;

/**
 * Writes the room's workload: `bytes` of generated output (the same seed for every benchmark;
 * mixed terminal output unless `workload` says plain text) and the agents' script: wait, print
 * the file and the marker, then `then` (sh). Returns the file's size.
 */
export async function writeFloodRoom(
  repo: RoomRepo,
  bytes: number,
  then: string,
  workload: Workload = "mixed",
): Promise<number> {
  const size = await writeAnsiFile(path.join(repo.scripts, OUTPUT_FILE), bytes, 7, workload);
  writeAgentScript(
    repo,
    [
      'read go < "$D/go-$1"',
      `cat "$D/${OUTPUT_FILE}"`,
      `printf '\\033[0m\\r\\n${marker("%s")}\\r\\n' "$1"`,
      then,
    ].join("\n"),
  );
  return size;
}

export interface MarkerRun {
  /** From the go to the last marker on screen. */
  elapsedMs: number;
  /** From the go to each agent's marker on screen. */
  doneMs: Record<string, number>;
}

/**
 * Releases every agent (pipes `go-<id>` must exist, see `makeFifos`) and resolves once each
 * agent's marker is in its pane on the screen.
 */
export async function toMarkers(room: Room, repo: RoomRepo, timeoutMs: number): Promise<MarkerRun> {
  const t0 = nowMs();
  await release(repo, "go", AGENT_IDS);
  const seen = (id: AgentId) =>
    room.term.region(room.content(id)).some((row) => row.includes(marker(id)));
  const done = await Promise.all(
    AGENT_IDS.map((id) =>
      room.term.waitFor(() => seen(id), `${id}'s end marker in its pane`, timeoutMs),
    ),
  );
  const doneMs: Record<string, number> = {};
  AGENT_IDS.forEach((id, i) => {
    doneMs[id] = (done[i] ?? Number.NaN) - t0;
  });
  return { elapsedMs: Math.max(...done) - t0, doneMs };
}
