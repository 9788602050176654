import path from "node:path";
import type { Command } from "commander";
import { locateRepo } from "../../engine/git/index.js";
import { initProject } from "../../engine/init.js";
import { PLAN_FILE } from "../../engine/project.js";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create streams.yaml (if missing) and the shared state directory")
    .action(async () => {
      const repo = await locateRepo(process.cwd());
      const result = await initProject(repo.mainRoot);
      const lines = [
        result.planCreated
          ? `created ${PLAN_FILE}: edit its streams, then run \`tower check\``
          : `${PLAN_FILE} already exists: left as it is`,
        result.filesCreated.length
          ? `created ${path.relative(repo.mainRoot, result.stateDir) || result.stateDir}/ with ${result.filesCreated.join(", ")}`
          : `state directory ${result.stateDir} is complete: nothing to create`,
      ];
      if (result.excludeAdded) lines.push(`added ${result.excludeAdded} to .git/info/exclude`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
