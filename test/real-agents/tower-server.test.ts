/**
 * The real CLIs (Claude Code, Codex, Gemini CLI) in the Tower server, as a user runs it: plain
 * `tower` in a real tmux starts the server, which starts the agent; after a turn, `D` detaches
 * (the agent goes on, same pid) and `tower attach` shows its screen; then the server is
 * killed with SIGKILL (a crash, an OOM kill, a reboot's loss of processes). The agent's terminal
 * goes with it; the next `tower` starts a new server, which says which agent it restarted and
 * resumes that agent's own conversation (its recorded session id) in its worktree: the task is
 * not sent again, and the next prompt, typed in the control room, reaches the model with the
 * first turn's history. Nothing of the run is left running.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isAlive as processRuns } from "../../src/pty/leftovers.js";
import { roomDir } from "../../src/room/runtime-dir.js";
import { isAlive, readInfo } from "../../src/server/info.js";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, makeRepo, readJson, type TempRepo, tower, waitFor } from "../helpers/repo.js";
import { type AgentEnv, claudeEnv, codexEnv, geminiEnv } from "./cli-env.js";
import { type AgentCli, cliBinary } from "./clis.js";
import { canOverlayEtc, etcOverlay } from "./etc-overlay.js";
import { ModelServer, type RecordedRequest, type Turn } from "./model-server.js";
import { describeProcesses, killAll, processesWithEnv } from "./processes.js";
import { guardOutside } from "./write-flow.js";

interface Case {
  cli: AgentCli;
  /** The plan's agent command, `{CLI}` for the executable. */
  agent: string;
  makeEnv(modelUrl: string, trust: string[]): AgentEnv;
  /** The CLI's prompt, drawn when it waits for the user. */
  prompt: RegExp;
  /** The session id the CLI sent the model with a request. */
  sessionOf(request: RecordedRequest): string | undefined;
}

const CASES: Case[] = [
  {
    cli: "claude",
    agent: `["{CLI}", "{task}"]`,
    makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
    prompt: /❯/,
    sessionOf: (q) => q.headers["x-claude-code-session-id"] as string | undefined,
  },
  {
    cli: "codex",
    agent: `["{CLI}", "{task}"]`,
    makeEnv: (modelUrl, trust) => codexEnv({ modelUrl, trust }),
    prompt: /Ask Codex to do anything|›/,
    sessionOf: (q) =>
      q.headers["x-codex-turn-metadata"]
        ? JSON.parse(String(q.headers["x-codex-turn-metadata"])).session_id
        : undefined,
  },
  {
    cli: "gemini",
    agent: `["{CLI}", "--prompt-interactive", "{task}"]`,
    makeEnv: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
    prompt: /Type your message/,
    sessionOf: () => undefined,
  },
];

const plan = (agent: string) => `version: 1
project: demo
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: "Remember the word papaya", agent: ${agent} }
`;

const SCRIPT: Turn[] = [{ text: "Noted: the word is papaya." }, { text: "The word was papaya." }];

interface Rig {
  repo: TempRepo;
  root: string;
  runtime: string;
  model: ModelServer;
  agent: AgentEnv;
  tmux: TmuxRig[];
}

let rig: Rig | undefined;
let outside: ReturnType<typeof guardOutside>;
beforeAll(() => {
  outside = guardOutside();
});
afterEach(async () => {
  const r = rig;
  rig = undefined;
  if (!r) return;
  for (const t of r.tmux) t.kill();
  const env = { XDG_RUNTIME_DIR: r.runtime };
  const info = await readInfo(await roomDir(r.root, { ...process.env, ...env })).catch(
    () => undefined,
  );
  if (info && isAlive(info.pid)) {
    process.kill(info.pid, "SIGTERM");
    await waitFor(() => (isAlive(info.pid) ? undefined : true), 20_000, "the server to stop");
  }
  killAll(processesWithEnv("HOME", r.agent.home));
  await r.model.close();
  r.agent.cleanup();
  r.repo.cleanup();
  rmSync(r.runtime, { recursive: true, force: true });
});
afterAll(() => outside.check());

/**
 * `tower <args>` (the control room, through the server) in a new tmux, with the agent's
 * environment (after `prefix`'s words: a command that runs it, as an /etc overlay's).
 */
function openTower(
  r: Rig,
  args = "",
  size = { cols: 160, rows: 48 },
  prefix: readonly string[] = [],
): TmuxRig {
  const words = [...prefix.map((w) => `'${w.replaceAll("'", "'\\''")}'`), process.execPath, CLI];
  const t = new TmuxRig(r.root, `${words.join(" ")} ${args}`, size, {
    ...r.agent.env,
    // As in CI (and some users' shells): Gemini CLI reads CI=true as "no terminal" unless
    // given a prompt with -i; an agent resumed without its task must still run in its pane.
    CI: "true",
    TOWER_IN_PROCESS: "0",
    XDG_RUNTIME_DIR: r.runtime,
    ...(process.env.TOWER_CONFIG_DIR && { TOWER_CONFIG_DIR: process.env.TOWER_CONFIG_DIR }),
  });
  r.tmux.push(t);
  return t;
}

/**
 * Enter on the prompt typed in `t`, again until the model sees the turn (a CLI can take the
 * first Enter right after typed text as part of a paste); the second turn.
 */
async function submitted(t: TmuxRig, model: ModelServer): Promise<RecordedRequest> {
  for (let i = 0; ; i++) {
    t.keys("Enter");
    try {
      return await model.waitForTurn(1, 10_000);
    } catch (error) {
      if (i >= 3) throw error;
    }
  }
}

type Record_ = { pid?: number | null; session_id?: string };
const recordOf = async (r: Rig): Promise<Record_ | undefined> =>
  (
    (await readJson(path.join(r.repo.stateDir, "agents.json")).catch(() => undefined)) as
      | { agents?: Record<string, Record_> }
      | undefined
  )?.agents?.A1;

/** A repository whose stream A runs the CLI, and `tower` opened on it, its first turn answered. */
async function openedRoom(
  c: Case,
  script: Turn[],
  size?: { cols: number; rows: number },
  prefix: readonly string[] = [],
) {
  const model = await new ModelServer({ script }).listen();
  const repo = await makeRepo({ plan: plan(c.agent).replaceAll("{CLI}", cliBinary(c.cli)) });
  const root = realpathSync(repo.root);
  const runtime = mkdtempSync(path.join(os.tmpdir(), "tower-run-"));
  const started = await tower(root, ["start", "A"], { XDG_RUNTIME_DIR: runtime });
  expect(started.code, started.stderr).toBe(0);
  const worktree = path.join(path.dirname(root), "demo-stream-A");
  const agent = c.makeEnv(model.url, [root, worktree]);
  rig = { repo, root, runtime, model, agent, tmux: [] };
  const r = rig;
  const dir = await roomDir(root, { ...process.env, XDG_RUNTIME_DIR: runtime });
  const first = openTower(r, "", size, prefix);
  const turn0 = await model.waitForTurn(0, 120_000);
  await first.waitForText("Noted: the word is papaya.", 60_000);
  return { r, model, agent, dir, first, turn0 };
}

describe.each(CASES)("the Tower server with the real $cli", (c) => {
  it("tower attach at another size (the CLI draws its screen anew) leaves each line once in its log", async () => {
    // Longer than the larger pane: a CLI that draws its whole transcript again goes back further.
    const answer = Array.from({ length: 60 }, (_, i) => `answer line ${i + 1} of 60`);
    const { r, dir, first } = await openedRoom(
      c,
      [{ text: "Noted: the word is papaya." }, { text: answer.join("\n") }],
      { cols: 80, rows: 24 },
    );
    // A second turn whose answer fills the pane, then D, and a client of another size.
    first.keys("i");
    await first.waitForText("INSERT");
    first.type("Count to sixty");
    await first.waitForText("Count to sixty");
    await submitted(first, r.model);
    await first.waitForText("answer line 60 of 60", 60_000);
    first.keys("C-]", "D");
    await first.waitForText("[exited 0]", 15_000);
    const t = openTower(r, "attach", { cols: 120, rows: 40 });
    await t.waitForText("answer line 60 of 60", 15_000);
    // Its screen drawn anew at the new size, looked at by the log's ticks (3 s for a redraw).
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const info = await readInfo(dir);
    t.keys("q");
    await t.waitForText("Leave Tower?", 10_000);
    t.keys("s");
    await t.waitForText("[exited 0]", 60_000);
    await waitFor(() => (info && isAlive(info.pid) ? undefined : true), 20_000, "the server");
    const log = readFileSync(path.join(r.repo.stateDir, "logs", "agent-A1.log"), "utf8");
    const counts = answer.map((line) => log.split("\n").filter((l) => l.includes(line)).length);
    expect(counts, log).toEqual(answer.map(() => 1));
  });

  it("D detaches and tower attach shows it; kill -9 of the server: the next tower restarts the agent and resumes its own conversation", async () => {
    const { r, model, agent, dir, first, turn0 } = await openedRoom(c, SCRIPT);
    // Its session is recorded (found by its hook, its files or its announcement).
    const recorded = await waitFor(
      async () => {
        const a1 = await recordOf(r);
        return a1?.session_id && typeof a1.pid === "number" ? a1 : undefined;
      },
      60_000,
      "A1's session id and pid in agents.json",
    );
    expect(recorded.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const sent = c.sessionOf(turn0);
    if (sent !== undefined) expect(sent).toBe(recorded.session_id);
    const pid = recorded.pid as number;

    // D detaches: the agent goes on; `tower attach` shows its screen at once.
    first.keys("D");
    await first.waitForText("[exited 0]", 15_000);
    const attached = openTower(r, "attach");
    await attached.waitForText("Noted: the word is papaya.", 15_000);
    expect(isAlive(pid)).toBe(true);
    expect((await recordOf(r))?.pid).toBe(pid);

    // server.json counts the client a moment after it attached (its writes are batched).
    const server = await waitFor(
      async () => {
        const info = await readInfo(dir);
        return info?.clients === 1 ? info : undefined;
      },
      10_000,
      "server.json to count the client",
    );
    expect(isAlive(server.pid)).toBe(true);
    process.kill(server.pid, "SIGKILL");
    await attached.waitForText("[exited", 15_000);
    // The agent's terminal went with the server (a hang-up). Claude Code and Codex end with it;
    // Gemini CLI does not (its relaunched child and MCP server wait on): the next server stops
    // what is left of it before it starts the agent again, so that it never runs twice.
    const group = processesWithEnv("HOME", agent.home).filter(
      (p) => p.pgid === pid && p.state !== "Z",
    );
    const before = model.requests.length;
    const next = openTower(r);
    await next.waitForText("restarted A1", 60_000);
    await next.waitFor(
      (s) => c.prompt.test(s) && s.includes("Noted: the word is papaya."),
      "the resumed conversation, its prompt and the first turn",
      120_000,
    );
    const again = await waitFor(
      async () => {
        const a1 = await recordOf(r);
        return typeof a1?.pid === "number" && a1.pid !== pid ? a1 : undefined;
      },
      30_000,
      "A1's new pid in agents.json",
    );
    expect(isAlive(again.pid as number)).toBe(true);
    // Gone or a zombie (which init reaps in its own time: kill(pid, 0) still finds one).
    expect(describeProcesses(group.filter((p) => processRuns(p.pid)))).toBe("");
    // Not sent its task again.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(model.requests.slice(before).filter((q) => !q.side && q.api !== "other")).toEqual([]);

    // A prompt typed in the control room goes on in the same session, with the history.
    next.keys("i");
    await next.waitForText("INSERT");
    next.type("Say the word again");
    await next.waitForText("Say the word again");
    const turn1 = await submitted(next, model);
    next.keys("C-]");
    const resumed = c.sessionOf(turn1);
    if (resumed !== undefined) expect(resumed).toBe(recorded.session_id);
    expect(JSON.stringify(turn1.body)).toContain("Noted: the word is papaya.");
    await next.waitForText("The word was papaya.", 60_000);
    expect((await recordOf(r))?.session_id).toBe(recorded.session_id);

    // q, then s: the agent and the server stop; nothing of the run is left.
    const info = await readInfo(dir);
    next.keys("q");
    await next.waitForText("Leave Tower?", 10_000);
    next.keys("s");
    await next.waitForText("[exited 0]", 60_000);
    expect(next.screen()).toContain("[stopped: A1 and the room's server;");
    await waitFor(
      () => (info && isAlive(info.pid) ? undefined : true),
      20_000,
      "the server to end",
    );
    // The terminals too (their shells have the agent's HOME): then no process has it.
    for (const t of r.tmux.splice(0)) t.kill();
    const left = await waitFor(
      () => (processesWithEnv("HOME", agent.home).length === 0 ? [] : undefined),
      30_000,
      "no process of the run left",
    ).catch(() => processesWithEnv("HOME", agent.home));
    expect(describeProcesses(left)).toBe("");
  });

  it("a paste in the control room (tmux paste-buffer -p) reaches it as one paste: three lines, sent by Enter", async () => {
    const { r, model, first } = await openedRoom(c, [
      { text: "Noted: the word is papaya." },
      { text: "Got three lines." },
    ]);
    await first.waitFor((s) => c.prompt.test(s), "the prompt", 60_000);
    first.keys("i");
    await first.waitForText("INSERT");
    first.paste("first pasted line\nsecond pasted line\nthird pasted line");
    await first.waitFor(
      (s) => /third pasted line|Pasted text|Pasted Content/.test(s),
      "the paste in the prompt",
      15_000,
    );
    // Not sent at its first newline: nothing goes to the model until Enter.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(model.requests.filter((q) => q.turn === 1)).toEqual([]);
    first.keys("Enter");
    const turn1 = await model.waitForTurn(1, 60_000);
    expect(JSON.stringify(turn1.body)).toContain(
      "first pasted line\\nsecond pasted line\\nthird pasted line",
    );
    await first.waitForText("Got three lines.", 60_000);
    expect(r.model.errors).toEqual([]);
  });
});

// An administrator's managed configuration (/etc/codex/managed_config.toml) outranks every -c,
// Tower's developer_instructions among them: Tower, which reads it too, gives its briefing with
// the task instead. The control room, its server and Codex run with the file laid over /etc.
describe("the Tower server with the real Codex, an administrator's managed configuration", () => {
  it.skipIf(!canOverlayEtc())(
    "keeps the administrator's developer_instructions, and Tower's briefing comes with the task",
    async () => {
      const overlay = etcOverlay({
        "codex/managed_config.toml": 'developer_instructions = "Answer in Greek."\n',
      });
      try {
        const codex = CASES.find((c) => c.cli === "codex") as Case;
        const { turn0, first } = await openedRoom(codex, SCRIPT, undefined, overlay.prefix);
        const input = (turn0.body as { input?: { role?: string; content?: unknown }[] }).input;
        const said = (role: string) =>
          JSON.stringify((input ?? []).filter((item) => item.role === role));
        expect(said("developer")).toContain("Answer in Greek.");
        expect(said("developer")).not.toContain("You are agent A1 of stream A");
        expect(said("user")).toContain("You are agent A1 of stream A");
        expect(said("user")).toContain("Remember the word papaya");
        // Stopped (agents and server) while the overlay is there.
        first.keys("q");
        await first.waitForText("Leave Tower?", 10_000);
        first.keys("s");
        await first.waitForText("[exited 0]", 60_000);
      } finally {
        overlay.cleanup();
      }
    },
  );
});
