/**
 * A project as every command and the control room see it: the repository, its plan, the shared
 * state and the base branch.
 */
import path from "node:path";
import { currentBranch, locateRepo, type RepoLocation } from "./git/index.js";
import { loadPlan, type Plan } from "./plan/index.js";
import { resolveStateDir } from "./state/locate.js";
import { StateStore } from "./state/store.js";

export const PLAN_FILE = "streams.yaml";

export interface Project {
  cwd: string;
  repo: RepoLocation;
  plan: Plan;
  store: StateStore;
  /** The base branch: the plan's `base`, else the branch checked out in the main worktree. */
  base: string | undefined;
}

export async function openProject(
  cwd: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Project> {
  const repo = await locateRepo(cwd);
  const plan = await loadPlan(path.join(repo.mainRoot, PLAN_FILE));
  const store = new StateStore(resolveStateDir(repo.mainRoot, plan.stateDir, env));
  const base = plan.base ?? (await currentBranch(repo.mainRoot));
  return { cwd, repo, plan, store, base };
}
