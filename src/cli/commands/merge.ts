import type { Command } from "commander";
import {
  type MergeResult,
  mergeAll,
  mergedLine,
  mergeStream,
} from "../../engine/orchestrator/merge.js";
import { type MergePlan, planMerge } from "../../engine/orchestrator/merge-plan.js";
import { pendingMerges } from "../../engine/orchestrator/pending.js";
import type { Project } from "../../engine/project.js";
import { loadContext, reportRecoveries } from "../context.js";
import { CliError, EXIT, refused, usageError } from "../errors.js";

export function formatMergePlan(plan: MergePlan): string {
  const out = [
    `merge ${plan.id} (${plan.name}): ${plan.branch ?? "(no branch)"} into ${plan.base ?? "(no base)"}`,
    `  merge order: ${plan.mergeOrder.map((id) => (id === plan.id ? `[${id}]` : id)).join(" ")}`,
    `  predicted conflicts: ${
      plan.predictedConflicts.length
        ? `${plan.predictedConflicts.join(", ")} (with ${plan.conflictsWith.length ? plan.conflictsWith.join(", ") : "the base"})`
        : "none"
    }`,
    `  validation: ${plan.validate.length ? plan.validate.map((c) => `\`${c}\``).join(", then ") : "none configured"}`,
  ];
  out.push(
    plan.blockers.length
      ? `  cannot merge now:\n${plan.blockers.map((b) => `    - ${b}`).join("\n")}`
      : "  ready to merge",
  );
  return `${out.join("\n")}\n`;
}

/** What happened to earlier merges that were interrupted, settled before this one. */
function reportNotes(result: MergeResult): void {
  for (const note of result.notes ?? []) process.stderr.write(`note: ${note}\n`);
}

function report(result: MergeResult): string | undefined {
  switch (result.outcome) {
    case "merged": {
      const lines = [mergedLine(result)];
      if (result.cleanup.worktreeRemoved) lines.push("  worktree removed");
      if (result.cleanup.branchDeleted) lines.push("  branch deleted (it was merged)");
      for (const kept of result.cleanup.kept) lines.push(`  ${kept}`);
      process.stdout.write(`${lines.join("\n")}\n`);
      return undefined;
    }
    case "conflict":
      return `merge of ${result.id} conflicts in ${result.files.join(", ") || "(unknown files)"}: aborted, the base branch is as it was. ${result.id} is marked merge_failed; bring its branch up to date with the base, then run tower merge ${result.id} again`;
    case "validation_failed":
      return `${result.message}\n${result.id} is marked merge_failed; its branch and worktree are untouched.\nlast output of \`${result.command}\`:\n${result.tail.map((l) => `  ${l}`).join("\n")}`;
    case "refused":
      return result.message;
  }
}

async function mergeOne(context: Project, id: string): Promise<void> {
  const result = await mergeStream(context, id, {
    onCommand: (command) => process.stdout.write(`$ ${command}\n`),
    onLine: (_command, line) => process.stdout.write(`  ${line}\n`),
  });
  reportNotes(result);
  const failure = report(result);
  if (failure) throw new CliError(failure);
}

export function registerMerge(program: Command): void {
  program
    .command("merge")
    .description(
      "merge a completed stream into the base branch, validate, and clean up what is safe to remove",
    )
    .argument("[stream]", "stream id")
    .option("--all", "merge every completed stream in merge order, stopping at the first failure")
    .option(
      "--dry-run",
      "show the merge order, predicted conflicts and validation commands; change nothing",
    )
    .action(async (id: string | undefined, options: { all?: boolean; dryRun?: boolean }) => {
      if (!id && !options.all) throw usageError("tower merge needs a stream id, or --all");
      if (id && options.all) throw usageError("give a stream id or --all, not both");
      const context = await loadContext();
      if (options.dryRun) {
        const plans = await planMerge(context, id);
        for (const pending of await pendingMerges(context))
          process.stderr.write(`note: ${pending.message}\n`);
        for (const plan of plans) process.stdout.write(formatMergePlan(plan));
        if (plans.length === 0) process.stdout.write("no completed stream waits to be merged\n");
        reportRecoveries(context);
        // The same code as the merge itself would exit with: it would refuse (see above why).
        const blocked = plans.filter((p) => p.blockers.length > 0).map((p) => p.id);
        if (blocked.length > 0) {
          throw refused(`${blocked.join(", ")} cannot merge now (see above)`);
        }
        return;
      }
      if (id) {
        await mergeOne(context, id);
        reportRecoveries(context);
        return;
      }
      const results = await mergeAll(context, {
        onCommand: (command) => process.stdout.write(`$ ${command}\n`),
        onLine: (_command, line) => process.stdout.write(`  ${line}\n`),
      });
      reportRecoveries(context);
      if (results.length === 0) process.stdout.write("no completed stream waits to be merged\n");
      const failed = results.find((r) => r.outcome !== "merged");
      for (const result of results) reportNotes(result);
      for (const result of results) if (result.outcome === "merged") report(result);
      if (failed) {
        const message = report(failed) ?? "";
        throw failed.outcome === "refused" ? refused(message) : new CliError(message, EXIT.error);
      }
    });
}
