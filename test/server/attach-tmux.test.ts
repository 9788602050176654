/**
 * The control room as a client of the server, in a real tmux with the built CLI: plain `tower`
 * starts the server and attaches; `D` detaches and the agent goes on (same pid); a closed
 * terminal (the tmux server killed: a hang-up) is a detach too; `tower attach` shows the
 * agent's current screen at once; after changes of the room, which a client draws line by line,
 * its screen reads as a new client's; two clients at once, a key typed in one shows in the other;
 * kill -9 of the control room is a detach; kill -9 of the server: the next `tower` starts a new
 * one, which restarts the agent and says so.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import xterm from "@xterm/headless";
import { afterEach, describe, expect, it } from "vitest";
import { RUNNING_MS } from "../../src/pty/status.js";
import { isAlive, LOG_FILE, readInfo } from "../../src/server/info.js";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, tower, waitFor } from "../helpers/repo.js";
import { cleanupRigs, planWith, recordedPid, type ServerRig, serverRig } from "./helpers.js";

const rigs: TmuxRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) rig.kill();
  await cleanupRigs();
});

/** `tower <args>` in a new tmux, attached to the test's server (not in-process). */
function open(
  rig: ServerRig,
  args = "",
  size = { cols: 140, rows: 40 },
  options: { command?: string; env?: Record<string, string>; cwd?: string } = {},
): TmuxRig {
  const tmux = new TmuxRig(
    options.cwd ?? rig.root,
    `${options.command ?? `node ${CLI}`} ${args}`,
    size,
    {
      TOWER_IN_PROCESS: "0",
      XDG_RUNTIME_DIR: rig.runtime,
      ...options.env,
    },
  );
  rigs.push(tmux);
  return tmux;
}

/** The environment a process was started with (/proc/<pid>/environ). */
function startedWith(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");

/**
 * Each row of `capture` (tmux's `capture-pane -p -e`) as cells: what a person sees of each, its
 * character and attributes, and of a blank only what shows on one (its background, inverse,
 * underline): a dim or coloured space looks like any other.
 */
async function screenCells(
  capture: string,
  size: { cols: number; rows: number },
): Promise<string[]> {
  const term = new xterm.Terminal({ ...size, allowProposedApi: true, scrollback: 0 });
  const text = capture.replace(/\n$/, "").replaceAll("\n", "\r\n");
  await new Promise<void>((resolve) => term.write(text, resolve));
  const rows: string[] = [];
  for (let y = 0; y < size.rows; y++) {
    const line = term.buffer.active.getLine(y);
    let row = "";
    for (let x = 0; x < size.cols; x++) {
      const c = line?.getCell(x);
      if (!c) break;
      const char = c.getChars() || " ";
      const seen = [c.getBgColorMode(), c.getBgColor(), c.isInverse(), c.isUnderline()];
      if (char !== " ") seen.push(c.getFgColorMode(), c.getFgColor(), c.isBold(), c.isDim());
      row += `${char}${seen.map(Number).join(",")}|`;
    }
    rows.push(row);
  }
  term.dispose();
  return rows;
}

const agentPid = (rig: ServerRig) => waitFor(() => recordedPid(rig, "A1"), 15_000, "A1's pid");

/** A new room's server started by plain `tower` in tmux, its agent ready. */
async function openedRoom() {
  const rig = await serverRig();
  const client = open(rig);
  await client.waitForText("ready A1", 20_000);
  return { rig, client, pid: await agentPid(rig) };
}

describe("attach and detach", () => {
  it("tower starts the server; D detaches, a hang-up detaches, tower attach shows the screen at once", async () => {
    const rig = await serverRig();
    const first = open(rig);
    await first.waitForText("ready A1", 20_000);
    const server = await readInfo(rig.dir);
    expect(server?.repo).toBe(rig.root);
    first.keys("i");
    // A person waits to see insert mode before typing (keys typed in the same burst as i are
    // read as commands: reported to the lead, src/ui/input/dispatch.ts).
    await first.waitForText("INSERT");
    first.type("before detach");
    first.keys("Enter", "C-]");
    await first.waitForText("You said: before detach");
    const pid = await agentPid(rig);
    first.keys("D");
    await first.waitForText("[exited 0]");
    // Left on the main screen, as tmux's "[detached (from session …)]": what goes on, how back.
    expect(first.screen()).toContain("[detached: A1 goes on; `tower attach` opens the room again]");
    expect(isAlive(pid)).toBe(true);

    const second = open(rig, "attach");
    // The screen is there as soon as the control room is: it came with the snapshot.
    await second.waitFor(
      (s) => s.includes("You said: before detach") && s.includes("A1"),
      "the agent's screen",
      15_000,
    );
    // The terminal goes away (the tmux server killed: SIGHUP): a detach.
    second.kill();
    await waitFor(async () => ((await readInfo(rig.dir))?.clients === 0 ? true : undefined));
    expect(isAlive(pid)).toBe(true);
    expect(recordedPid(rig, "A1")).toBe(pid);
    expect((await readInfo(rig.dir))?.pid).toBe(server?.pid);
  });

  it("kill -9 of the control room is a detach: the agent goes on, tower attach shows it", async () => {
    const { rig, client: first, pid } = await openedRoom();
    await waitFor(async () => ((await readInfo(rig.dir))?.clients === 1 ? true : undefined));
    // The pane runs the client itself (`node tower.js`), not a shell.
    const client = Number(first.tmux("display-message", "-p", "#{pane_pid}").trim());
    expect(commandLine(client).join(" ")).toContain(CLI);
    process.kill(client, "SIGKILL");
    await waitFor(async () => ((await readInfo(rig.dir))?.clients === 0 ? true : undefined));
    expect(isAlive(pid)).toBe(true);
    expect(recordedPid(rig, "A1")).toBe(pid);
    const second = open(rig, "attach");
    await second.waitForText("ready A1", 15_000);
    expect(recordedPid(rig, "A1")).toBe(pid);
  });

  it("tower attach <repository> from another folder, and tower attach outside any repository, open the only room; the way back they name works from there", async () => {
    const { rig, client: first, pid } = await openedRoom();
    first.keys("D");
    await first.waitForText("[exited 0]");
    // The test's runtime folder is in no repository.
    const elsewhere = (args: string, size?: { cols: number; rows: number }) =>
      open(rig, `attach ${args}`, size, { cwd: rig.runtime });
    const named = elsewhere(rig.root, { cols: 160, rows: 48 });
    await named.waitForText("ready A1", 15_000);
    // q asks, naming the same way back; d detaches.
    named.keys("q");
    await named.waitForText("Leave Tower?");
    const dialog = named
      .screen()
      .replace(/[│╭╮╰╯─]/g, " ")
      .replace(/\s+/g, " ");
    expect(dialog).toContain(
      `Detach: the agents go on; \`tower attach ${rig.root}\` opens the control room again.`,
    );
    named.keys("d");
    await named.waitForText("[exited 0]");
    // Typed here, `tower attach` alone would open the only room running, not this one.
    expect(named.tmux("capture-pane", "-p", "-J")).toContain(
      `[detached: A1 goes on; \`tower attach ${rig.root}\` opens the room again]`,
    );
    const only = elsewhere("");
    await only.waitForText("ready A1", 15_000);
    expect(recordedPid(rig, "A1")).toBe(pid);

    // The server killed: what the client says to run here starts a new one for this room.
    process.kill((await readInfo(rig.dir))!.pid, "SIGKILL");
    await only.waitForText("[exited 1]", 15_000);
    const restart = `tower attach --start ${rig.root}`;
    expect(only.tmux("capture-pane", "-p", "-J")).toContain(`\`${restart}\` starts a new server`);
    await waitFor(() => (isAlive(pid) ? undefined : true), 15_000, "the agent to end");
    const again = elsewhere(restart.replace(/^tower attach /, ""));
    await again.waitForText("restarted A1", 20_000);
    await again.waitForText("ready A1", 15_000);
  });

  it("q, then s: every agent stopped, then the server; the terminal says so", async () => {
    const { rig, client, pid } = await openedRoom();
    const server = (await readInfo(rig.dir))!;
    const other = open(rig, "attach", { cols: 100, rows: 30 });
    await other.waitForText("ready A1", 15_000);
    client.keys("q");
    await client.waitForText("Leave Tower?");
    client.keys("s");
    await client.waitForText("[exited 0]", 30_000);
    expect(client.screen()).toContain(
      "[stopped: A1 and the room's server; worktrees, branches and commits stay]",
    );
    // The other control room is told who stopped it (it said "tower server stop").
    await other.waitForText("the server was stopped from another control room", 15_000);
    await waitFor(() => (isAlive(pid) ? undefined : true), 15_000, "the agent to end");
    await waitFor(() => (isAlive(server.pid) ? undefined : true), 15_000, "the server to end");
  });

  it("leaves the terminal's history as it was: tmux keeps the lines printed before the client", async () => {
    const rig = await serverRig();
    const client = open(rig, "", { cols: 140, rows: 40 }, { command: `seq 1 300; node ${CLI}` });
    await client.waitForText("ready A1", 20_000);
    // The control room redraws as the room changes: a lock taken from another shell.
    const env = { XDG_RUNTIME_DIR: rig.runtime };
    expect((await tower(rig.root, ["lock", "notes.txt", "--agent", "A1"], env)).code).toBe(0);
    await client.waitFor((s) => /\b1 lock\b/.test(s.split("\n")[0] ?? ""), "the lock");
    client.keys("D");
    await client.waitForText("[exited 0]");
    // 300 lines, 40 of them on the screen when it started: the rest is tmux's history, kept.
    const history = Number(client.tmux("display-message", "-p", "#{history_size}").trim());
    expect(history).toBeGreaterThanOrEqual(255);
    expect(client.tmux("capture-pane", "-p", "-S", "-300")).toMatch(/^1\n2\n3\n/);
  });

  it("a change of the room redraws only its lines: the screen reads as a new client's, colours too", async () => {
    // Ink clears and redraws a full-height app at every change; the control room writes only the
    // lines that changed, and the pane rows on them (src/ui/ink-output.ts). A client that has
    // followed changes must show what a client attaching afresh shows, cell for cell.
    const rig = await serverRig();
    const size = { cols: 140, rows: 40 };
    const old = open(rig, "", size);
    await old.waitForText("ready A1", 20_000);
    const env = { XDG_RUNTIME_DIR: rig.runtime };
    // The screen's cells as a terminal reads tmux's picture of them (characters, colours and
    // attributes); a space written and a cell cleared read the same, as they look the same.
    const cells = (client: TmuxRig) => screenCells(client.tmux("capture-pane", "-p", "-e"), size);
    const same = async (name: string, want: (screen: string) => boolean) => {
      const fresh = open(rig, "attach", size);
      await fresh.waitFor(want, `${name} in a new client`, 15_000);
      await old.waitFor(want, `${name} in the client that followed`, 15_000);
      // Compared once the room is at rest: A1 counts as running for RUNNING_MS after its last
      // output (its start-up may be that recent), and the two clients draw its going idle at
      // their own pace, so screens taken while that lands may differ for a moment (CI saw it).
      // At rest they must be the same.
      let seen = { screens: "", since: Date.now(), differ: [] as string[] };
      await waitFor(
        async () => {
          const [a, b] = [await cells(old), await cells(fresh)];
          const screens = `${a.join("\n")}\n${b.join("\n")}`;
          if (screens !== seen.screens) {
            const differ = a.flatMap((row, y) =>
              row === b[y] ? [] : [`row ${y}:\n  ${row}\n  ${b[y]}`],
            );
            seen = { screens, since: Date.now(), differ };
          }
          return Date.now() - seen.since > RUNNING_MS + 500 ? true : undefined;
        },
        15_000,
        `both clients at rest after ${name}`,
      );
      expect(seen.differ).toEqual([]);
      fresh.kill();
    };
    expect((await tower(rig.root, ["lock", "notes.txt", "--agent", "A1"], env)).code).toBe(0);
    await same("the lock", (s) => /\b1 lock\b/.test(s.split("\n")[0] ?? ""));
    expect((await tower(rig.root, ["unlock", "notes.txt", "--agent", "A1"], env)).code).toBe(0);
    await same("the unlock", (s) => /\b0 locks\b/.test(s.split("\n")[0] ?? ""));
  });

  it("two clients at once at different sizes: a key typed in one shows in both", async () => {
    const rig = await serverRig();
    const big = open(rig, "attach --start", { cols: 160, rows: 44 });
    await big.waitForText("ready A1", 20_000);
    const small = open(rig, "attach", { cols: 100, rows: 30 });
    await small.waitForText("ready A1", 15_000);
    small.keys("i");
    // A person waits to see insert mode before typing (keys typed in the same burst as i are
    // read as commands: reported to the lead, src/ui/input/dispatch.ts).
    await small.waitForText("INSERT");
    small.type("typed in the small one");
    small.keys("Enter", "C-]");
    await small.waitForText("You said: typed in the small one");
    await big.waitForText("You said: typed in the small one");
    expect((await readInfo(rig.dir))?.clients).toBe(2);
  });

  it("kill -9 of the server: the next tower starts a new one, which restarts the agent and says so", async () => {
    const rig = await serverRig();
    const first = open(rig);
    await first.waitForText("ready A1", 20_000);
    const pid = await agentPid(rig);
    const server = (await readInfo(rig.dir))!;
    process.kill(server.pid, "SIGKILL");
    // The client sees its room go, says what happened and what to do, and fails (as tmux's
    // "[lost server]"): not the quiet end of a detach.
    await first.waitForText("[exited 1]", 15_000);
    // Lines joined where the pane wrapped them.
    const said = first.tmux("capture-pane", "-p", "-J");
    expect(said).toContain(`tower: the Tower server (pid ${server.pid}) went away without a word`);
    expect(said).toContain(path.join(rig.dir, "server.log"));
    expect(said).toContain("`tower` starts a new server");
    // The agent's terminal went with the server (SIGHUP).
    await waitFor(() => (isAlive(pid) ? undefined : true), 15_000, "the agent to end");

    const next = open(rig);
    await next.waitForText("restarted A1", 20_000);
    await next.waitForText("ready A1", 15_000);
    const info = await readInfo(rig.dir);
    expect(info?.pid).not.toBe(server.pid);
    const newPid = await waitFor(() => {
      const p = recordedPid(rig, "A1");
      return p !== undefined && p !== pid ? p : undefined;
    });
    expect(isAlive(newPid)).toBe(true);
    const ps = await tower(rig.root, ["ps"], { XDG_RUNTIME_DIR: rig.runtime });
    expect(ps.stdout).toContain(`Tower server pid ${info?.pid}`);
  });

  it("an agent Tower did not start says why in its pane, to the clients that attach after too", async () => {
    // A Gemini CLI agent that its environment makes distrust every folder (no hook would run):
    // refused before anything is started, so no Gemini CLI needs to be installed.
    const rig = await serverRig(planWith(["gemini"]));
    const env = { GEMINI_CLI_TRUST_WORKSPACE: "false" };
    const first = open(rig, "", { cols: 100, rows: 30 }, { env });
    await first.waitForText("Tower did not start A1:", 20_000);
    expect(first.screen()).toContain("A1 not started");
    first.keys("D");
    await first.waitForText("[exited 0]", 15_000);
    // The message line said it once, to the client attached then; the pane says it to this one.
    const later = open(rig, "attach", { cols: 80, rows: 24 }, { env });
    await later.waitForText("Tower did not start A1:", 20_000);
    const said = later.tmux("capture-pane", "-p", "-J").replace(/\s+/g, " ");
    expect(said).toContain(
      "the environment sets GEMINI_CLI_TRUST_WORKSPACE=false, which makes Gemini CLI distrust every folder",
    );
    expect(said).toContain("Once that is fixed, x starts A1 (its pane selected).");
    expect(later.screen()).toContain("A1 not started");
  });

  it("the installed tower (dist/bin/tower) starts Node without NODE_EXTRA_CA_CERTS's bundle; the agent gets it back", async () => {
    // Node reads the bundle before any code runs (a warning when it cannot, ~40 ms when it can);
    // Tower opens no TLS connection, its agents may.
    const rig = await serverRig();
    const bundle = path.join(rig.runtime, "no-such-bundle.pem");
    const first = open(rig, "", undefined, {
      command: path.join(path.dirname(CLI), "tower"),
      env: { NODE_EXTRA_CA_CERTS: bundle },
    });
    await first.waitForText("ready A1", 20_000);
    const client = first.processes().find((pid) => commandLine(pid).some((a) => a === CLI));
    expect(client, "the control room's node, running dist/bin/tower.js").toBeDefined();
    const server = (await readInfo(rig.dir))!;
    for (const pid of [client!, server.pid]) {
      const env = startedWith(pid);
      expect(env.NODE_EXTRA_CA_CERTS, `pid ${pid}: ${commandLine(pid).join(" ")}`).toBeUndefined();
      expect(env.TOWER_NODE_EXTRA_CA_CERTS).toBe(bundle);
    }
    const agent = startedWith(await agentPid(rig));
    expect(agent.NODE_EXTRA_CA_CERTS).toBe(bundle);
    expect(agent.TOWER_NODE_EXTRA_CA_CERTS).toBeUndefined();
    // Nothing of Node's warning in the server's log (it would say it read no bundle).
    expect(readFileSync(path.join(rig.dir, LOG_FILE), "utf8")).not.toContain("extra certs");
  });
});

describe("plain tower, which opens the room the way tower attach --start does", () => {
  it("passes --no-resume to the server it starts", async () => {
    const rig = await serverRig();
    const first = open(rig, "--no-resume");
    await first.waitForText("ready A1", 20_000);
    const server = (await readInfo(rig.dir))!;
    expect(commandLine(server.pid)).toContain("--no-resume");
  });

  it("with a broken streams.yaml, says where from the full command line, and leaves no server", async () => {
    const rig = await serverRig();
    writeFileSync(path.join(rig.root, "streams.yaml"), "version: 1\nstreams:\n  A: [unclosed\n");
    const first = open(rig);
    // The plan's error with its file and line, as the full command line reports it.
    await first.waitFor(
      (s) => /streams\.yaml:\d+/.test(s) && s.includes("[exited 1]"),
      "the plan's error",
      20_000,
    );
    const info = await readInfo(rig.dir);
    expect(info === undefined || !isAlive(info.pid)).toBe(true);
  });

  it("outside a Tower repository, the full command line says what is missing", async () => {
    const rig = await serverRig();
    const elsewhere = path.join(rig.runtime, "plain");
    const first = open(rig, "", undefined, {
      command: `mkdir -p ${elsewhere} && cd ${elsewhere} && node ${CLI}`,
    });
    await first.waitFor((s) => s.includes("[exited 1]"), "tower to give up", 20_000);
    expect(first.screen()).toMatch(/git repository|streams\.yaml/);
  });
});
