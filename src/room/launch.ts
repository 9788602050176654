/**
 * How the room starts each agent: the plan's command, plus what Tower gives the real agent CLIs
 * (src/agents/launch.ts) and the conversation to continue.
 *
 * Resume only what exists: Claude Code is started with a session id Tower chooses
 * (`--session-id`), recorded in agents.json (and confirmed by its SessionStart hook with the
 * transcript's path); reopening resumes exactly that session (`--resume <id>`) when its
 * transcript exists, and starts afresh on the task otherwise, never `--continue` (which exits
 * with "No conversation found to continue" in a worktree that has none). A resumed command does
 * not send the task again. Other programs get their preset's resume arguments, if any.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { briefing } from "../agents/briefing.js";
import { installGuard } from "../agents/guard.js";
import type { AgentIdentity } from "../agents/identity.js";
import { agentCli, appendArgs, choosesSession, claudeLaunch } from "../agents/launch.js";
import { recordAnnouncement } from "../engine/announce.js";
import { type AgentCommand, type AgentSpec, withoutTask } from "../engine/plan/index.js";
import type { Project } from "../engine/project.js";
import { inferPreset, type Launch, withResume } from "../pty/index.js";

export interface LaunchOptions {
  /** Continue the agent's previous conversation, where there is one. */
  resume: boolean;
  /** How to run `tower` (for the hooks, the guard and the MCP server). */
  tower: readonly string[];
}

/** Where Claude Code keeps a session's transcript when no hook has told Tower. */
function defaultTranscript(worktree: string, sessionId: string): string {
  const folder = path.resolve(worktree).replace(/[^A-Za-z0-9]/g, "-");
  return path.join(os.homedir(), ".claude", "projects", folder, `${sessionId}.jsonl`);
}

/** The session to resume, if agents.json records one whose transcript still exists. */
async function resumableSession(
  project: Project,
  agent: string,
  worktree: string,
): Promise<string | undefined> {
  const entry = (await project.store.read("agents")).agents[agent] as
    | { session_id?: unknown; transcript_path?: unknown }
    | undefined;
  const id = typeof entry?.session_id === "string" ? entry.session_id : undefined;
  if (!id) return undefined;
  const transcript =
    typeof entry?.transcript_path === "string"
      ? entry.transcript_path
      : defaultTranscript(worktree, id);
  return existsSync(transcript) ? id : undefined;
}

/** The command and environment to start `spec` with now. */
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
  // Every agent's commits meet the guard, whatever its CLI.
  await installGuard(project.store, project.repo.mainRoot, worktree, options.tower);
  const cli = agentCli(command);
  if (cli === "claude" && !choosesSession(command)) {
    const previous = options.resume
      ? await resumableSession(project, spec.id, worktree)
      : undefined;
    const sessionId = previous ?? randomUUID();
    const launch = await claudeLaunch({
      identity,
      store: project.store,
      tower: options.tower,
      briefing: await briefing(project.plan, project.store, identity, { mcp: true }),
      session: { id: sessionId, resume: previous !== undefined },
    });
    if (!previous) {
      await recordAnnouncement(project.store, spec.id, spec.stream, { event: "launch", sessionId });
    }
    return {
      command: appendArgs(previous ? withoutTask(command) : command, launch.args),
      env: launch.env,
    };
  }
  if (options.resume) return { command: withResume(command, inferPreset(command, spec.preset)) };
  return { command };
}
