/**
 * `tower start`: a stream whose dependencies are done gets its branch (from the base branch) and
 * its worktree, the link to the shared state, and its record in orchestrator_state.json.
 */
import { existsSync } from "node:fs";
import { baseCommit } from "../base.js";
import { RefusedError } from "../errors.js";
import { branchExists, checkOutSubmodules, createWorktree, findWorktree } from "../git/index.js";
import { branchName, worktreePath } from "../naming.js";
import { startability } from "../plan/index.js";
import type { Project } from "../project.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { requireOwnStateDir } from "../state-place.js";
import { copyIncluded } from "../worktree-include.js";
import { linkStateDir } from "./link.js";
import { notLinkedWorktree, recordedWorktree, worktreeRefusal } from "./stream-worktree.js";
import { findStream, streamStatuses } from "./streams.js";

export interface StartResult {
  id: string;
  branch: string;
  worktree: string;
  /** True when the worktree already existed and was reused. */
  reused: boolean;
  /** The files copied into a new worktree (`.worktreeinclude`). */
  copied: string[];
  warnings: string[];
}

async function requireBase(project: Project): Promise<string> {
  await baseCommit(project.repo.mainRoot, project.base);
  return project.base!;
}

/**
 * Starts one stream; refuses (RefusedError) while a dependency is not completed or merged.
 * `prepare` runs on the worktree once it is there and before the start is recorded (Tower's
 * pre-commit guard): a start killed in between leaves a worktree the next start reuses, never
 * a stream recorded as started without it. What it returns is a warning.
 */
export async function startStream(
  project: Project,
  id: string,
  now = new Date(),
  prepare?: (worktree: string) => Promise<string | undefined>,
): Promise<StartResult> {
  const { plan, store, repo } = project;
  const stream = findStream(plan, id);
  const state = await store.read("orchestrator");
  const recorded = state.streams[id];
  const status = recorded?.status ?? "pending";
  if (status === "merged")
    throw new RefusedError(`${id} is already merged: there is nothing to start`);
  if (status === "completed") {
    throw new RefusedError(
      `${id} is completed and waits to be merged: merge it with \`tower merge ${id}\``,
    );
  }
  if (status === "pending") {
    const start = startability(plan, streamStatuses(plan, state)).find((s) => s.id === id);
    if (start && !start.canStart) throw new RefusedError(start.reason ?? `${id} cannot start yet`);
  }
  // Before anything is made: a state_dir that holds the repository's files would have git
  // ignore new files there (the exclude entry), in this worktree too.
  await requireOwnStateDir(plan, repo.mainRoot);
  const base = await requireBase(project);
  const branch = recorded?.branch ?? branchName(plan, stream);
  // The recorded worktree (from the main worktree's root, as Tower wrote it) is taken only when
  // it is one of the repository's linked worktrees, or the place Tower gives the stream: the
  // guard goes in it and agents run there (stream-worktree.ts).
  const own = worktreePath(plan, stream);
  const worktree = recorded?.worktree ? recordedWorktree(project, recorded.worktree) : own;
  const existing = await findWorktree(repo.mainRoot, worktree);
  const why = await notLinkedWorktree(project, worktree);
  if (why !== undefined && (existing !== undefined || worktree !== own)) {
    if (existing !== undefined && why === "does not exist") {
      throw new RefusedError(
        `${worktree} is registered as a worktree of this repository, but its folder is gone (see \`git worktree list\`): Tower does not make it again over git's record`,
      );
    }
    if (recorded?.worktree) throw worktreeRefusal(project, id, recorded.worktree, why);
    throw new RefusedError(
      `${worktree}, where Tower puts ${id}'s worktree, ${why}: set \`worktrees:\` in streams.yaml to another folder`,
    );
  }
  let reused = false;
  if (existing) {
    if (existing.branch !== branch) {
      throw new RefusedError(
        `${worktree} is a worktree on ${existing.branch ? `branch ${existing.branch}` : "a detached HEAD"}, not ${branch}: ` +
          "move it, or check out the stream's branch there",
      );
    }
    reused = true;
  } else if (existsSync(worktree)) {
    throw new RefusedError(
      `${worktree} already exists and is not a worktree of this repository: move it, or set \`worktrees:\` in streams.yaml`,
    );
  } else if (await branchExists(repo.mainRoot, branch)) {
    if (recorded?.branch !== branch) {
      throw new RefusedError(
        `branch ${branch} already exists and was not made by Tower for ${id}: rename it, or set \`branch_prefix:\` in streams.yaml`,
      );
    }
    await createWorktree(repo.mainRoot, worktree, branch, { newBranch: false });
  } else {
    await createWorktree(repo.mainRoot, worktree, branch, { newBranch: true, base });
  }
  const warnings: string[] = [];
  const copied: string[] = [];
  // A new worktree has the branch's tracked files only: the agent gets the submodules the main
  // worktree has, and the ignored files `.worktreeinclude` names.
  if (!reused) {
    const submodules = await checkOutSubmodules(worktree);
    if (submodules) warnings.push(submodules);
    const included = await copyIncluded(repo.mainRoot, worktree);
    copied.push(...included.copied);
    warnings.push(...included.warnings);
  }
  const linkWarning = await linkStateDir(repo.mainRoot, worktree, store.dir, plan.stateDir);
  if (linkWarning) warnings.push(linkWarning);
  const prepared = await prepare?.(worktree);
  if (prepared) warnings.push(prepared);

  await store.update(
    "orchestrator",
    (file) => {
      const previous = file.streams[id];
      file.streams[id] = {
        ...previous,
        status: "in_progress",
        started_at: previous?.started_at ?? toUtcIso(now),
        worktree,
        branch,
        agents: stream.agents.map((a) => a.id),
      };
      return previous?.status === "in_progress";
    },
    // Logged once the start is stored, never before (a Tower killed between the two would
    // leave a line about a start that did not happen). Starting a stream that is in progress
    // already only makes sure its worktree is there.
    async (again) => {
      if (again) return;
      await store.appendActivity(
        { agent: TOWER_AGENT, stream: id, action: "started", branch, worktree, reused, base },
        now,
      );
    },
  );
  return { id, branch, worktree, reused, copied, warnings };
}
