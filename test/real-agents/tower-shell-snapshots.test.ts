/**
 * Snapshots around an agent's shell commands, with the real CLIs (Claude Code 2.1.197, Codex
 * 0.171.0, Gemini CLI 0.61.0) started by Tower's room. A shell command may throw away what no
 * commit holds (`git clean`, `git checkout .`), another agent's work in a shared stream worktree
 * among it, and no hook tells of what a command writes: Tower's hooks on each CLI's shell tool
 * have the room take a snapshot before the command runs (the CLI waits for the hook) and after
 * it. Here another agent's file is in the worktree when the agent starts; the model writes a
 * file with its shell, then runs `git clean -fdq`: both files are gone from the worktree, and in
 * the stream's snapshots.
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
      - { id: A1, task: "Tidy the worktree", agent: ${agent} }
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

const cases: {
  cli: "claude" | "codex" | "gemini";
  agent: string;
  env: (modelUrl: string, trust: string[]) => ReturnType<typeof claudeEnv>;
  call: (command: string) => ToolCall;
  /** The shell tool as the snapshot's message names it. */
  tool: string;
}[] = [
  {
    cli: "claude",
    agent: `["{CLI}", "{task}"]`,
    env: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
    call: (command) => ({ name: "Bash", input: { command, description: "Tidy up" } }),
    tool: "Bash",
  },
  {
    cli: "codex",
    agent: `["{CLI}", "{task}"]`,
    env: (modelUrl, trust) => codexEnv({ modelUrl, trust }),
    // Outside its sandbox (it asks first), which a container may not give it.
    call: (command) => ({
      name: "exec_command",
      input: { cmd: command, sandbox_permissions: "require_escalated", justification: "Tidy up" },
    }),
    tool: "Bash",
  },
  {
    cli: "gemini",
    agent: `["{CLI}", "--prompt-interactive", "{task}"]`,
    env: (modelUrl, trust) => geminiEnv({ modelUrl, trust }),
    call: (command) => ({ name: "run_shell_command", input: { command, description: "Tidy up" } }),
    tool: "run_shell_command",
  },
];

describe("snapshots around an agent's shell commands (real CLIs)", () => {
  for (const { cli, agent, env, call, tool } of cases) {
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
      // Each CLI asks before it runs a command; Tower's approve key answers until both ran.
      const answered = (id: string) =>
        r.server.requests.some((q) => toolResults(q).some((t) => t.id === id));
      let clean: { id: string } | undefined;
      for (let i = 0; i < 80 && !(clean?.id && answered(clean.id)); i++) {
        if (r.store.getState().agents.A1?.status === "waiting") r.services.sessions.approve("A1");
        clean = (await r.server.callsOfTurn(1, 1).catch(() => []))[0] ?? clean;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      await r.server.waitForToolResult(String(clean?.id), 10_000);
      expect(git(worktree, "status", "--porcelain")).toBe("");
      const mine = await snapshotHolding(r, "mine.md");
      expect(git(worktree, "show", `${mine.commit}:mine.md`)).toBe("mine\n");
      // Theirs, first in the one taken before the first command (no hook told of it before).
      const snapshots = await listSnapshots(r.repo.root, "A");
      const theirs = snapshots.filter((s) => s.files.includes("theirs.md")).at(-1);
      expect(theirs?.message).toBe(`before A1's ${tool}`);
      expect(git(worktree, "show", `${theirs?.commit}:theirs.md`)).toBe("their draft\n");
    });
  }
});
