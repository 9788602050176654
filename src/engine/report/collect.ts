/**
 * Reads what the run report is made of: the state files (activity log, orchestrator state,
 * checkpoints, tasks, handoffs, agents, conflict warnings) and git (each stream's commits and
 * changed files), then builds it.
 */
import { git, lines } from "../git/index.js";
import type { Project } from "../project.js";
import { formatJsonlWarning } from "../state/jsonl.js";
import { buildRunReport, type GitFacts } from "./build.js";
import type { RunReport } from "./types.js";

const count = async (cwd: string, args: string[]): Promise<number | null> => {
  try {
    return lines(await git(cwd, args)).length;
  } catch {
    return null;
  }
};

/** Commits and files of a merged stream: what its merge commit brought in (its second parent's side). */
async function mergedFacts(cwd: string, commit: string): Promise<GitFacts | undefined> {
  let parents: string[];
  try {
    parents = (await git(cwd, ["rev-list", "--parents", "-n", "1", commit])).trim().split(/\s+/);
  } catch {
    return undefined;
  }
  if (parents.length !== 3) return undefined;
  const [, first, second] = parents as [string, string, string];
  return {
    commits: await count(cwd, ["rev-list", `${first}..${second}`]),
    files: await count(cwd, ["diff", "--name-only", first, commit, "--"]),
  };
}

/** Commits and files of a stream's branch against the base, while it is not merged. */
async function branchFacts(cwd: string, base: string, branch: string): Promise<GitFacts> {
  return {
    commits: await count(cwd, ["rev-list", `${base}..${branch}`, "--"]),
    files: await count(cwd, ["diff", "--name-only", `${base}...${branch}`, "--"]),
  };
}

export async function collectRunReport(project: Project, now = new Date()): Promise<RunReport> {
  const { plan, store, repo, base, seal } = project;
  const [activity, orchestrator, checkpoints, tasks, handoffs, agents, conflicts] =
    await Promise.all([
      store.readActivity(),
      store.read("orchestrator"),
      store.read("checkpoints"),
      store.read("tasks"),
      store.read("handoffs"),
      store.read("agents"),
      store.readConflictWarnings(),
    ]);
  const facts: Record<string, GitFacts> = {};
  for (const stream of plan.streams) {
    const recorded = orchestrator.streams[stream.id];
    const commit = recorded?.["merge_commit"];
    const merged =
      recorded?.status === "merged" && typeof commit === "string"
        ? await mergedFacts(repo.mainRoot, commit)
        : undefined;
    if (merged) facts[stream.id] = merged;
    else if (recorded?.branch && base) {
      facts[stream.id] = await branchFacts(repo.mainRoot, base, recorded.branch);
    }
  }
  return buildRunReport({
    plan,
    base: base ?? null,
    activity: activity.entries,
    orchestrator,
    checkpoints,
    tasks,
    handoffs,
    agents,
    conflictWarnings: conflicts.entries,
    git: facts,
    seal,
    now,
    warnings: [...activity.warnings, ...conflicts.warnings].map(formatJsonlWarning),
  });
}
