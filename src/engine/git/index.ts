/**
 * All of Tower's git, in one module of small named functions by area, run through simple-git.
 */
export * from "./diff.js";
export * from "./history.js";
export * from "./hooks.js";
export * from "./merge.js";
export * from "./merge-tree.js";
export * from "./reflog.js";
export * from "./repo.js";
export * from "./rollback.js";
export { GitError, type GitResult, git, lines, runGit } from "./run.js";
export * from "./submodules.js";
export * from "./worktrees.js";
