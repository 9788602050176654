import path from "node:path";
import type { Command } from "commander";
import { checkCommit } from "../../agents/guard.js";
import { realFile } from "../../agents/paths.js";
import { recordCommitCredit } from "../../engine/commit-credits.js";
import { resolveCommit, stagedFiles, worktreeTop } from "../../engine/git/index.js";
import { recordRefusal } from "../../engine/refusals.js";
import { loadContext } from "../context.js";
import { refused } from "../errors.js";

/** `tower guard pre-commit`: what the hook scripts of stream worktrees run before a commit. */
export function registerGuard(program: Command): void {
  program
    .command("guard")
    .description("the pre-commit guard of stream worktrees (run by git, see `tower check`)")
    .argument("<hook>", "pre-commit or post-commit")
    .action(async (hook: string) => {
      if (hook !== "pre-commit" && hook !== "post-commit")
        throw refused(`tower guard: unknown hook "${hook}" (valid: pre-commit, post-commit)`);
      const context = await loadContext();
      const top = realFile(await worktreeTop(context.cwd));
      const state = await context.store.read("orchestrator");
      const stream = Object.entries(state.streams).find(
        ([, entry]) =>
          entry.worktree && realFile(path.resolve(context.repo.mainRoot, entry.worktree)) === top,
      )?.[0];
      // Not a stream worktree: the guard has nothing to say.
      if (stream === undefined) return;
      if (hook === "post-commit") {
        const agent = process.env.TOWER_AGENT_ID;
        if (!agent) return;
        const commit = await resolveCommit(top, "HEAD");
        if (commit) await recordCommitCredit(context.store, { commit, agent, stream });
        return;
      }
      const files = await stagedFiles(top);
      const check = await checkCommit(context.plan, context.store, stream, files);
      for (const warning of check.warnings) process.stderr.write(`tower: warning: ${warning}\n`);
      if (check.refusals.length > 0) {
        const agent = process.env.TOWER_AGENT_ID ?? "human";
        for (const reason of check.refusals) {
          await recordRefusal(context.store, { agent, stream, what: "commit", reason }).catch(
            () => {},
          );
        }
        throw refused(
          `${check.refusals.join("\n")}\nTower's pre-commit guard refused this commit of stream ${stream} (\`tower check\` shows the guard).`,
        );
      }
    });
}
