/**
 * Tower's room with real agent CLIs: a repository with a plan whose agent is the pinned real
 * CLI, its stream started with `tower start` (the guard installed), the room's services (agents'
 * sessions, state watcher, conflict scanner) in this process on a fresh store, and the scripted
 * model endpoint. The agents are started by Tower exactly as for a user: the launch adds the
 * hooks, the MCP server, the briefing and the session; only HOME and the CLI's settings come
 * from the throwaway environment of cli-env.ts.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { listSnapshots, type Snapshot } from "../../src/engine/git/snapshot.js";
import { openProject, type Project } from "../../src/engine/project.js";
import { type Services, startServices } from "../../src/ui/services/index.js";
import { type AppStore, createAppStore } from "../../src/ui/store/index.js";
import {
  CLI,
  cleanEnv,
  git,
  makeRepo,
  type TempRepo,
  tower,
  waitFor,
  waitForContent,
} from "../helpers/repo.js";
import type { AgentEnv } from "./cli-env.js";
import { type AgentCli, cliBinary } from "./clis.js";
import { ModelServer, type Turn, toolResults } from "./model-server.js";

export interface TowerRun {
  repo: TempRepo;
  worktree: string;
  project: Project;
  store: AppStore;
  services: Services;
  server: ModelServer;
  agent: AgentEnv;
  /** What the room told the user (its flash messages: an agent that cannot start, ...). */
  messages: string[];
  /** Stops the agents and closes the services (the repository and server stay). */
  closeRoom(): Promise<void>;
  /** Opens the room again on the same repository (resuming the agents' conversations). */
  reopen(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface TowerRunOptions {
  /** The plan, with `{CLI}` where the agent command's executable goes. */
  plan: string;
  script: Turn[];
  /** The stream to start. */
  stream: string;
  /** The CLI whose executable goes in the plan. */
  cli: AgentCli;
  makeEnv(modelUrl: string, trust: string[]): AgentEnv;
  resume?: boolean;
  /** Runs after the stream started, before the room opens (e.g. another agent takes a lock). */
  before?: (repo: TempRepo) => Promise<void>;
  /** Files committed on the main branch before the stream starts (so in its worktree too). */
  commit?: Record<string, string>;
}

export async function startTowerRun(options: TowerRunOptions): Promise<TowerRun> {
  const server = await new ModelServer({ script: options.script }).listen();
  let agent: AgentEnv | undefined;
  let repo: TempRepo | undefined;
  try {
    // The plan names the CLI by its path; the environment is made once the paths are known.
    repo = await makeRepo({ plan: options.plan.replaceAll("{CLI}", cliBinary(options.cli)) });
    if (options.commit) {
      for (const [file, content] of Object.entries(options.commit)) {
        mkdirSync(path.dirname(path.join(repo.root, file)), { recursive: true });
        writeFileSync(path.join(repo.root, file), content);
        git(repo.root, "add", "--", file);
      }
      git(repo.root, "commit", "-q", "-m", "the repository's own files");
    }
    const started = await tower(repo.root, ["start", options.stream]);
    if (started.code !== 0) throw new Error(`tower start failed: ${started.stderr}`);
    const worktree = path.join(path.dirname(repo.root), `demo-stream-${options.stream}`);
    await options.before?.(repo);
    agent = options.makeEnv(server.url, [repo.root, worktree]);
    const made = agent;
    const madeRepo = repo;
    const messages: string[] = [];
    const open = async (resume: boolean) => {
      const project = await openProject(madeRepo.root, cleanEnv());
      const store = createAppStore();
      store.getState().setSize(200, 60);
      const services = await startServices(project, store, {
        resume,
        tower: [process.execPath, CLI],
        session: {
          env: {
            ...made.env,
            ...(process.env.TOWER_CONFIG_DIR && { TOWER_CONFIG_DIR: process.env.TOWER_CONFIG_DIR }),
          },
          log: false,
          stopGraceMs: 5_000,
        },
        onMessage: (message) => {
          messages.push(message);
          store.getState().showFlash(message);
        },
      });
      return { project, store, services };
    };
    const run: TowerRun = {
      repo,
      worktree,
      server,
      agent,
      messages,
      ...(await open(options.resume ?? false)),
      async closeRoom() {
        await run.services.close();
      },
      async reopen() {
        Object.assign(run, await open(true));
      },
      async cleanup() {
        await run.services.close().catch(() => {});
        await server.close();
        made.cleanup();
        madeRepo.cleanup();
      },
    };
    return run;
  } catch (error) {
    await server.close();
    agent?.cleanup();
    repo?.cleanup();
    throw error;
  }
}

/** The agent's screen as text. */
export function screenOf(run: TowerRun, id: string): string {
  return run.services.sessions.get(id)?.text().join("\n") ?? "(no session)";
}

/** Waits until the agent's screen has a line matching `pattern`. */
export async function screenShowsLine(
  run: TowerRun,
  id: string,
  pattern: RegExp,
  timeoutMs = 90_000,
): Promise<void> {
  await waitFor(
    () =>
      run.services.sessions
        .get(id)
        ?.text()
        .some((row) => pattern.test(row))
        ? true
        : undefined,
    timeoutMs,
    () => `${pattern} on ${id}'s screen:\n${screenOf(run, id)}`,
  ).catch((error: unknown) => {
    throw new Error(
      `${(error as Error).message}\nscreen now:\n${screenOf(run, id)}\nrequests:\n${run.server.describeRequests()}`,
    );
  });
}

/** Waits for the agent's status in the store. */
export async function statusIs(
  run: TowerRun,
  id: string,
  status: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    () => (run.store.getState().agents[id]?.status === status ? true : undefined),
    timeoutMs,
    `${id} to be ${status} (is ${run.store.getState().agents[id]?.status}); screen:\n${screenOf(run, id)}`,
  );
}

/**
 * The agent's call of Tower's `lock` on `file` (task "by MCP") was answered as taken, and the
 * lock is in the shared state, held by A1; the model endpoint saw nothing it did not expect.
 */
export async function expectLockedByMcp(run: TowerRun, file: string): Promise<void> {
  const results = run.server.requests.flatMap((q) => toolResults(q));
  expect(JSON.stringify(results)).toContain(`locked ${file} until`);
  const locks = JSON.parse((await tower(run.repo.root, ["locks", "--json"])).stdout) as {
    path: string;
    agent: string;
    task: string;
  }[];
  expect(locks).toContainEqual(
    expect.objectContaining({ path: file, agent: "A1", task: "by MCP" }),
  );
  expect(run.server.errors).toEqual([]);
}

/** `agent` (of another stream of the plan) holds `file`, taken with `tower lock` for `task`. */
export async function holdFile(repo: TempRepo, file: string, agent: string, task: string) {
  const locked = await tower(repo.root, ["lock", file, "--agent", agent, "--task", task]);
  expect(locked.code, locked.stderr).toBe(0);
}

/** Waits until the room's store (the Locks tab) shows `file` locked by `agent`. */
export async function roomShowsLock(run: TowerRun, file: string, agent: string): Promise<void> {
  await waitFor(
    () =>
      run.store.getState().locks.some((l) => l.path === file && l.agent === agent)
        ? true
        : undefined,
    20_000,
    `${agent}'s lock on ${file} in the Locks tab`,
  );
}

/**
 * Answers `agent`'s prompt with Tower's approve key whenever it waits, until `file` holds
 * `content` (a key sent while the CLI still draws its question can be lost, so it is sent again
 * while the agent still waits). On time-out, says what the agent's screen shows.
 */
export async function approveUntilWritten(
  run: TowerRun,
  agent: string,
  file: string,
  content: string,
): Promise<void> {
  for (let i = 0; i < 10 && !existsSync(file); i++) {
    if (run.store.getState().agents[agent]?.status === "waiting")
      run.services.sessions.approve(agent);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }
  await waitForContent(file, content, 30_000).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${agent}'s screen:\n${screenOf(run, agent)}`);
  });
}

/** The snapshot of stream `stream`'s worktree that holds `file`, once the room has taken one. */
export function snapshotHolding(run: TowerRun, file: string, stream = "A"): Promise<Snapshot> {
  return waitFor(
    async () => (await listSnapshots(run.repo.root, stream)).find((s) => s.files.includes(file)),
    20_000,
    `a snapshot holding ${file}`,
  );
}
