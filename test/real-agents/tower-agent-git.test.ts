/**
 * The guard binds an agent's shell in every worktree, with the real CLIs (Claude Code 2.1.197,
 * Codex 0.171.0, Gemini CLI 0.61.0) started by Tower's room: the model runs `git commit` in the
 * main worktree (past its stream's worktree and the hooks path there), and the guard, which the
 * agent's git finds through its environment, refuses it: the model's tool result says why and
 * the base branch does not move. Each CLI passes the variable on to its shell commands. And the
 * room's snapshots around each CLI's shell commands keep what its `git clean` throws away.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listSnapshots } from "../../src/engine/git/snapshot.js";
import { git } from "../helpers/repo.js";
import { claudeEnv, codexEnv, geminiEnv } from "./cli-env.js";
import { type ToolCall, toolResults } from "./model-server.js";
import { snapshotHolding, startTowerRun, type TowerRun } from "./tower-rig.js";
import { guardOutside } from "./write-flow.js";

const plan = (agent: string) => `version: 1
project: demo
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: "Record the work", agent: ${agent} }
`;

let run: TowerRun | undefined;
let outside: ReturnType<typeof guardOutside>;
beforeAll(() => {
  outside = guardOutside();
});
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});
afterAll(() => outside.check());

/** The model's shell command: an empty commit on the base, in the main worktree. */
const COMMAND = (root: string) => `git -C ${root} commit --allow-empty -q -m "on the base"`;

/** Codex's shell call, outside its sandbox (it asks first): git writes the main repository. */
const codexShell = (command: string): ToolCall => ({
  name: "exec_command",
  input: {
    cmd: command,
    sandbox_permissions: "require_escalated",
    justification: "Record the work",
  },
});

/**
 * The result of the call the model's turn `turn` made: each CLI asks before it runs a command,
 * and Tower's approve key answers (every question meanwhile) until it ran.
 */
async function approvedUntilRun(r: TowerRun, turn: number) {
  const answered = (id: string) =>
    r.server.requests.some((q) => toolResults(q).some((t) => t.id === id));
  let made: { id: string } | undefined;
  for (let i = 0; i < 60 && !(made && answered(made.id)); i++) {
    if (r.store.getState().agents.A1?.status === "waiting") r.services.sessions.approve("A1");
    made ??= (await r.server.callsOfTurn(turn, 1).catch(() => []))[0];
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }
  if (!made) throw new Error(`the model's turn ${turn} made no call`);
  return r.server.waitForToolResult(made.id, 10_000);
}

const cases: {
  cli: "claude" | "codex" | "gemini";
  name?: string;
  agent: string;
  env: (modelUrl: string, trust: string[]) => ReturnType<typeof claudeEnv>;
  call: (command: string) => ToolCall;
}[] = [
  {
    cli: "claude",
    agent: `["{CLI}", "{task}"]`,
    env: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
    call: (command) => ({ name: "Bash", input: { command, description: "Record the work" } }),
  },
  {
    cli: "codex",
    agent: `["{CLI}", "{task}"]`,
    env: (modelUrl, trust) => codexEnv({ modelUrl, trust }),
    call: codexShell,
  },
  {
    // Your Codex configuration passing its commands only a core set of variables: Tower's
    // are set for them all the same.
    cli: "codex",
    name: "codex, with shell_environment_policy.inherit = core",
    agent: `["{CLI}", "{task}"]`,
    env: (modelUrl, trust) =>
      codexEnv({ modelUrl, trust, config: '[shell_environment_policy]\ninherit = "core"\n' }),
    call: codexShell,
  },
  {
    // ... or only the variables it names (applied after the ones Codex sets): Tower adds its
    // own to that list.
    cli: "codex",
    name: "codex, with shell_environment_policy.include_only = [PATH, HOME]",
    agent: `["{CLI}", "{task}"]`,
    env: (modelUrl, trust) =>
      codexEnv({
        modelUrl,
        trust,
        config: '[shell_environment_policy]\ninclude_only = ["PATH", "HOME"]\n',
      }),
    call: codexShell,
  },
  {
    // ... or such a list in a profile the plan's command chooses (`-p work`: Codex 0.171 reads
    // $CODEX_HOME/work.config.toml over config.toml): Tower reads the profile too.
    cli: "codex",
    name: "codex -p work, the profile with shell_environment_policy.include_only = [PATH, HOME]",
    agent: `["{CLI}", "-p", "work", "{task}"]`,
    env: (modelUrl, trust) => {
      const made = codexEnv({ modelUrl, trust });
      writeFileSync(
        path.join(made.codexHome as string, "work.config.toml"),
        '[shell_environment_policy]\ninclude_only = ["PATH", "HOME"]\n',
      );
      return made;
    },
    call: codexShell,
  },
  {
    // ... or its newer form (Codex 0.171), filters whose "include" entries are such a list:
    // Tower adds a filter of its own for each of its variables.
    cli: "codex",
    name: 'codex, with shell_environment_policy.filters = { PATH = "include", HOME = "include" }',
    agent: `["{CLI}", "{task}"]`,
    env: (modelUrl, trust) =>
      codexEnv({
        modelUrl,
        trust,
        config: '[shell_environment_policy.filters]\nPATH = "include"\nHOME = "include"\n',
      }),
    call: codexShell,
  },
  {
    cli: "gemini",
    agent: `["{CLI}", "--prompt-interactive", "{task}"]`,
    env: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
    call: (command) => ({
      name: "run_shell_command",
      input: { command, description: "Record the work" },
    }),
  },
];

describe("an agent's git in the main worktree (real CLIs)", () => {
  for (const { cli, name, agent, env, call } of cases) {
    it(`${name ?? cli}: its commit on the base is refused by the guard, and the model hears why`, async () => {
      let root = "";
      run = await startTowerRun({
        plan: plan(agent),
        stream: "A",
        cli,
        makeEnv: env,
        before: async (repo) => {
          root = repo.root;
        },
        script: [
          () => ({ text: "Recording.", toolCalls: [call(COMMAND(root))] }),
          { text: "Done." },
        ],
      });
      const r = run;
      const base = git(root, "rev-parse", "HEAD").trim();
      const { result } = await approvedUntilRun(r, 0);
      const text =
        typeof result.content === "string" ? result.content : JSON.stringify(result.content);
      expect(text).toContain(
        "moves only by `tower merge` (or by you in the main worktree), not by agent A1's git",
      );
      expect(git(root, "rev-parse", "HEAD").trim()).toBe(base);
    });
  }
});

// A shell command may throw away what no commit holds (`git clean`, `git checkout .`), another
// agent's work in a shared stream worktree among it, and no hook tells of what a command writes:
// Tower's hooks on each CLI's shell tool have the room take a snapshot of the stream's worktree
// before the command runs (the CLI waits for the hook) and after it.
describe("snapshots around an agent's shell commands (real CLIs)", () => {
  for (const { cli, agent, env, call } of cases.filter((c) => c.name === undefined)) {
    it(`${cli}: what another agent left and what its own command wrote are in snapshots before its git clean throws them away`, async () => {
      let worktree = "";
      run = await startTowerRun({
        plan: plan(agent),
        stream: "A",
        cli,
        makeEnv: env,
        before: async (repo) => {
          // Another agent's work in the stream's worktree, which no hook of this one told of.
          worktree = path.join(path.dirname(repo.root), "demo-stream-A");
          writeFileSync(path.join(worktree, "theirs.md"), "their draft\n");
        },
        script: [
          () => ({ text: "Writing notes.", toolCalls: [call("printf 'mine\\n' > mine.md")] }),
          () => ({ text: "Tidying.", toolCalls: [call("git clean -fdq")] }),
          { text: "Done." },
        ],
      });
      const r = run;
      await approvedUntilRun(r, 1);
      expect(git(worktree, "status", "--porcelain")).toBe("");
      const mine = await snapshotHolding(r, "mine.md");
      expect(git(worktree, "show", `${mine.commit}:mine.md`)).toBe("mine\n");
      // Theirs, first in the one taken before the first command (no hook told of it before).
      const first = { claude: "Bash", codex: "Bash", gemini: "run_shell_command" }[cli];
      const snapshots = await listSnapshots(r.repo.root, "A");
      const theirs = snapshots.filter((s) => s.files.includes("theirs.md")).at(-1);
      expect(theirs?.message).toBe(`before A1's ${first}`);
      expect(git(worktree, "show", `${theirs?.commit}:theirs.md`)).toBe("their draft\n");
    });
  }

  it("codex: what it types into a shell session it keeps open (write_stdin) is in a snapshot before the next line it types throws it away", async () => {
    const codex = cases.find((c) => c.cli === "codex");
    if (!codex) throw new Error("no Codex case");
    let worktree = "";
    /** The session id of the shell Codex keeps open, from its exec_command's result. */
    const session = (request: Parameters<typeof toolResults>[0]) => {
      const text = JSON.stringify(toolResults(request).map((t) => t.content));
      const id = /session ID (\d+)/i.exec(text)?.[1];
      if (!id) throw new Error(`no session in ${text.slice(0, 400)}`);
      return Number(id);
    };
    const type = (chars: string) => (request: Parameters<typeof toolResults>[0]) => ({
      text: "Typing.",
      toolCalls: [
        {
          name: "write_stdin",
          input: { session_id: session(request), chars, yield_time_ms: 1000 },
        },
      ],
    });
    run = await startTowerRun({
      plan: plan(codex.agent),
      stream: "A",
      cli: "codex",
      makeEnv: codex.env,
      before: async (repo) => {
        worktree = path.join(path.dirname(repo.root), "demo-stream-A");
      },
      script: [
        () => ({
          text: "Opening a shell.",
          toolCalls: [
            {
              name: "exec_command",
              input: {
                cmd: "bash --norc --noprofile",
                tty: true,
                yield_time_ms: 1000,
                sandbox_permissions: "require_escalated",
                justification: "Record the work",
              },
            },
          ],
        }),
        type("printf 'mine\\n' > mine.md\n"),
        type("rm -f mine.md\n"),
        { text: "Done." },
      ],
    });
    const r = run;
    await approvedUntilRun(r, 0);
    for (let i = 0; i < 40 && r.server.requests.length < 4; i++) {
      if (r.store.getState().agents.A1?.status === "waiting") r.services.sessions.approve("A1");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // The line that threw it away ran, and the file is in the snapshot taken before Codex asked
    // the model what to do after the line that wrote it.
    expect(git(worktree, "status", "--porcelain")).toBe("");
    const mine = await snapshotHolding(r, "mine.md");
    expect(mine.message).toBe("before A1's model request");
    expect(git(worktree, "show", `${mine.commit}:mine.md`)).toBe("mine\n");
  });

  it("claude: what a command wrote before it failed is in the snapshot after it (its PostToolUseFailure)", async () => {
    const [claude] = cases;
    if (claude?.cli !== "claude") throw new Error("the first case is Claude Code's");
    run = await startTowerRun({
      plan: plan(claude.agent),
      stream: "A",
      cli: "claude",
      makeEnv: claude.env,
      script: [
        () => ({ text: "Trying.", toolCalls: [claude.call("printf 'half\\n' > half.md; exit 3")] }),
        { text: "It failed." },
      ],
    });
    const r = run;
    const { result } = await approvedUntilRun(r, 0);
    expect(JSON.stringify(result)).toContain("Exit code 3");
    const snapshot = await snapshotHolding(r, "half.md");
    expect(snapshot.message).toBe("after A1's PostToolUseFailure");
  });
});
