/**
 * How the room starts each agent: the plan's command, plus what Tower gives the real agent CLIs
 * (src/agents/launch.ts) and the conversation to continue.
 *
 * Resume only what exists, exactly that conversation, and without sending the task again:
 * - Claude Code and Gemini CLI are started with a session id Tower chooses (`--session-id`),
 *   recorded in agents.json (Claude's SessionStart hook confirms it with the transcript's path);
 *   reopening resumes that session (`--resume <id>`) when its transcript exists, and starts
 *   afresh on the task otherwise. Never `--continue`, which exits ("No conversation found to
 *   continue") in a worktree that has none.
 * - Codex names its own session, and tells it: its SessionStart hook (at its first prompt)
 *   records the id in agents.json (agents/hook.ts). A Codex without that event is found in its
 *   session files instead (the newest one begun in the agent's worktree after the agent started
 *   whose first records, Tower's briefing, name the agent; a session naming no agent may be
 *   anyone's, such as a Codex run by hand there) and claimed where no other agent holds it.
 *   Reopening runs `codex resume <id>`.
 * - Other programs get their preset's resume arguments, if any.
 */
import { randomUUID } from "node:crypto";
import { existsSync, promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { briefing } from "../agents/briefing.js";
import { userGeminiHome } from "../agents/gemini-home.js";
import { guardEnvironment, installGuard } from "../agents/guard.js";
import type { AgentIdentity } from "../agents/identity.js";
import {
  type AgentCli,
  type AgentLaunch,
  agentCli,
  appendArgs,
  choosesSession,
  claudeLaunch,
  codexLaunch,
  geminiHomeFolder,
  geminiLaunch,
  insertArgs,
} from "../agents/launch.js";
import { recordAnnouncement } from "../engine/announce.js";
import { notLinkedWorktree, worktreeRefusal } from "../engine/orchestrator/stream-worktree.js";
import { type AgentCommand, type AgentSpec, withoutTask } from "../engine/plan/index.js";
import type { Project } from "../engine/project.js";
import { toUtcIso } from "../engine/state/time.js";
import { inferPreset, type Launch, withResume } from "../pty/index.js";

export interface LaunchOptions {
  /** Continue the agent's previous conversation, where there is one. */
  resume: boolean;
  /** How to run `tower` (for the hooks, the guard and the MCP server). */
  tower: readonly string[];
  /** The agent's environment (where its CLI keeps its sessions: HOME, CODEX_HOME). */
  env?: NodeJS.ProcessEnv;
  /** The room's hook endpoint, for `tower hook` to ask. */
  hookSocket?: string;
}

const homeOf = (env: NodeJS.ProcessEnv | undefined) => env?.HOME ?? os.homedir();

/** Whether the CLI still has the session `id` that was begun in `worktree`. */
async function sessionExists(
  cli: AgentCli,
  id: string,
  worktree: string,
  recorded: { transcript_path?: unknown },
  env: NodeJS.ProcessEnv | undefined,
  geminiHome: string,
): Promise<boolean> {
  const home = homeOf(env);
  if (cli === "claude") {
    const transcript =
      typeof recorded.transcript_path === "string"
        ? recorded.transcript_path
        : path.join(
            home,
            ".claude",
            "projects",
            path.resolve(worktree).replace(/[^A-Za-z0-9]/g, "-"),
            `${id}.jsonl`,
          );
    return existsSync(transcript);
  }
  if (cli === "gemini") {
    // <home>/.gemini/tmp/<project>/chats/session-<time>-<first 8 of the id>.jsonl, in the home
    // Tower gave it (where tmp/ is the user's own when they had one) or the user's.
    for (const dir of [geminiHome, userGeminiHome(env)]) {
      const tmp = path.join(dir, ".gemini", "tmp");
      const projects = await fsp.readdir(tmp).catch(() => [] as string[]);
      for (const project of projects) {
        const chats = await fsp
          .readdir(path.join(tmp, project, "chats"))
          .catch(() => [] as string[]);
        if (chats.some((file) => file.startsWith("session-") && file.includes(id.slice(0, 8))))
          return true;
      }
    }
    return false;
  }
  return (await codexSessionFile(id, env)) !== undefined;
}

/** What agents.json records of the agent's session (its hooks wrote it). */
async function recordedAgent(
  project: Project,
  agent: string,
): Promise<{ session_id?: unknown; transcript_path?: unknown } | undefined> {
  return (await project.store.read("agents")).agents[agent] as
    | { session_id?: unknown; transcript_path?: unknown }
    | undefined;
}

/**
 * The file where the agent's CLI keeps its conversation, as its hooks recorded it (undefined:
 * none recorded). A stop waits for it to settle (src/room/settle.ts).
 */
export async function recordedTranscript(
  project: Project,
  agent: string,
): Promise<string | undefined> {
  try {
    const entry = await recordedAgent(project, agent);
    return typeof entry?.transcript_path === "string" ? entry.transcript_path : undefined;
  } catch {
    return undefined; // A broken agents.json is the state watcher's to report.
  }
}

/** The agent's recorded session id, if its CLI still has it. */
async function resumableSession(
  project: Project,
  cli: AgentCli,
  agent: string,
  worktree: string,
  env: NodeJS.ProcessEnv | undefined,
): Promise<string | undefined> {
  const entry = await recordedAgent(project, agent);
  const id = typeof entry?.session_id === "string" ? entry.session_id : undefined;
  if (!id || !entry) return undefined;
  const geminiHome = geminiHomeFolder(project.store, agent);
  return (await sessionExists(cli, id, worktree, entry, env, geminiHome)) ? id : undefined;
}

/**
 * The command and environment to start `spec` with now in `worktree`, which must be one of the
 * repository's linked worktrees (a RefusedError naming the state file and the stream otherwise).
 */
export async function planLaunch(
  project: Project,
  spec: AgentSpec,
  command: AgentCommand,
  worktree: string,
  options: LaunchOptions,
): Promise<Launch> {
  const identity: AgentIdentity = {
    agent: spec.id,
    stream: spec.stream,
    worktree,
    repoRoot: project.repo.mainRoot,
    stateDir: project.store.dir,
    task: spec.task,
  };
  // Only in one of the repository's linked worktrees, whatever the state file records: the
  // agent would work there, and the guard writes that worktree's git configuration.
  const notLinked = await notLinkedWorktree(project, worktree);
  if (notLinked !== undefined) throw worktreeRefusal(project, spec.stream, worktree, notLinked);
  // Every agent's commits meet the guard, whatever its CLI, in whichever worktree it commits.
  const guard = await installGuard(project.store, project.repo.mainRoot, worktree, options.tower);
  const guarded = guard.kind === "installed" ? guardEnvironment(guard.folder, options.env) : {};
  const launch = await launchFor(project, spec, command, identity, options, guarded);
  return { ...launch, env: { ...launch.env, ...guarded } };
}

async function launchFor(
  project: Project,
  spec: AgentSpec,
  command: AgentCommand,
  identity: AgentIdentity,
  options: LaunchOptions,
  shellEnv: Record<string, string>,
): Promise<Launch> {
  const { worktree } = identity;
  const cli = agentCli(command);
  if (cli === undefined || choosesSession(command)) {
    if (options.resume) return { command: withResume(command, inferPreset(command, spec.preset)) };
    return { command };
  }
  const previous = options.resume
    ? await resumableSession(project, cli, spec.id, worktree, options.env)
    : undefined;
  const sessionId = previous ?? (cli === "codex" ? "" : randomUUID());
  const request = {
    identity,
    store: project.store,
    tower: options.tower,
    briefing: await briefing(project.plan, project.store, identity, { mcp: true }),
    session: { id: sessionId, resume: previous !== undefined },
    env: options.env,
    shellEnv,
    command,
  };
  if (!previous && sessionId) {
    await recordAnnouncement(project.store, spec.id, spec.stream, { event: "launch", sessionId });
  }
  const base = previous ? withoutTask(command) : command;
  // The briefing with the task where the CLI's own instructions would leave it out (a resumed
  // conversation has had it).
  const briefedTask = (launch: AgentLaunch) =>
    !previous && launch.briefInPrompt
      ? { task: `${request.briefing}\n\nYour task: ${spec.task}` }
      : {};
  if (cli === "claude") {
    const launch = await claudeLaunch(request);
    const env = {
      ...launch.env,
      ...(options.hookSocket && { TOWER_HOOK_SOCKET: options.hookSocket }),
    };
    return { command: appendArgs(base, launch.args), env };
  }
  if (cli === "codex") {
    const launch = await codexLaunch(request);
    const resume = previous ? ["resume", previous] : [];
    return {
      command: appendArgs(insertArgs(base, [...launch.args, ...resume]), launch.argsAfter ?? []),
      env: { ...launch.env, ...(options.hookSocket && { TOWER_HOOK_SOCKET: options.hookSocket }) },
      ...briefedTask(launch),
    };
  }
  const launch = await geminiLaunch(request);
  // Gemini has no flag for extra instructions: the briefing is a context file of Tower's, or,
  // where the worktree's or the administrator's settings name their own, it comes before the task.
  return {
    command: insertArgs(base, launch.args),
    env: { ...launch.env, ...(options.hookSocket && { TOWER_HOOK_SOCKET: options.hookSocket }) },
    ...(launch.unset && { unset: launch.unset }),
    ...briefedTask(launch),
  };
}

/** Codex's session files: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`. */
function codexSessions(env: NodeJS.ProcessEnv | undefined): string {
  return path.join(env?.CODEX_HOME ?? path.join(homeOf(env), ".codex"), "sessions");
}

async function codexSessionFile(
  id: string,
  env: NodeJS.ProcessEnv | undefined,
): Promise<string | undefined> {
  for (const file of await recentCodexSessionFiles(env, 0)) {
    if (file.endsWith(`-${id}.jsonl`)) return file;
  }
  return undefined;
}

/** Codex session files changed since `sinceMs`, newest first (the last two days' folders). */
async function recentCodexSessionFiles(
  env: NodeJS.ProcessEnv | undefined,
  sinceMs: number,
): Promise<string[]> {
  const root = codexSessions(env);
  const found: { file: string; mtime: number }[] = [];
  const years = await fsp.readdir(root).catch(() => [] as string[]);
  for (const year of years.sort().slice(-2)) {
    for (const month of (await fsp.readdir(path.join(root, year)).catch(() => [] as string[]))
      .sort()
      .slice(-2)) {
      for (const day of (
        await fsp.readdir(path.join(root, year, month)).catch(() => [] as string[])
      )
        .sort()
        .slice(-3)) {
        const folder = path.join(root, year, month, day);
        for (const name of await fsp.readdir(folder).catch(() => [] as string[])) {
          if (!name.startsWith("rollout-") || !name.endsWith(".jsonl")) continue;
          const stat = await fsp.stat(path.join(folder, name)).catch(() => undefined);
          if (stat && stat.mtimeMs >= sinceMs)
            found.push({ file: path.join(folder, name), mtime: stat.mtimeMs });
        }
      }
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map((f) => f.file);
}

/** How much of a session file's beginning is read: its `session_meta` and first records. */
const CODEX_HEAD_BYTES = 256 * 1024;

/** A session Codex began in the worktree, and the agent its first records name. */
export interface CodexSessionCandidate {
  id: string;
  /** The agent and stream Tower's briefing (its developer instructions) names. */
  names: { agent: string; stream: string };
}

/** The first `CODEX_HEAD_BYTES` of `file` ("" if unreadable). */
async function readHead(file: string): Promise<string> {
  const handle = await fsp.open(file, "r").catch(() => undefined);
  if (!handle) return "";
  try {
    const buffer = Buffer.alloc(CODEX_HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, CODEX_HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } catch {
    return "";
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * "You are agent <agent> of stream <stream>", the briefing's first words (src/agents/briefing.ts),
 * which Codex keeps among its session's first records (`developer_instructions`).
 */
const BRIEFING_NAMES = /You are agent ([^\s"\\]+) of stream ([^\s"\\,(]+)/;

/**
 * The sessions Codex began in `worktree` since `startedAt` (their `session_meta` timestamp; files
 * written to since `startedAt - 1s`) whose first records name an agent, newest first. A file
 * whose first records are not all written yet is left for a later look.
 */
export async function codexSessionCandidates(
  worktree: string,
  startedAt: number,
  env: NodeJS.ProcessEnv | undefined,
): Promise<CodexSessionCandidate[]> {
  const wanted = path.resolve(worktree);
  const found: CodexSessionCandidate[] = [];
  for (const file of await recentCodexSessionFiles(env, startedAt - 1_000)) {
    const fromName = /-([0-9a-f-]{36})\.jsonl$/.exec(file)?.[1];
    if (!fromName) continue;
    const head = await readHead(file);
    const lines = head.split("\n");
    let meta: {
      timestamp?: unknown;
      payload?: { cwd?: unknown; id?: unknown; timestamp?: unknown };
    };
    try {
      meta = JSON.parse(lines[0] ?? "");
    } catch {
      continue;
    }
    const cwd = meta.payload?.cwd;
    if (typeof cwd !== "string" || path.resolve(cwd) !== wanted) continue;
    const begun = Date.parse(String(meta.payload?.timestamp ?? meta.timestamp ?? ""));
    // Begun before this start: an earlier run's session (still written to, or just stopped).
    if (!Number.isNaN(begun) && begun < startedAt - 1_000) continue;
    // Complete lines only (the last one may be half written).
    const records = lines.slice(1, -1);
    const named = BRIEFING_NAMES.exec(records.join("\n"));
    const id = typeof meta.payload?.id === "string" ? meta.payload.id : fromName;
    if (named?.[1] && named[2]) found.push({ id, names: { agent: named[1], stream: named[2] } });
  }
  return found;
}

/**
 * The session of agent `agent` (of `stream`) begun in `worktree` since `startedAt`, none of
 * `taken`: the newest whose first records name that agent.
 */
export async function findCodexSession(
  worktree: string,
  startedAt: number,
  taken: ReadonlySet<string>,
  env: NodeJS.ProcessEnv | undefined,
  agent: { id: string; stream: string },
): Promise<string | undefined> {
  return (await codexSessionCandidates(worktree, startedAt, env)).find(
    (c) => !taken.has(c.id) && c.names.agent === agent.id && c.names.stream === agent.stream,
  )?.id;
}

type AgentsRecord = Record<string, { session_id?: unknown }>;

/** The session ids agents.json records for agents other than `agent`. */
function othersSessions(agents: AgentsRecord, agent: string): Set<string> {
  return new Set(
    Object.entries(agents)
      .filter(([id]) => id !== agent)
      .map(([, entry]) => entry.session_id)
      .filter((id): id is string => typeof id === "string"),
  );
}

/**
 * After a Codex agent starts afresh: until its SessionStart hook tells the session it begins
 * (the recorded id changes), looks for that session in Codex's files (its first prompt makes
 * the session file, which names the agent) and records its id in agents.json, for `codex resume
 * <id>` next time; for a Codex without that event. The id is claimed in the same agents.json
 * update that checks no other agent holds it and the agent's own word has not come meanwhile.
 * The agent's previously recorded session is not this run's, nor is any session begun before
 * `startedAt`. Gives up after `timeoutMs`, or when `running()` says the agent is gone.
 */
export async function recordCodexSession(
  project: Project,
  spec: AgentSpec,
  worktree: string,
  startedAt: number,
  options: { env?: NodeJS.ProcessEnv; running: () => boolean; timeoutMs?: number },
): Promise<string | undefined> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const agent = { id: spec.id, stream: spec.stream };
  const before = (await project.store.read("agents")).agents as AgentsRecord;
  const previous = before[spec.id]?.session_id;
  while (Date.now() < deadline && options.running()) {
    const agents = (await project.store.read("agents")).agents as AgentsRecord;
    const told = agents[spec.id]?.session_id;
    if (typeof told === "string" && told !== previous) return told;
    const taken = othersSessions(agents, spec.id);
    if (typeof previous === "string") taken.add(previous);
    const id = await findCodexSession(worktree, startedAt, taken, options.env, agent);
    if (id) {
      const at = toUtcIso(new Date());
      const claimed = await project.store.update("agents", (file): string | undefined => {
        // Re-checked where it is written: another agent's loop may have claimed it meanwhile.
        if (othersSessions(file.agents as AgentsRecord, spec.id).has(id)) return undefined;
        // The agent told its session meanwhile (its SessionStart hook): its word stands.
        const told = file.agents[spec.id]?.session_id;
        if (typeof told === "string" && told !== previous) return told;
        const entry = file.agents[spec.id] ?? {
          stream: spec.stream,
          status: "running",
          updated: at,
        };
        entry.session_id = id;
        file.agents[spec.id] = entry;
        return id;
      });
      if (claimed) return claimed;
      continue; // Look again at once, that id now taken.
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return undefined;
}
