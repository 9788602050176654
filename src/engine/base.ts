/**
 * The base branch the streams start from and merge into, as a commit, or the reason there is
 * none in the words a user can act on (the same for `tower start`, the conflict scan and merge).
 */
import { RefusedError } from "./errors.js";
import { hasAnyCommit, resolveCommit } from "./git/index.js";

export async function baseCommit(mainRoot: string, base: string | undefined): Promise<string> {
  if (!base) {
    throw new RefusedError(
      "the main worktree is on a detached HEAD and streams.yaml names no base branch: check out the base branch or set `base:` in streams.yaml",
    );
  }
  const commit = await resolveCommit(mainRoot, base);
  if (commit) return commit;
  if (!(await hasAnyCommit(mainRoot))) {
    throw new RefusedError(
      `the repository has no commit yet, so there is no base branch "${base}" to start from: make a first commit (for example \`git add -A && git commit -m "First commit"\`)`,
    );
  }
  throw new RefusedError(
    `base branch "${base}" does not exist: create it or fix \`base:\` in streams.yaml`,
  );
}
