/**
 * What `tower check` finds in the run itself, beyond the shapes of the files: each finding is a
 * problem (something is wrong or unsafe now: check exits non-zero) or a note (worth knowing,
 * nothing to fix). Nothing here changes anything.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import {
  claudeCommandOptions,
  claudeCommandSettings,
  inlineSettings,
} from "../../agents/claude-command.js";
import {
  claudeManagedFiles,
  claudeManagedHooksOff,
  claudeModeOff,
  claudePolicyFiles,
} from "../../agents/claude-hooks-off.js";
import {
  codexCommandLayer,
  codexHooksOff,
  codexLayers,
  codexRequirements,
} from "../../agents/codex-config.js";
import { userGeminiHome } from "../../agents/gemini-home.js";
import {
  geminiSystemProblems,
  geminiTrust,
  geminiWorkspaceProblems,
} from "../../agents/gemini-workspace.js";
import { guardState } from "../../agents/guard.js";
import { agentCli } from "../../agents/launch.js";
import { checkpointViews } from "../../engine/checkpoints.js";
import { RefusedError } from "../../engine/errors.js";
import { checkedOutSubmodules } from "../../engine/git/index.js";
import { orphanedStreams } from "../../engine/orchestrator/orphans.js";
import { pendingMerges } from "../../engine/orchestrator/pending.js";
import { streamStatuses } from "../../engine/orchestrator/streams.js";
import { plural } from "../../engine/plural.js";
import type { Project } from "../../engine/project.js";
import {
  type AgentsFile,
  type CheckpointsFile,
  type OrchestratorFile,
  STATE_FILES,
  StateFileError,
} from "../../engine/state/index.js";
import { trustState, untrustedMessage } from "../../engine/trust.js";
import { findAgentProcess } from "../../pty/leftovers.js";

export interface Findings {
  problems: string[];
  notes: string[];
}

/** Reads a state file, or undefined when it is damaged (the file check reports that already). */
async function readOrSkip<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof StateFileError) return undefined;
    throw error;
  }
}

/** Streams started and not merged that streams.yaml no longer has: their work is still there. */
function orphanProblems(
  project: Project,
  state: OrchestratorFile,
  agents: AgentsFile | undefined,
): string[] {
  const file = project.store.path(STATE_FILES.orchestrator);
  return orphanedStreams(project.plan, state).map((orphan) => {
    const running = orphan.agents.filter((id) => {
      const pid = agents?.agents[id]?.pid;
      return typeof pid === "number" && findAgentProcess(pid, id, project.repo.mainRoot);
    });
    const worktree = orphan.worktree
      ? path.resolve(project.repo.mainRoot, orphan.worktree)
      : undefined;
    const remains = [
      worktree && `its worktree ${worktree}${existsSync(worktree) ? "" : " (missing)"}`,
      orphan.branch && `branch ${orphan.branch}`,
    ].filter(Boolean);
    const agentsText = orphan.agents.length
      ? `; its agents ${orphan.agents.join(", ")} ${
          running.length === 0
            ? "are not running"
            : running.length === orphan.agents.length
              ? "are still running"
              : `(${running.join(", ")} still running)`
        }`
      : "";
    const stop = running.length
      ? `stop ${running.length === 1 ? "it" : "them"} in the control room, `
      : "";
    return (
      `orphaned stream ${orphan.id}: it is ${orphan.status} in ${file} but streams.yaml no longer has it, so Tower can neither complete nor merge it` +
      `${remains.length ? `; ${remains.join(" and ")} remain` : ""}${agentsText}. ` +
      `Put ${orphan.id} back in streams.yaml to carry on with it, or ${stop}merge or keep its branch with git yourself` +
      `${worktree ? ` and remove its worktree with \`git worktree remove ${worktree}\`` : ""}, then delete its entry from ${file}. Tower deletes nothing of it`
    );
  });
}

/** Stream worktrees in use whose commits do not meet Tower's pre-commit guard. */
async function guardFindings(project: Project, state: OrchestratorFile): Promise<Findings> {
  const findings: Findings = { problems: [], notes: [] };
  for (const stream of project.plan.streams) {
    const entry = state.streams[stream.id];
    if (!entry?.worktree || (entry.status !== "in_progress" && entry.status !== "merge_failed"))
      continue;
    const worktree = path.resolve(project.repo.mainRoot, entry.worktree);
    if (!existsSync(worktree)) continue;
    const guard = await guardState(project.store, worktree);
    const where = `${worktree}, the worktree of stream ${stream.id}`;
    if (guard.kind === "missing") {
      findings.problems.push(
        `Tower's pre-commit guard is not installed in ${where}: its commits are not checked against other agents' locks and its scope. Run \`tower start ${stream.id}\` to install it again (the stream and its work stay as they are)`,
      );
    } else if (guard.kind === "other") {
      findings.notes.push(
        `${where}, sets its own core.hooksPath (${guard.folder}), so Tower's pre-commit guard is not installed there`,
      );
    }
  }
  return findings;
}

/**
 * Stream worktrees in use without submodules the main worktree has checked out (a start where
 * git could not fetch them): their agents work without them.
 */
async function submoduleNotes(project: Project, state: OrchestratorFile): Promise<string[]> {
  const { mainRoot } = project.repo;
  const main = await checkedOutSubmodules(mainRoot, { recursive: false }).catch((): string[] => []);
  if (main.length === 0) return [];
  const notes: string[] = [];
  for (const stream of project.plan.streams) {
    const entry = state.streams[stream.id];
    if (!entry?.worktree || (entry.status !== "in_progress" && entry.status !== "merge_failed"))
      continue;
    const worktree = path.resolve(mainRoot, entry.worktree);
    if (!existsSync(worktree)) continue;
    const own = await checkedOutSubmodules(worktree, { recursive: false }).catch(() => main);
    const missing = main.filter((sub) => !own.includes(sub));
    if (missing.length > 0)
      notes.push(
        `${worktree}, the worktree of stream ${stream.id}, has not checked out ${plural(missing.length, "submodule")} the main worktree has (${missing.join(", ")}): its agents work without ${missing.length === 1 ? "it" : "them"}. Run \`git submodule update --init --recursive\` there`,
      );
  }
  return notes;
}

/** The plan's agents that run `cli`. */
const agentsOf = (project: Project, cli: string) =>
  project.plan.streams
    .flatMap((stream) => stream.agents)
    .filter((agent) => agentCli(agent.command) === cli);

/**
 * Stream worktrees in use whose own Gemini settings (`.gemini/settings.json`) would switch
 * Tower's hooks off for the stream's Gemini CLI agents, or that Gemini would not trust (then it
 * runs no hook): Tower does not start them there.
 */
async function geminiProblems(project: Project, state: OrchestratorFile): Promise<string[]> {
  const problems: string[] = [];
  // An administrator's system settings, over every agent's.
  const geminiAgents = agentsOf(project, "gemini").map((agent) => agent.id);
  const system = geminiAgents.length > 0 ? await geminiSystemProblems(process.env) : [];
  if (system.length > 0)
    problems.push(
      `${system.map((p) => p.text).join("; ")}. Tower does not start the Gemini CLI ${geminiAgents.length === 1 ? "agent" : "agents"} ${geminiAgents.join(", ")} while it does`,
    );
  for (const stream of project.plan.streams) {
    const entry = state.streams[stream.id];
    if (!entry?.worktree || (entry.status !== "in_progress" && entry.status !== "merge_failed"))
      continue;
    const agents = stream.agents.filter((agent) => agentCli(agent.command) === "gemini");
    if (agents.length === 0) continue;
    const worktree = path.resolve(project.repo.mainRoot, entry.worktree);
    const found = await geminiWorkspaceProblems(worktree);
    const who = agents.map((agent) => agent.id).join(", ");
    const whose = `stream ${stream.id}'s Gemini CLI ${agents.length === 1 ? "agent" : "agents"} (${who})`;
    if (found.length > 0) {
      problems.push(
        `${found.map((p) => p.text).join("; ")}. Tower does not start ${whose} in its worktree while it does: change the file (commit the change if the repository commits it; Tower changes none of its files)`,
      );
    }
    // Its trust, as Gemini would decide it with your Gemini home and this environment.
    const trust = await geminiTrust(worktree, project.repo.mainRoot, userGeminiHome(), process.env);
    if (trust.problem)
      problems.push(`${trust.problem}. Tower does not start ${whose} in it while it does`);
  }
  return problems;
}

/**
 * Claude Code agents of the plan for which Claude Code would run none of Tower's hooks (its
 * minimal or safe mode by the plan's command or this environment, an administrator's managed
 * settings): Tower does not start them.
 */
async function claudeProblems(project: Project, state: OrchestratorFile): Promise<string[]> {
  const byReason = new Map<string, string[]>();
  const claude = agentsOf(project, "claude");
  // The managed settings are every agent's: read once.
  const managed =
    claude.length > 0
      ? await claudeManagedHooksOff(await claudePolicyFiles(process.env, claudeManagedFiles()))
      : undefined;
  for (const agent of claude) {
    const reason = claudeModeOff(agent.command, process.env) ?? managed;
    if (reason) byReason.set(reason, [...(byReason.get(reason) ?? []), agent.id]);
  }
  const problems = [...byReason].map(
    ([reason, ids]) =>
      `${reason}: Claude Code would run none of Tower's hooks (locks, scope, status), so Tower does not start the Claude Code ${ids.length === 1 ? "agent" : "agents"} ${ids.join(", ")} while it does`,
  );
  // The plan's own --settings, which Tower reads to give with its own (claude-command.ts): as
  // JSON, or a file of the stream's worktree where it has one.
  for (const stream of project.plan.streams) {
    const entry = state.streams[stream.id];
    const worktree = entry?.worktree
      ? path.resolve(project.repo.mainRoot, entry.worktree)
      : undefined;
    for (const agent of stream.agents) {
      if (agentCli(agent.command) !== "claude") continue;
      const { settings } = claudeCommandOptions(agent.command);
      if (settings === undefined) continue;
      if (!inlineSettings(settings) && (worktree === undefined || !existsSync(worktree))) continue;
      try {
        await claudeCommandSettings(settings, worktree ?? project.repo.mainRoot);
      } catch (error) {
        if (!(error instanceof RefusedError)) throw error;
        problems.push(`${agent.id}: ${error.message} (Tower does not start it while it does)`);
      }
    }
  }
  return problems;
}

/**
 * Codex agents of the plan for which Codex would run none of Tower's hooks (an administrator's
 * managed configuration or requirements, the same for every agent, or the agent's own command's
 * `-c`): Tower does not start them.
 */
async function codexProblems(project: Project): Promise<string[]> {
  const codex = agentsOf(project, "codex");
  if (codex.length === 0) return [];
  const root = project.repo.mainRoot;
  const managed = (await codexLayers(root, root, process.env)).filter((l) => l.kind === "managed");
  const requirements = await codexRequirements();
  const byReason = new Map<string, { remedy: string; ids: string[] }>();
  for (const agent of codex) {
    const off = codexHooksOff([...codexCommandLayer(agent.command), ...managed], requirements);
    if (!off) continue;
    const found = byReason.get(off.reason) ?? { remedy: off.remedy, ids: [] };
    found.ids.push(agent.id);
    byReason.set(off.reason, found);
  }
  return [...byReason].map(
    ([reason, { remedy, ids }]) =>
      `${reason}: Codex would run none of Tower's hooks (locks, scope), so Tower does not start the Codex ${ids.length === 1 ? "agent" : "agents"} ${ids.join(", ")} while it does. ${remedy}`,
  );
}

/** Recorded passes that do not bear Tower's seal: an agent or a hand edit wrote them. */
function forgedProblems(
  project: Project,
  state: OrchestratorFile,
  checkpoints: CheckpointsFile,
): string[] {
  const views = checkpointViews(
    project.plan,
    checkpoints,
    project.seal,
    streamStatuses(project.plan, state),
  );
  return views
    .filter((view) => view.status === "forged")
    .map((view) => {
      const entry = checkpoints.checkpoints[view.id];
      const again =
        view.kind === "approval"
          ? `approve it with \`tower approve ${view.id}\``
          : `run it with \`tower ${view.criteria.length ? "gate" : "checkpoint"} run ${view.id}\``;
      return `checkpoint ${view.id} is recorded as ${entry?.status ?? "passed"}${entry?.by ? ` by ${entry.by}` : ""} in ${STATE_FILES.checkpoints}, but not by Tower: forged (it bears no seal of this machine), so it passes nothing. If it should pass, ${again}`;
    });
}

/**
 * Everything check reports of the run: orphans, guards, Gemini, Claude Code and Codex settings
 * that would switch Tower's hooks off, pending merges, forged passes, trust.
 */
export async function runFindings(project: Project): Promise<Findings> {
  const { store } = project;
  const findings: Findings = { problems: [], notes: [] };
  const state = await readOrSkip(() => store.read("orchestrator"));
  const agents = await readOrSkip(() => store.read("agents"));
  const checkpoints = await readOrSkip(() => store.read("checkpoints"));
  if (state) {
    findings.problems.push(...orphanProblems(project, state, agents));
    const guards = await guardFindings(project, state);
    findings.problems.push(...guards.problems);
    findings.notes.push(...guards.notes);
    findings.notes.push(...(await submoduleNotes(project, state)));
    findings.problems.push(...(await geminiProblems(project, state)));
    findings.problems.push(...(await claudeProblems(project, state)));
    findings.problems.push(...(await codexProblems(project)));
    for (const pending of await pendingMerges(project)) {
      if (pending.running) findings.notes.push(pending.message);
      else
        findings.problems.push(
          `${pending.message}. Run \`tower merge ${pending.id}\` to settle it`,
        );
    }
    if (checkpoints) findings.problems.push(...forgedProblems(project, state, checkpoints));
  }
  const trust = await trustState(project.plan);
  if (!trust.trusted) {
    const [sentence] = untrustedMessage(project.plan, trust).split("\n");
    findings.notes.push(
      `${sentence} (${plural(trust.changes.length, "command")} to review; nothing is wrong with the plan)`,
    );
  }
  return findings;
}
