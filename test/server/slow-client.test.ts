/**
 * A client that stops reading (its process stopped with SIGSTOP: a frozen terminal, an SSH link
 * that stalls) while an agent floods its pane, with the built CLI in real tmux: the agent's
 * output is not slowed, the other client goes on drawing and typing, the server's memory does
 * not grow with what the stopped client has not read, and once it runs again the stopped client
 * catches up to the same screen as the other one (the latest frame, not every one in between).
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { readInfo } from "../../src/server/info.js";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, waitFor } from "../helpers/repo.js";
import { cleanupRigs, planWith, type ServerRig, serverRig } from "./helpers.js";

/**
 * The agent: says it is ready, then answers each line; `flood <n>` writes n lines of 100
 * characters as fast as its terminal takes them and says how long that took.
 */
const AGENT = `
process.stdout.write("ready A1\\r\\n");
let buf = "";
process.stdin.on("data", (d) => {
  buf += d;
  for (let i = buf.search(/[\\r\\n]/); i >= 0; i = buf.search(/[\\r\\n]/)) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    const flood = /^flood (\\d+)$/.exec(line);
    if (flood) run(Number(flood[1]));
    else if (line) process.stdout.write("You said: " + line + "\\r\\n");
  }
});
function run(total) {
  const start = Date.now();
  let n = 0;
  const more = () => {
    while (n < total) {
      const ok = process.stdout.write("line " + n + " " + "x".repeat(90) + "\\r\\n");
      n++;
      if (!ok) return void process.stdout.once("drain", more);
    }
    process.stdout.write("flooded " + total + " in " + (Date.now() - start) + " ms\\r\\n");
  };
  more();
}
`;

const LINES = 150_000; // 15 MB

const rigs: TmuxRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    // A stopped client would never see its terminal go.
    for (const pid of rig.processes()) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {}
    }
    rig.kill();
  }
  await cleanupRigs();
});

function open(rig: ServerRig, args: string): TmuxRig {
  const tmux = new TmuxRig(
    rig.root,
    `node ${CLI} ${args}`,
    { cols: 140, rows: 40 },
    {
      TOWER_IN_PROCESS: "0",
      XDG_RUNTIME_DIR: rig.runtime,
    },
  );
  rigs.push(tmux);
  return tmux;
}

/** The control room's process in a tmux (the node running the CLI). */
function clientPid(tmux: TmuxRig): number {
  const pid = tmux
    .processes()
    .find((p) => readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes(CLI));
  if (pid === undefined) throw new Error("no control room in the tmux");
  return pid;
}

const residentMb = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;

/** Types a line into the agent's pane: insert mode, the text, Enter, back to normal mode. */
async function say(client: TmuxRig, text: string): Promise<void> {
  client.keys("i");
  await client.waitForText("INSERT");
  client.type(text);
  client.keys("Enter", "C-]");
}

/** The time in the agent's `flooded <lines> in <ms> ms` line on a client's screen. */
const floodTime = (screen: string, lines: number): number | undefined => {
  const found = new RegExp(`flooded ${lines} in (\\d+) ms`).exec(screen);
  return found ? Number(found[1]) : undefined;
};

/** Floods the agent's pane with `lines` lines, typed in `client`; the agent's time for it. */
async function flood(client: TmuxRig, lines: number): Promise<number> {
  await say(client, `flood ${lines}`);
  const screen = await client.waitFor(
    (s) => floodTime(s, lines) !== undefined,
    `the end of a flood of ${lines} lines`,
    120_000,
  );
  return floodTime(screen, lines)!;
}

describe("a client that stops reading", () => {
  it("slows neither the agent nor the other client, costs the server no memory, and catches up when it runs again", async () => {
    const rig = await serverRig(planWith([process.execPath, "-e", AGENT]));
    const stuck = open(rig, "");
    await stuck.waitForText("ready A1", 20_000);
    const other = open(rig, "attach");
    await other.waitForText("ready A1", 15_000);
    await waitFor(async () => ((await readInfo(rig.dir))?.clients === 2 ? true : undefined));
    const server = (await readInfo(rig.dir))!.pid;

    // The flood with both clients reading: how fast the agent writes here.
    const reading = await flood(other, LINES);
    await stuck.waitFor(
      (s) => floodTime(s, LINES) !== undefined,
      "the first flood's end on the other client",
    );
    const before = residentMb(server);

    // One client stops reading; the same flood again.
    const pid = clientPid(stuck);
    process.kill(pid, "SIGSTOP");
    await say(other, "second");
    await other.waitForText("You said: second", 10_000);
    const stopped = await flood(other, LINES + 1);
    // The agent was not held back by the client that does not read.
    expect(stopped).toBeLessThan(reading * 2 + 2_000);
    // The other client still answers at once.
    const typed = Date.now();
    await say(other, "still here");
    await other.waitForText("You said: still here", 10_000);
    expect(Date.now() - typed).toBeLessThan(5_000);
    // What the stopped client did not read is not kept: the latest frame is all that waits.
    expect(residentMb(server) - before).toBeLessThan(40);

    // It drew nothing meanwhile.
    expect(stuck.screen()).not.toContain("You said: second");
    // It runs again: the same screen as the other client's, at once.
    process.kill(pid, "SIGCONT");
    await stuck.waitFor(
      (s) => s.includes("You said: still here") && s === other.screen(),
      "the stopped client to show what the other one shows",
      15_000,
    );
  });
});
