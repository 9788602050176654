/**
 * The room's endpoint for its agents' hooks: a unix socket in the room's private folder. `tower
 * hook` (started by the agent's CLI for each event) sends the event there, one JSON line, and
 * prints the answer: the room has the plan read and its modules loaded, so a hook costs little
 * more than the start of a small Node process, and the status the event announces reaches the
 * agent's pane at once. When no room answers, `tower hook` does the same work itself.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { announcedStatus, handleHook } from "../agents/hook.js";
import {
  GEMINI_SHELL_TOOL,
  type HookAnswer,
  type HookRequest,
  isHookEvent,
  SHELL_TOOL,
} from "../agents/hook-events.js";
import { recordSnapshot } from "../engine/git/snapshot.js";
import type { Project } from "../engine/project.js";
import { TOWER_AGENT } from "../engine/state/index.js";
import type { AnnouncedStatus } from "../pty/index.js";
import { SocketAtPath } from "./protocol/socket-path.js";
import { socketAnswers } from "./protocol/unix-socket.js";
import { roomDir } from "./runtime-dir.js";

export const HOOK_SOCKET = "hooks.sock";
const MAX_REQUEST = 16 * 1024 * 1024;

export interface HookEndpoint {
  socket: string;
  /** Listens again if the socket's file is gone; says whether it did. */
  ensure(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The room's answer, its warning (if any) recorded in the activity log here: the hook that asked
 * may be the Python forwarder (agents/hook-forward.ts), which only prints it.
 */
async function answer(
  project: Project,
  request: HookRequest,
  announce: (agent: string, status: AnnouncedStatus) => void,
  later: (work: () => Promise<unknown>) => void,
  taken: (stream: string) => void,
): Promise<HookAnswer> {
  const reply = await work(project, request, announce, later, taken);
  if (!reply.warning) return reply;
  const recorded = await project.store
    .appendActivity({
      agent: TOWER_AGENT,
      stream: String(request.agent.stream),
      action: "warning",
      warning: reply.warning,
      hook: String(request.event),
      for_agent: String(request.agent.id),
    })
    .then(
      () => true,
      () => false,
    );
  return { ...reply, recorded };
}

async function work(
  project: Project,
  request: HookRequest,
  announce: (agent: string, status: AnnouncedStatus) => void,
  later: (work: () => Promise<unknown>) => void,
  taken: (stream: string) => void,
): Promise<HookAnswer> {
  const { id, stream: streamId, worktree } = request.agent ?? {};
  if (!isHookEvent(request.event) || !id || !streamId || !worktree) {
    return {
      warning: `a hook for ${id} (stream ${streamId}) that Tower cannot answer: event ${String(request.event)}`,
    };
  }
  // An agent the plan does not have (its stream removed while it runs) is answered as `tower
  // hook` answers it: the other agents' locks bind it (handleHook says what was not checked).
  const stream = project.plan.streams.find((s) => s.id === streamId);
  const spec = stream?.agents.find((a) => a.id === id);
  const identity = {
    agent: id,
    stream: streamId,
    worktree,
    repoRoot: project.repo.mainRoot,
    stateDir: project.store.dir,
    task: spec?.task ?? "",
  };
  // Before a shell command, which may throw away what is uncommitted (git checkout ., git clean)
  // and which the hook's answer holds up: a snapshot taken after the question, waited for.
  // And before each of Codex's requests to the model while a command of its runs on, which its
  // answer holds up: what it typed into a shell it keeps open (write_stdin, which no tool event
  // tells of) may have written.
  const commands = runningCommands(worktree, id, request.event, request.payload);
  const before = snapshotBefore(request.event, request.payload, id, commands);
  const pending =
    before === undefined ? undefined : snapshot(project, identity, `before ${before}`, taken);
  const result = await handleHook(request.event, request.payload, {
    identity,
    plan: project.plan,
    store: project.store,
    later,
  });
  if (pending !== undefined) await Promise.race([pending, delay(SHELL_SNAPSHOT_WAIT_MS)]);
  // After a write the agent's CLI tells of, or its turn, a snapshot of the stream's worktree
  // (git/snapshot.ts).
  if (SNAPSHOT_AFTER.has(request.event))
    setImmediate(() => void snapshot(project, identity, `after ${id}'s ${request.event}`, taken));
  const denied =
    (result.output?.hookSpecificOutput as { permissionDecision?: string } | undefined)
      ?.permissionDecision === "deny";
  // A command refused never runs: it ends here, as a failed one would.
  if (denied) runningCommands(worktree, id, "PostToolUseFailure", request.payload);
  const status =
    request.event === "PreToolUse"
      ? denied
        ? undefined
        : "running"
      : announcedStatus(request.event, request.payload);
  if (status) announce(identity.agent, status);
  return result;
}

/**
 * The events after which the room takes a snapshot of the agent's worktree: a tool done (a file
 * written; a shell command, which Tower's hooks see for Claude Code, Codex and Gemini CLI), one
 * that failed (Claude Code's PostToolUseFailure: a command may have written before it failed),
 * and the end of a turn (Claude Code's Stop: what else its commands wrote meanwhile).
 */
const SNAPSHOT_AFTER = new Set<string>(["PostToolUse", "PostToolUseFailure", "AfterTool", "Stop"]);

/** The agents' shell tools, by the event that comes before they run. */
const SHELL_TOOLS: Readonly<Record<string, string>> = {
  // Claude Code's and Codex's (whose hooks name it as Claude Code's).
  PreToolUse: SHELL_TOOL,
  BeforeTool: GEMINI_SHELL_TOOL,
};

/**
 * What the answer to `event` is held up for a snapshot before, in words (`A1's Bash`, `A1's
 * model request`): a shell command, or a request of Codex's to the model while `running` of its
 * commands run on; else undefined.
 */
function snapshotBefore(
  event: string,
  payload: Record<string, unknown>,
  agent: string,
  running: number,
): string | undefined {
  if (event === "CodexModelRequest") return running > 0 ? `${agent}'s model request` : undefined;
  const tool = SHELL_TOOLS[event];
  return tool !== undefined && payload.tool_name === tool ? `${agent}'s ${tool}` : undefined;
}

/** Per agent (its worktree and id), the shell commands it began that have not ended. */
const running = new Map<string, Set<string>>();

/** The most commands counted as running per agent (one never told ended is dropped at last). */
const MAX_RUNNING = 64;

/**
 * Counts the agent's shell commands that run on (begun by a PreToolUse, ended by a
 * PostToolUse or PostToolUseFailure of the same tool_use_id; Codex sends no PostToolUse while a
 * command it keeps open runs), and says how many there are after `event`.
 */
function runningCommands(
  worktree: string,
  agent: string,
  event: string,
  payload: Record<string, unknown>,
): number {
  const key = `${worktree}\0${agent}`;
  const id = typeof payload.tool_use_id === "string" ? payload.tool_use_id : undefined;
  const set = running.get(key) ?? new Set<string>();
  if (id !== undefined && payload.tool_name === SHELL_TOOL) {
    if (event === "PreToolUse") set.add(id);
    else if (event === "PostToolUse" || event === "PostToolUseFailure") set.delete(id);
  }
  for (const old of set) {
    if (set.size <= MAX_RUNNING) break;
    set.delete(old);
  }
  if (set.size > 0) running.set(key, set);
  else running.delete(key);
  return set.size;
}

/**
 * The longest a shell command (or a request of Codex's to its model) waits for the snapshot
 * before it (a very large worktree): then it goes on, and so does the snapshot, beside it.
 */
export const SHELL_SNAPSHOT_WAIT_MS = 5_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface Queued {
  identity: SnapshotIdentity;
  message: string;
  taken: (stream: string) => void;
  done: Promise<void>;
  resolve: () => void;
}

/**
 * The worktrees whose snapshot is being taken, each with the one asked for meanwhile (taken
 * after it, once, with the last message: it holds everything the askers saw).
 */
const snapshotting = new Map<string, { queued?: Queued }>();

type SnapshotIdentity = { agent: string; stream: string; worktree: string };

/**
 * A snapshot of the agent's stream worktree begun after this call; resolves once it is taken
 * (or found needless, or failed: it never rejects). One at a time per worktree, and only of the
 * worktree the stream's entry records: a hook's word alone does not send Tower's git into
 * another folder.
 */
function snapshot(
  project: Project,
  identity: SnapshotIdentity,
  message: string,
  taken: (stream: string) => void,
): Promise<void> {
  const key = identity.worktree;
  const busy = snapshotting.get(key);
  if (busy === undefined) {
    const lane: { queued?: Queued } = {};
    snapshotting.set(key, lane);
    return takeInLane(project, key, lane, { identity, message, taken });
  }
  if (busy.queued !== undefined) {
    Object.assign(busy.queued, { identity, message, taken });
    return busy.queued.done;
  }
  let resolve = () => {};
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  busy.queued = { identity, message, taken, done, resolve };
  return done;
}

/** Takes one snapshot, then the one queued meanwhile, if any; the lane is gone after the last. */
async function takeInLane(
  project: Project,
  key: string,
  lane: { queued?: Queued },
  ask: Pick<Queued, "identity" | "message" | "taken">,
): Promise<void> {
  try {
    const commit = await takeSnapshot(project, ask.identity, ask.message);
    if (commit !== undefined) ask.taken(ask.identity.stream);
  } catch {
    // No snapshot this time: the next write or command asks again.
  }
  const next = lane.queued;
  lane.queued = undefined;
  if (next === undefined) snapshotting.delete(key);
  else void takeInLane(project, key, lane, next).then(next.resolve);
}

/** The commit of the snapshot taken, if one was (something new, in the recorded worktree). */
async function takeSnapshot(
  project: Project,
  identity: SnapshotIdentity,
  message: string,
): Promise<string | undefined> {
  const recorded = (await project.store.read("orchestrator")).streams[identity.stream]?.worktree;
  if (!recorded) return undefined;
  const [own, told] = await Promise.all(
    [path.resolve(project.repo.mainRoot, recorded), identity.worktree].map((p) =>
      fsp.realpath(p).catch(() => undefined),
    ),
  );
  if (own === undefined || own !== told) return undefined;
  return recordSnapshot(own, identity.stream, message);
}

/**
 * The answer for the Python forwarder (agents/hook-forward.ts), which reads no JSON: "ok" or
 * "failed" (it then runs `tower hook`), the line to print on stdout (the output, as JSON), then
 * the warning for stderr.
 */
export function linesReply(reply: HookAnswer & { failed?: boolean }): string {
  if (reply.failed) return "failed\n";
  const output = reply.output ? JSON.stringify(reply.output) : "";
  return `ok\n${output}\n${reply.warning ?? ""}`;
}

/** Listens on the repository's hook socket; a stale socket of a room that died is replaced. */
export async function startHookEndpoint(
  project: Project,
  announce: (agent: string, status: AnnouncedStatus) => void,
  /** Told of each snapshot the room takes, by its stream. */
  onSnapshot: (stream: string) => void = () => {},
): Promise<HookEndpoint> {
  const socket = path.join(await roomDir(project.repo.mainRoot), HOOK_SOCKET);
  // The writes an answer does not wait for (HookContext.later), one after another in the order
  // of the answers, each started once its answer is on its way.
  let writes: Promise<unknown> = Promise.resolve();
  const server = new SocketAtPath(socket, (connection) => {
    let buffer = "";
    let taken = false;
    const jobs: (() => Promise<unknown>)[] = [];
    const reply = (text: string, done: boolean) => {
      connection.end(text);
      // A room that could not answer leaves the whole work to the hook.
      for (const job of jobs.splice(0)) if (done) writes = writes.then(job).catch(() => {});
    };
    connection.setEncoding("utf8");
    connection.on("error", () => connection.destroy());
    connection.on("data", (chunk: string) => {
      if (taken) return;
      buffer += chunk;
      if (buffer.length > MAX_REQUEST) return connection.destroy();
      const end = buffer.indexOf("\n");
      if (end < 0) return;
      taken = true;
      let request: HookRequest & { reply?: string };
      try {
        request = JSON.parse(buffer.slice(0, end)) as HookRequest & { reply?: string };
        if (typeof request.payload !== "object" || request.payload === null) request.payload = {};
      } catch {
        // Neither client reads this as an answer: each does the work itself.
        return connection.end("failed\n");
      }
      const lines = request.reply === "lines";
      const form = (answer: HookAnswer & { failed?: boolean }) =>
        lines ? linesReply(answer) : `${JSON.stringify(answer)}\n`;
      answer(project, request, announce, (job) => jobs.push(job), onSnapshot)
        .then((answer) => reply(form(answer), true))
        .catch((error: unknown) =>
          reply(form({ warning: `the room: ${(error as Error).message}`, failed: true }), false),
        );
    });
  });
  try {
    await server.listen();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || (await socketAnswers(socket)))
      throw error;
    await fsp.unlink(socket).catch(() => {});
    await server.listen();
  }
  return {
    socket,
    ensure: () => server.ensure(),
    // net.Server's close takes the socket's file with it.
    close: async () => {
      await server.close();
      // The writes of answers given go in before the room is gone.
      await writes;
    },
  };
}
