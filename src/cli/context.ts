/** What every command that works on a repository needs: where it is, its plan, its state. */
import path from "node:path";
import { currentBranch, locateRepo, type RepoLocation } from "../engine/git/index.js";
import { PLAN_FILE } from "../engine/init.js";
import { loadPlan, type Plan } from "../engine/plan/index.js";
import { resolveStateDir, StateStore } from "../engine/state/index.js";

export interface Context {
  cwd: string;
  repo: RepoLocation;
  plan: Plan;
  store: StateStore;
  base: string | undefined;
}

export async function loadContext(
  cwd: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Context> {
  const repo = await locateRepo(cwd);
  const plan = await loadPlan(path.join(repo.mainRoot, PLAN_FILE));
  const store = new StateStore(resolveStateDir(repo.mainRoot, plan.stateDir, env));
  const base = plan.base ?? (await currentBranch(repo.mainRoot));
  return { cwd, repo, plan, store, base };
}

/** Prints what the store recovered while the command ran, so nothing happens silently. */
export function reportRecoveries(context: Context): void {
  for (const message of context.store.recoveries) process.stderr.write(`warning: ${message}\n`);
}
