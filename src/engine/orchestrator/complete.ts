/** `tower complete`: a stream's work is done and waits to be merged. */
import { RefusedError } from "../errors.js";
import { worktreeChanges } from "../git/index.js";
import { releaseAutoLocks } from "../locks.js";
import { startability } from "../plan/index.js";
import { firstFive, plural } from "../plural.js";
import type { Project } from "../project.js";
import { TOWER_AGENT } from "../state/store.js";
import { toUtcIso } from "../state/time.js";
import { openTasks, type TaskRow } from "../tasks/board.js";
import { findStream, streamStatuses } from "./streams.js";

export interface CompleteResult {
  id: string;
  /** Streams that could not start before and can now. */
  nowStartable: string[];
  /** Uncommitted work in the stream's worktree, which a merge would not include. */
  uncommitted: string[];
  /** The stream's tasks that are not done (the stream completes all the same). */
  openTasks: TaskRow[];
}

export async function completeStream(
  project: Project,
  id: string,
  now = new Date(),
): Promise<CompleteResult> {
  const { plan, store } = project;
  findStream(plan, id);
  let before: string[] = [];
  let after: string[] = [];
  let worktree: string | undefined;
  await store.update(
    "orchestrator",
    (file) => {
      const recorded = file.streams[id];
      const status = recorded?.status ?? "pending";
      if (!recorded || status === "pending")
        throw new RefusedError(`${id} has not started: start it with \`tower start ${id}\``);
      if (status === "merged") throw new RefusedError(`${id} is already merged`);
      if (status === "completed")
        throw new RefusedError(`${id} is already completed: merge it with \`tower merge ${id}\``);
      const startable = () =>
        startability(plan, streamStatuses(plan, file))
          .filter((s) => s.canStart)
          .map((s) => s.id);
      before = startable();
      recorded.status = "completed";
      recorded.completed_at = toUtcIso(now);
      after = startable();
      worktree = recorded.worktree ?? undefined;
    },
    async () => {
      // Logged once the completion is stored, never before.
      await store.appendActivity({ agent: TOWER_AGENT, stream: id, action: "completed" }, now);
    },
  );
  // The locks the stream's agents took by writing are done with.
  await releaseAutoLocks(store, { stream: id }, now);
  let uncommitted: string[] = [];
  if (worktree) {
    const changes = await worktreeChanges(worktree).catch(() => undefined);
    if (changes) uncommitted = [...changes.modified, ...changes.untracked];
  }
  const open = openTasks(plan, await store.read("tasks"), id);
  return {
    id,
    nowStartable: after.filter((s) => !before.includes(s)),
    uncommitted,
    openTasks: open,
  };
}

/** What a completion leaves to do: uncommitted files (not in a merge), tasks not done. */
export function completeWarnings(result: CompleteResult): string[] {
  const warnings: string[] = [];
  if (result.uncommitted.length) {
    warnings.push(
      `${result.id}'s worktree has ${plural(result.uncommitted.length, "uncommitted file")} (${firstFive(result.uncommitted)}): a merge includes only committed work`,
    );
  }
  if (result.openTasks.length) {
    warnings.push(
      `${result.id} has ${plural(result.openTasks.length, "task")} not done (${firstFive(result.openTasks.map((t) => `${t.id} ${t.status}`))}): see \`tower tasks --stream ${result.id}\``,
    );
  }
  return warnings;
}
