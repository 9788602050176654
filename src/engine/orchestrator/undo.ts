/**
 * Undoing a merge commit Tower made, and saying exactly what happened: the branch moves back only
 * if it still points at the merge (compare-and-swap), its files only where it is checked out and
 * nothing is in the way; otherwise nothing is touched and the message gives the commands.
 */

import { commitsBetween, isAncestor, rollBackBranch } from "../git/index.js";
import { plural } from "../plural.js";

export interface Undo {
  /** True when the branch is back at `before`. */
  rolledBack: boolean;
  /** What happened, and the commands to run when Tower could not do it. */
  text: string;
}

const short = (sha: string) => sha.slice(0, 10);

/** Moves `branch` from the merge commit `merge` back to `before` (its first parent). */
export async function undoMerge(
  mainRoot: string,
  branch: string,
  before: string,
  merge: string,
): Promise<Undo> {
  const outcome = await rollBackBranch(mainRoot, branch, merge, before);
  if (outcome.done) {
    const files = outcome.worktree
      ? `its files in ${outcome.worktree} with it, local changes there kept`
      : `${branch} is not checked out in any worktree, so no files changed`;
    return {
      rolledBack: true,
      text: `${branch} was reset to ${short(before)}, as before the merge (${files})`,
    };
  }
  if (outcome.reason === "in-the-way") {
    const at = `git -C ${outcome.worktree}`;
    return {
      rolledBack: false,
      text: `${branch} could not be moved back to ${short(before)}: ${outcome.worktree} has changes in the way (${outcome.detail}), so Tower left the merge ${short(merge)} in place. To undo it, run: ${at} stash && ${at} reset --keep ${before} && ${at} stash pop`,
    };
  }
  if (outcome.now === undefined) {
    return { rolledBack: false, text: `${branch} no longer exists, so there is nothing to undo` };
  }
  if (!(await isAncestor(mainRoot, merge, outcome.now))) {
    return {
      rolledBack: false,
      text: `${branch} no longer holds the merge ${short(merge)} (it is at ${short(outcome.now)} now), so there is nothing to undo`,
    };
  }
  const after = await commitsBetween(mainRoot, merge, outcome.now);
  const where = outcome.worktree ?? mainRoot;
  const checkout = outcome.worktree ? "" : `git -C ${mainRoot} checkout ${branch} && `;
  return {
    rolledBack: false,
    text: `${branch} has moved on since the merge (${plural(after, "commit")} on top of it, now at ${short(outcome.now)}), so Tower changed nothing. To undo the merge and keep those commits, run: ${checkout}git -C ${where} revert -m 1 ${merge}`,
  };
}
