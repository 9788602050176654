/**
 * Claude Code, the real CLI, in a room reached over SSH, as a user reaches one: `tower attach
 * --ssh host:path` in a real tmux here, through a real sshd on 127.0.0.1 (test/helpers/sshd.ts),
 * the far side's `tower server --stdio` starting the repository's server, which starts the
 * agent. Its permission prompt is drawn here and answered with Tower's approve key (y) typed
 * here: the file is written on the far side and the turn goes on. D detaches: the agent goes on
 * there (same pid), and a second `tower attach --ssh` shows its screen.
 */
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { roomDir } from "../../src/room/runtime-dir.js";
import { isAlive, readInfo } from "../../src/server/info.js";
import { TmuxRig } from "../e2e/tmux.js";
import {
  CLI,
  makeRepo,
  readJson,
  type TempRepo,
  tower,
  waitFor,
  waitForContent,
} from "../helpers/repo.js";
import { type Sshd, sshdUnavailable, startSshd } from "../helpers/sshd.js";
import { type AgentEnv, claudeEnv } from "./cli-env.js";
import { cliBinary } from "./clis.js";
import { ModelServer } from "./model-server.js";
import { killAll, processesWithEnv } from "./processes.js";
import { guardOutside } from "./write-flow.js";

const PLAN = `version: 1
project: demo
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: "Create hello.txt", agent: ["{CLI}", "{task}"] }
`;

const unavailable = sshdUnavailable();
let sshd: Sshd | undefined;
let outside: ReturnType<typeof guardOutside>;
let cleanup: (() => Promise<void>) | undefined;
beforeAll(async () => {
  outside = guardOutside();
  if (!unavailable) sshd = await startSshd();
});
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});
afterAll(() => {
  sshd?.stop();
  outside.check();
});

/** Single quotes for the far side's shell. */
const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

describe.skipIf(unavailable !== undefined)(`Claude Code over SSH ${unavailable ?? ""}`, () => {
  it("its prompt is drawn here and y typed here approves it on the far side; D detaches, it goes on there", async () => {
    let worktree = "";
    const model = await new ModelServer({
      script: [
        () => ({
          text: "Writing.",
          toolCalls: [
            {
              name: "Write",
              input: { file_path: path.join(worktree, "hello.txt"), content: "over ssh\n" },
            },
          ],
        }),
        { text: "Created it." },
      ],
    }).listen();
    const repo: TempRepo = await makeRepo({ plan: PLAN.replaceAll("{CLI}", cliBinary("claude")) });
    const root = realpathSync(repo.root);
    const runtime = mkdtempSync(path.join(os.tmpdir(), "tower-run-"));
    worktree = path.join(path.dirname(root), "demo-stream-A");
    const agent: AgentEnv = claudeEnv({ modelUrl: model.url, trust: [root, worktree] });
    const tmuxes: TmuxRig[] = [];
    const dir = await roomDir(root, { ...process.env, XDG_RUNTIME_DIR: runtime });
    cleanup = async () => {
      for (const t of tmuxes) t.kill();
      const info = await readInfo(dir).catch(() => undefined);
      if (info && isAlive(info.pid)) {
        process.kill(info.pid, "SIGTERM");
        await waitFor(() => (isAlive(info.pid) ? undefined : true), 20_000, "the server to stop");
      }
      killAll(processesWithEnv("HOME", agent.home));
      await model.close();
      agent.cleanup();
      repo.cleanup();
      rmSync(runtime, { recursive: true, force: true });
    };
    const started = await tower(root, ["start", "A"], { XDG_RUNTIME_DIR: runtime });
    expect(started.code, started.stderr).toBe(0);

    // The far side's tower: the built CLI with the agent's environment (its HOME, the model
    // endpoint) and the test's runtime and configuration folders, as a login there would have.
    const far = {
      ...agent.env,
      XDG_RUNTIME_DIR: runtime,
      ...(process.env.TOWER_CONFIG_DIR && { TOWER_CONFIG_DIR: process.env.TOWER_CONFIG_DIR }),
    };
    const remote = `env ${Object.entries(far)
      .map(([k, v]) => quote(`${k}=${v}`))
      .join(" ")} ${process.execPath} ${CLI}`;
    const attach = () => {
      const t = new TmuxRig(
        os.tmpdir(),
        `node ${CLI} attach --ssh ${sshd!.host}:${root}`,
        { cols: 160, rows: 48 },
        { TOWER_IN_PROCESS: "0", TOWER_SSH: sshd!.ssh, TOWER_REMOTE_COMMAND: remote },
      );
      tmuxes.push(t);
      return t;
    };

    const here = attach();
    await here.waitForText("Do you want to create hello.txt?", 120_000);
    await here.waitFor((s) => /A1\s+waiting/.test(s), "A1 waiting in the room's list", 30_000);
    expect(isAlive((await readInfo(dir))!.pid)).toBe(true);
    // y, typed here, approves the prompt there.
    here.keys("y");
    await waitForContent(path.join(worktree, "hello.txt"), "over ssh\n", 30_000).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\nthe screen here:\n${here.screen()}`);
      },
    );
    await here.waitForText("Created it.", 60_000);
    const pid = await waitFor(
      async () => {
        const agents = (await readJson(path.join(repo.stateDir, "agents.json"))) as {
          agents: Record<string, { pid?: number | null }>;
        };
        const p = agents.agents.A1?.pid;
        return typeof p === "number" ? p : undefined;
      },
      10_000,
      "A1's pid",
    );

    // D detaches: the agent goes on there; a second attach over SSH shows its screen.
    here.keys("D");
    await here.waitForText("[exited 0]", 15_000);
    await waitFor(async () => ((await readInfo(dir))?.clients === 0 ? true : undefined));
    expect(isAlive(pid)).toBe(true);
    const again = attach();
    await again.waitForText("Created it.", 30_000);
    expect(isAlive(pid)).toBe(true);
    expect(model.errors).toEqual([]);
  });
});
