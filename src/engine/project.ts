/**
 * A project as every command and the control room see it: the repository, its plan, the shared
 * state and the base branch.
 */
import path from "node:path";
import { currentBranch, locateRepo, type RepoLocation } from "./git/index.js";
import { loadPlan, type Plan } from "./plan/index.js";
import { loadSeal, type Seal } from "./seal.js";
import { resolveStateDir } from "./state/locate.js";
import { type StateStore, stateStoreFor } from "./state/store.js";

export const PLAN_FILE = "streams.yaml";

export interface Project {
  cwd: string;
  repo: RepoLocation;
  plan: Plan;
  store: StateStore;
  /** The base branch: the plan's `base`, else the branch checked out in the main worktree. */
  base: string | undefined;
  /** This machine's seal, to verify recorded approvals (and to sign them, once it has a key). */
  seal: Seal;
}

export async function openProject(
  cwd: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Project> {
  const repo = await locateRepo(cwd);
  const plan = await loadPlan(path.join(repo.mainRoot, PLAN_FILE));
  const store = stateStoreFor(repo.mainRoot, plan.stateDir, env);
  const base = plan.base ?? (await currentBranch(repo.mainRoot));
  // Tower's own folder is this machine's, whatever `env` says of the state directory.
  const seal = await loadSeal(repo.mainRoot);
  return { cwd, repo, plan, store, base, seal };
}

/**
 * Reads `streams.yaml` again into `project` (a running control room follows edits). The state
 * directory cannot move under a running process: a plan that moves it is refused and nothing
 * changes. What applies only after a restart (the key overrides) is for the caller to compare
 * with what it runs with.
 */
export async function reloadPlan(
  project: Project,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Plan> {
  const file = path.join(project.repo.mainRoot, PLAN_FILE);
  const plan = await loadPlan(file);
  const stateDir = resolveStateDir(project.repo.mainRoot, plan.stateDir, env);
  if (stateDir !== project.store.dir) {
    throw new Error(
      `${file}: state_dir now points to ${stateDir}; restart Tower to use it (until then it keeps ${project.store.dir} and the plan read before)`,
    );
  }
  project.plan = plan;
  project.base = plan.base ?? project.base;
  return plan;
}
