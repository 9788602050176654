import path from "node:path";
import type { Command } from "commander";
import { currentBranch, locateRepo } from "../../engine/git/index.js";
import { listLocks } from "../../engine/locks.js";
import { formatIssue, loadPlan, type Plan, PlanError, phases } from "../../engine/plan/index.js";
import { plural } from "../../engine/plural.js";
import { PLAN_FILE } from "../../engine/project.js";
import { loadSeal } from "../../engine/seal.js";
import {
  STATE_FILES,
  StateFileError,
  type StateStore,
  stateStoreFor,
} from "../../engine/state/index.js";
import { stateDirIssue } from "../../engine/state-place.js";
import { CliError } from "../errors.js";
import { runFindings } from "./check-run.js";

/** Locks whose times cannot be read (a damaged file is already reported by the store). */
async function lockProblems(store: StateStore): Promise<string[]> {
  try {
    const file = store.path(STATE_FILES.locks);
    return listLocks(await store.read("locks")).flatMap((lock) =>
      lock.problem ? [`${file}: the ${lock.problem}`] : [],
    );
  } catch (error) {
    if (error instanceof StateFileError) return [];
    throw error;
  }
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("validate streams.yaml and every state file; exit non-zero on any problem")
    .action(async () => {
      const repo = await locateRepo(process.cwd());
      const problems: string[] = [];
      let plan: Plan | undefined;
      try {
        plan = await loadPlan(path.join(repo.mainRoot, PLAN_FILE));
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
        problems.push(...(error.issues.length ? error.issues.map(formatIssue) : [error.message]));
      }
      // What the plan says of the repository itself (a state_dir that holds its files).
      const placeIssue = plan ? await stateDirIssue(plan, repo.mainRoot) : undefined;
      if (placeIssue) problems.push(formatIssue(placeIssue));
      if (plan) {
        for (const warning of plan.warnings)
          process.stderr.write(`warning: ${formatIssue(warning)}\n`);
      }
      if (plan && !placeIssue) {
        const streams = plural(plan.streams.length, "stream");
        const agents = plural(
          plan.streams.reduce((n, s) => n + s.agents.length, 0),
          "agent",
        );
        process.stdout.write(
          `${PLAN_FILE}: ok (${streams} in ${plural(phases(plan).length, "phase")}, ${agents}, ${plural(plan.checkpoints.length, "checkpoint")})\n`,
        );
      }
      const store = stateStoreFor(repo.mainRoot, plan?.stateDir);
      const stateProblems = [...(await store.check()), ...(await lockProblems(store))];
      if (stateProblems.length === 0) process.stdout.write(`state ${store.dir}: ok\n`);
      problems.push(...stateProblems);
      // The run itself (orphans, guards, pending merges, forged passes, trust) needs the plan.
      if (plan) {
        const findings = await runFindings({
          cwd: process.cwd(),
          repo,
          plan,
          store,
          base: plan.base ?? (await currentBranch(repo.mainRoot)),
          seal: await loadSeal(repo.mainRoot),
        });
        for (const note of findings.notes) process.stderr.write(`note: ${note}\n`);
        problems.push(...findings.problems);
      }
      if (problems.length > 0) {
        throw new CliError(`${problems.join("\n")}\n${plural(problems.length, "problem")} found`);
      }
    });
}
