/**
 * Where a stream's agents run and Tower's pre-commit guard goes (`git config --worktree
 * core.hooksPath`): the folder the state file records as the stream's worktree, but only when it
 * is one of this repository's linked worktrees. The state file may name any folder (a clone can
 * carry a committed one saying `.`, the main worktree, or `../other-repo`): agents started there,
 * or a guard installed there, would work in the main worktree or write another repository's
 * configuration. Anything else is refused, naming the state file and the stream. A relative
 * path is read from the main worktree's root, as Tower wrote it.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { RefusedError } from "../errors.js";
import { linkedWorktree } from "../git/index.js";
import type { Project } from "../project.js";
import { STATE_FILES } from "../state/formats.js";

/** The recorded folder, from the main worktree's root. */
export const recordedWorktree = (project: Project, recorded: string): string =>
  path.resolve(project.repo.mainRoot, recorded);

/**
 * Why `folder` (absolute) is not a linked worktree of the repository, or undefined when it is
 * one.
 */
export async function notLinkedWorktree(
  project: Project,
  folder: string,
): Promise<string | undefined> {
  const { mainRoot } = project.repo;
  if ((await linkedWorktree(mainRoot, folder)) !== undefined) return undefined;
  const real = (at: string) => fsp.realpath(at).catch(() => undefined);
  const found = await real(folder);
  if (found === undefined) return "does not exist";
  if (found === (await real(mainRoot))) return "is the repository's main worktree";
  return "is not a worktree of this repository";
}

/** The refusal for stream `id`'s recorded worktree `shown`, which `why` (notLinkedWorktree). */
export function worktreeRefusal(
  project: Project,
  id: string,
  shown: string,
  why: string,
): RefusedError {
  const file = project.store.path(STATE_FILES.orchestrator);
  return new RefusedError(
    `${file} records ${shown} as stream ${id}'s worktree, which ${why}: Tower runs a stream's agents and installs its guard only in a linked worktree of this repository. Correct ${id}'s worktree in that file, or remove ${id}'s entry there to start it afresh with \`tower start ${id}\``,
  );
}

/**
 * The stream's worktree as the state file records it (absolute), when agents may run in it and
 * the guard may go there; a RefusedError naming the state file and the stream otherwise.
 */
export async function requireLinkedWorktree(
  project: Project,
  id: string,
  recorded: string,
): Promise<string> {
  const folder = recordedWorktree(project, recorded);
  const why = await notLinkedWorktree(project, folder);
  if (why !== undefined) throw worktreeRefusal(project, id, recorded, why);
  return folder;
}
