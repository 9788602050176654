/** Whether a stream may merge now, with every reason it may not. */
import { checkpointViews, isSatisfied } from "../checkpoints.js";
import { RefusedError } from "../errors.js";
import {
  branchExists,
  currentBranch,
  linkedWorktree,
  resolveCommit,
  untrackedInTheWay,
  worktreeChanges,
} from "../git/index.js";
import type { StreamSpec } from "../plan/index.js";
import { firstFive, plural } from "../plural.js";
import type { Project } from "../project.js";
import type { CheckpointsFile, OrchestratorFile } from "../state/formats.js";
import { trustState, untrustedMessage } from "../trust.js";
import { streamStatuses } from "./streams.js";

/** The reasons `stream` cannot merge now; empty when it can. */
export async function mergeBlockers(
  project: Project,
  stream: StreamSpec,
  state: OrchestratorFile,
  checkpoints: CheckpointsFile,
): Promise<string[]> {
  const [own, main, inTheWay, trust] = await Promise.all([
    streamBlockers(project, stream, state, checkpoints),
    mainWorktreeBlockers(project),
    inTheWayBlockers(project, stream.id, state.streams[stream.id]?.branch),
    trustBlockers(project),
  ]);
  return [...own, ...main, ...inTheWay, ...trust];
}

/**
 * Files in the main worktree that git does not track and that merging the stream's branch would
 * overwrite (git/merge-tree.ts untrackedInTheWay): an ignored `.env` git would replace without a
 * word, and an aborted merge or a rollback would then delete.
 */
export async function inTheWayBlockers(
  project: Project,
  id: string,
  branch: string | null | undefined,
): Promise<string[]> {
  const { mainRoot } = project.repo;
  if (!branch || !(await branchExists(mainRoot, branch))) return [];
  const files = await untrackedInTheWay(mainRoot, branch);
  if (files.length === 0) return [];
  return [
    `the merge of ${id} would overwrite ${plural(files.length, "file")} in the main worktree that git does not track (${firstFive(files)}): git replaces an ignored file without asking, and an aborted merge then deletes it; move ${files.length === 1 ? "it" : "them"} out of the way first`,
  ];
}

/** The validation commands run only for a plan the user trusts on this machine. */
export async function trustBlockers(project: Project): Promise<string[]> {
  if (project.plan.validate.length === 0) return [];
  const state = await trustState(project.plan);
  return state.trusted ? [] : [untrustedMessage(project.plan, state)];
}

/** Why no stream can merge into the main worktree now: the base branch, what is checked out, local changes. */
export async function mainWorktreeBlockers(project: Project): Promise<string[]> {
  const { repo, base } = project;
  const blockers: string[] = [];
  if (!base || !(await resolveCommit(repo.mainRoot, base))) {
    blockers.push(`the base branch ${base ?? "(none)"} does not exist`);
  } else {
    const checkedOut = await currentBranch(repo.mainRoot);
    if (checkedOut !== base) {
      blockers.push(
        `the main worktree ${repo.mainRoot} is on ${checkedOut ?? "a detached HEAD"}, not the base branch ${base}: check out ${base} there`,
      );
    }
  }
  const changes = await worktreeChanges(repo.mainRoot);
  if (changes.modified.length > 0) {
    blockers.push(
      `the main worktree has uncommitted changes (${firstFive(changes.modified)}): commit or stash them first`,
    );
  }
  return blockers;
}

/** Why this stream, itself, cannot merge now: its status, dependencies, checkpoints and branch. */
export async function streamBlockers(
  project: Project,
  stream: StreamSpec,
  state: OrchestratorFile,
  checkpoints: CheckpointsFile,
): Promise<string[]> {
  const { plan, repo } = project;
  const id = stream.id;
  const blockers: string[] = [];
  const recorded = state.streams[id];
  const status = recorded?.status ?? "pending";
  if (status === "merged") return [`${id} is already merged`];
  if (status !== "completed" && status !== "merge_failed") {
    blockers.push(`${id} is ${status}, not completed: mark it done with \`tower complete ${id}\``);
  }
  const unmerged = stream.dependsOn.filter((d) => state.streams[d]?.status !== "merged");
  if (unmerged.length > 0) {
    const list = unmerged.map((d) => `${d} (${state.streams[d]?.status ?? "pending"})`).join(", ");
    blockers.push(`${id} merges after ${list}: merge ${unmerged.length > 1 ? "them" : "it"} first`);
  }
  const views = checkpointViews(plan, checkpoints, project.seal, streamStatuses(plan, state));
  const gates = stream.requires
    .map((cp) => views.find((v) => v.id === cp))
    .filter((v) => v !== undefined && !isSatisfied(v.status));
  if (gates.length > 0) {
    blockers.push(
      `${id} requires checkpoint ${gates.map((g) => `${g?.id} (${g?.status})`).join(", ")} to pass first`,
    );
  }
  if (!recorded?.branch || !(await branchExists(repo.mainRoot, recorded.branch))) {
    blockers.push(`${id}'s branch ${recorded?.branch ?? "(none recorded)"} does not exist`);
  }
  blockers.push(...(await uncommittedBlockers(project, id, recorded?.worktree)));
  return blockers;
}

/**
 * Work a merge would leave behind, in the worktree of a stream then marked merged: the changed
 * and untracked (not ignored) files of the stream's worktree. Only a linked worktree of this
 * repository is looked into (the state file may name any folder; the main worktree has its own
 * check).
 */
async function uncommittedBlockers(
  project: Project,
  id: string,
  recorded: string | null | undefined,
): Promise<string[]> {
  if (!recorded) return [];
  const folder = await linkedWorktree(project.repo.mainRoot, recorded);
  if (folder === undefined) return [];
  try {
    const changes = await worktreeChanges(folder);
    const files = [...changes.modified, ...changes.untracked].sort();
    if (files.length === 0) return [];
    return [
      `${id}'s worktree ${recorded} has ${plural(files.length, "uncommitted file")} (${firstFive(files)}): a merge takes only commits; commit them there (or remove them) first`,
    ];
  } catch (error) {
    return [`${id}'s worktree ${recorded} could not be inspected: ${(error as Error).message}`];
  }
}

export function refuseWith(blockers: string[]): never {
  throw new RefusedError(blockers.join("\n"));
}
