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
import { type HookAnswer, type HookRequest, isHookEvent } from "../agents/hook-events.js";
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
): Promise<HookAnswer> {
  const reply = await work(project, request, announce, later);
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
  const result = await handleHook(request.event, request.payload, {
    identity,
    plan: project.plan,
    store: project.store,
    later,
  });
  // After a write the agent's CLI tells of, or its turn, a snapshot of the stream's worktree
  // (git/snapshot.ts).
  if (SNAPSHOT_AFTER.has(request.event))
    setImmediate(() => snapshots(project, identity, request.event));
  const denied =
    (result.output?.hookSpecificOutput as { permissionDecision?: string } | undefined)
      ?.permissionDecision === "deny";
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
 * The events after which the room takes a snapshot of the agent's worktree: a write of a file
 * tool done, and the end of a turn (Claude Code's Stop: what its shell commands wrote, which no
 * hook tells of).
 */
const SNAPSHOT_AFTER = new Set<string>(["PostToolUse", "AfterTool", "Stop"]);

/** The worktrees whose snapshot is being taken, each with the next one asked for meanwhile. */
const snapshotting = new Map<string, { next?: string }>();

/**
 * Takes a snapshot of the agent's stream worktree (one at a time per worktree: one asked for
 * meanwhile is taken after it, once), only when it is the worktree the stream's entry records:
 * a hook's word alone does not send Tower's git into another folder.
 */
function snapshots(
  project: Project,
  identity: { agent: string; stream: string; worktree: string },
  event: string,
): void {
  const message = `after ${identity.agent}'s ${event}`;
  const busy = snapshotting.get(identity.worktree);
  if (busy) {
    busy.next = message;
    return;
  }
  const entry: { next?: string } = {};
  snapshotting.set(identity.worktree, entry);
  const take = async (said: string): Promise<void> => {
    const recorded = (await project.store.read("orchestrator")).streams[identity.stream]?.worktree;
    if (!recorded) return;
    const [own, told] = await Promise.all(
      [path.resolve(project.repo.mainRoot, recorded), identity.worktree].map((p) =>
        fsp.realpath(p).catch(() => undefined),
      ),
    );
    if (own === undefined || own !== told) return;
    await recordSnapshot(own, identity.stream, said);
  };
  const run = async (said: string): Promise<void> => {
    await take(said).catch(() => undefined);
    const next = entry.next;
    entry.next = undefined;
    if (next !== undefined) await run(next);
  };
  void run(message).finally(() => snapshotting.delete(identity.worktree));
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
      answer(project, request, announce, (job) => jobs.push(job))
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
