/**
 * After a merge, a stream's worktree and branch go only when nothing in them can be lost. The
 * worktree is kept while an agent runs in it, or while it holds uncommitted or untracked files,
 * or ignored files that are not reproducible (`git worktree remove` deletes ignored files). Both
 * are kept while the branch's reflog or the worktree's own HEAD reflog holds a commit that the
 * base does not (an agent that force-reset its branch): `git branch -d` and `git worktree remove`
 * delete those reflogs. The branch goes only with `git branch -d`, once it is in the base.
 * A submodule checked out in the worktree keeps it as the worktree's own files do, and while it
 * holds commits that only this worktree's copy of it has (git/submodules.ts).
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import {
  checkedOutSubmodules,
  commitsOnlyInReflogs,
  deleteMergedBranch,
  describeCommit,
  ignoredEntries,
  ignoredFilesIn,
  independentCommits,
  isAncestor,
  linkedWorktree,
  reflogCommits,
  removeWorktree,
  resolveCommit,
  submoduleCommitsOnlyHere,
  worktreeChanges,
} from "../git/index.js";
import { firstFive, plural } from "../plural.js";
import type { Project } from "../project.js";
import { notReproducible, reproduciblePatterns } from "../reproducible.js";
import type { OrchestratorStream } from "../state/formats.js";
import { sameAsMain } from "../worktree-include.js";
import { ownStateLink } from "./link.js";

export interface Cleanup {
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  /** What was kept, and why. */
  kept: string[];
}

export async function cleanUp(
  project: Project,
  id: string,
  entry: OrchestratorStream,
): Promise<Cleanup> {
  try {
    return await cleanUpOrThrow(project, id, entry);
  } catch (error) {
    // The merge itself is done: a cleanup that cannot look keeps everything and says so.
    return {
      worktreeRemoved: false,
      branchDeleted: false,
      kept: [
        `worktree and branch kept: Tower could not inspect them (${(error as Error).message})`,
      ],
    };
  }
}

async function cleanUpOrThrow(
  project: Project,
  id: string,
  entry: OrchestratorStream,
): Promise<Cleanup> {
  const recorded = entry.worktree ?? undefined;
  const branch = entry.branch ?? undefined;
  const { mainRoot } = project.repo;
  const present = recorded
    ? (await fsp.stat(path.resolve(mainRoot, recorded)).catch(() => undefined)) !== undefined
    : false;
  // Only a linked worktree of this repository is looked into or removed: the state file may
  // name any folder. Another folder there is left alone, and the branch with it.
  const worktree = present && recorded ? await linkedWorktree(mainRoot, recorded) : undefined;
  if (present && worktree === undefined) {
    return {
      worktreeRemoved: false,
      branchDeleted: false,
      kept: [
        `worktree ${recorded} kept: not a worktree of this repository (Tower removes only its own)${branch ? `; branch ${branch} kept with it` : ""}`,
      ],
    };
  }
  const lost = branch ? await reflogOnly(project, id, branch, worktree) : undefined;
  if (lost) {
    const what = present ? `branch ${branch} and worktree ${recorded}` : `branch ${branch}`;
    return { worktreeRemoved: false, branchDeleted: false, kept: [`${what} kept: ${lost}`] };
  }
  const kept: string[] = [];
  // A worktree already gone counts as removed, as before.
  let worktreeRemoved = recorded !== undefined && !present;
  if (worktree) {
    const submodules = await checkedOutSubmodules(worktree);
    const reason =
      (await worktreeKeepReason(project, id, worktree)) ??
      (await submodulesKeepReason(project, worktree, submodules));
    if (reason) kept.push(`worktree ${recorded} kept: ${reason}`);
    else {
      const refusal = await removeWorktree(project.repo.mainRoot, worktree, {
        submodules: submodules.length > 0,
      });
      if (refusal) kept.push(`worktree ${recorded} kept: ${refusal}`);
      else worktreeRemoved = true;
    }
  }
  let branchDeleted = false;
  if (branch && present && !worktreeRemoved) {
    kept.push(`branch ${branch} kept with its worktree`);
  } else if (branch) {
    const reason = await branchKeepReason(project, branch);
    if (reason) kept.push(`branch ${branch} kept: ${reason}`);
    else branchDeleted = true;
  }
  return { worktreeRemoved, branchDeleted, kept };
}

/** Why the worktree must stay, or undefined when removing it loses nothing. */
async function worktreeKeepReason(
  project: Project,
  id: string,
  worktree: string,
): Promise<string | undefined> {
  // Agents still running in the worktree (as agents.json says) keep it: removing the folder
  // under a live program would lose whatever it writes next.
  const live = Object.entries((await project.store.read("agents")).agents)
    .filter(([, a]) => a.stream === id && a.status !== "exited")
    .map(([agent]) => agent);
  if (live.length > 0) {
    return `${live.join(", ")} still running in it (X in the control room stops ${live.length > 1 ? "them" : "it"} and removes the worktree and branch where nothing is lost)`;
  }
  const changes = await worktreeChanges(worktree);
  const files = [...changes.modified, ...changes.untracked];
  if (files.length > 0) {
    return `${plural(files.length, "uncommitted or untracked file")} (${firstFive(files)})`;
  }
  const ignored = await unreproducibleFiles(project, worktree);
  if (ignored.length > 0) {
    return `${plural(ignored.length, "ignored file")} that ${ignored.length === 1 ? "is" : "are"} not reproducible (${firstFive(ignored)}): move what you need out of it, then remove it with \`git worktree remove ${worktree}\` (or list such files under reproducible: in streams.yaml)`;
  }
  return undefined;
}

/**
 * Why the worktree must stay for what its checked-out `submodules` hold (changes, ignored files
 * that are not reproducible, commits only they have), or undefined when removing them loses
 * nothing.
 */
async function submodulesKeepReason(
  project: Project,
  worktree: string,
  submodules: readonly string[],
): Promise<string | undefined> {
  const files: string[] = [];
  const ignored: string[] = [];
  for (const sub of submodules) {
    const dir = path.join(worktree, sub);
    const changes = await worktreeChanges(dir);
    files.push(...[...changes.modified, ...changes.untracked].map((file) => `${sub}/${file}`));
    const main = path.join(project.repo.mainRoot, sub);
    ignored.push(
      ...(await unreproducibleFiles(project, dir, main)).map((file) => `${sub}/${file}`),
    );
  }
  if (files.length > 0) {
    return `its submodules hold ${plural(files.length, "uncommitted or untracked file")} (${firstFive(files)})`;
  }
  if (ignored.length > 0) {
    return `its submodules hold ${plural(ignored.length, "ignored file")} that ${ignored.length === 1 ? "is" : "are"} not reproducible (${firstFive(ignored)}): move what you need out of them (or list such files under reproducible: in streams.yaml)`;
  }
  for (const sub of submodules) {
    const dir = path.join(worktree, sub);
    const only = await submoduleCommitsOnlyHere(dir, path.join(project.repo.mainRoot, sub));
    if (only.count === 0) continue;
    const shown = await Promise.all(only.tips.slice(0, 5).map((c) => describeCommit(dir, c)));
    const one = only.count === 1;
    return `its submodule ${sub} holds ${plural(only.count, "commit")} that no remote branch of it nor your checkout of it has (${shown.join("; ")}${only.tips.length > 5 ? "; ..." : ""}): push ${one ? "it" : "them"} from ${dir}, or fetch ${one ? "it" : "them"} into a branch of your checkout of it (git -C ${sub} fetch ${dir} ${only.tips[0]}:refs/heads/<name>)`;
  }
  return undefined;
}

/**
 * The worktree's ignored files that no reproducible pattern covers, Tower's link to the shared
 * state aside: only while lstat shows it is that link (a folder in its place holds the user's
 * files, whatever its name).
 */
async function unreproducibleFiles(
  project: Project,
  worktree: string,
  root?: string,
): Promise<string[]> {
  const patterns = reproduciblePatterns(project.plan.reproducible);
  const link = await ownStateLink(worktree, project.store.dir, project.plan.stateDir);
  const notTowers = (entries: string[]) => entries.filter((entry) => entry !== link);
  const found: string[] = [];
  for (const entry of notReproducible(notTowers(await ignoredEntries(worktree)), patterns)) {
    // An ignored folder that no pattern covers as a whole may still hold only reproducible files
    // (and Tower's link, when the folder it is in is ignored as a whole).
    if (entry.endsWith("/"))
      found.push(...notReproducible(notTowers(await ignoredFilesIn(worktree, entry)), patterns));
    else found.push(entry);
  }
  // A file as the main worktree has it (a copy `.worktreeinclude` made, left as it was) can be
  // had again from there. (A submodule's files are compared with the main worktree's, from
  // `root`, the main worktree's copy of that submodule.)
  const out: string[] = [];
  for (const file of found)
    if (!(await sameAsMain(root ?? project.repo.mainRoot, worktree, file))) out.push(file);
  return out;
}

/**
 * The commits that only the branch's reflog or the worktree's HEAD reflog hold (no branch, tag or
 * the base reaches them), described with how to get them back; undefined when there are none.
 */
async function reflogOnly(
  project: Project,
  id: string,
  branch: string,
  worktree: string | undefined,
): Promise<string | undefined> {
  const { mainRoot } = project.repo;
  if (!project.base)
    return "the base branch is not known, so Tower cannot tell whether their commits are in it";
  const recorded = new Set([
    ...(await reflogCommits(mainRoot, `refs/heads/${branch}`)),
    ...(worktree ? await reflogCommits(worktree, "HEAD") : []),
  ]);
  const lost = await commitsOnlyInReflogs(mainRoot, [...recorded], project.base, branch);
  if (lost.length === 0) return undefined;
  const tips = await independentCommits(mainRoot, lost);
  const described = await Promise.all(tips.slice(0, 5).map((c) => describeCommit(mainRoot, c)));
  const rescue = tips
    .slice(0, 5)
    .map((c, i) => `git branch rescue-${id}${i === 0 ? "" : `-${i + 1}`} ${c}`)
    .join("; ");
  const remove = [
    ...(worktree ? [`git worktree remove ${worktree}`] : []),
    `git branch -d ${branch}`,
  ].join(" and ");
  return `their reflogs hold ${plural(lost.length, "commit")} that ${project.base} does not (${described.join("; ")}${tips.length > 5 ? "; ..." : ""}): to get ${lost.length === 1 ? "it" : "them"} back, run ${rescue}; then remove what is left with ${remove}`;
}

/** Why the branch must stay (it is not all in the base, or git refused), or undefined once deleted. */
async function branchKeepReason(project: Project, branch: string): Promise<string | undefined> {
  const { mainRoot } = project.repo;
  const tip = await resolveCommit(mainRoot, `refs/heads/${branch}`);
  if (!tip) return undefined;
  if (!project.base || !(await isAncestor(mainRoot, tip, `refs/heads/${project.base}`))) {
    return `it has commits that ${project.base ?? "the base"} does not`;
  }
  return deleteMergedBranch(mainRoot, branch);
}
