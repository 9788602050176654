/**
 * What git knows about a stream's work, for a handoff: the subjects of its commits since the
 * base, the exported names it added, and those it removed or changed.
 */

import { readCommitCredits } from "./commit-credits.js";
import { exportChanges } from "./exports-diff.js";
import { branchDiff, commitsSince, resolveCommit } from "./git/index.js";
import type { Project } from "./project.js";
import type { OrchestratorStream } from "./state/formats.js";

export interface HandoffFacts {
  completedTasks: string[];
  newInterfaces: string[];
  breakingChanges: string[];
  testStatus: string;
}

/** The range of a stream's own work: its branch against the base, or its merge commit's two sides. */
async function streamRange(
  project: Project,
  entry: OrchestratorStream | undefined,
): Promise<{ base: string; tip: string } | undefined> {
  const root = project.repo.mainRoot;
  if (entry?.branch && project.base && (await resolveCommit(root, entry.branch))) {
    return { base: project.base, tip: entry.branch };
  }
  const mergeCommit = typeof entry?.merge_commit === "string" ? entry.merge_commit : undefined;
  if (mergeCommit && (await resolveCommit(root, `${mergeCommit}^2`))) {
    return { base: `${mergeCommit}^1`, tip: `${mergeCommit}^2` };
  }
  return undefined;
}

/** The outcome of the stream's last validation run, as recorded at merge time. */
function testStatus(entry: OrchestratorStream | undefined): string {
  const last = entry?.last_validation as { ok?: boolean; command?: string } | undefined;
  if (last?.ok === true) return "passed";
  if (last?.ok === false) return `failed${last.command ? ` (${last.command})` : ""}`;
  return "unknown";
}

/**
 * Undefined when the stream has no branch or merge to read (not started). With `agent`, the
 * commits another agent of the stream made (commit_agents.jsonl) are not credited to it.
 */
export async function handoffFactsFromGit(
  project: Project,
  streamId: string,
  agent?: string,
): Promise<HandoffFacts | undefined> {
  const entry = (await project.store.read("orchestrator")).streams[streamId];
  const range = await streamRange(project, entry);
  if (!range) return undefined;
  const root = project.repo.mainRoot;
  const [commits, diff, credits] = await Promise.all([
    commitsSince(root, range.base, range.tip),
    branchDiff(root, range.base, range.tip),
    readCommitCredits(project.store),
  ]);
  const subjects = commits
    .filter((c) => agent === undefined || (credits.get(c.commit) ?? agent) === agent)
    .map((c) => c.subject);
  const tests = testStatus(entry);
  const changes = exportChanges(diff);
  return {
    completedTasks: subjects,
    newInterfaces: changes.added,
    breakingChanges: changes.breaking,
    testStatus: tests,
  };
}
