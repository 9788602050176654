/**
 * Lock: a stream changed a file that an unexpired lock covers, and the lock is held by an agent
 * of another stream. A key ending in `/` covers every file under that folder.
 */
import { folded, listLocks, locksOverlap } from "../locks.js";
import type { Plan } from "../plan/index.js";
import type { LocksFile } from "../state/formats.js";
import { agentsOf, type ConflictWarning, type StreamChanges } from "./types.js";

/** The stream of a lock's holder: the plan's stream of that agent, else the one recorded. */
function holderStream(plan: Plan, agent: string, recorded: string | undefined): string | undefined {
  for (const stream of plan.streams) {
    if (stream.agents.some((a) => a.id === agent)) return stream.id;
  }
  return recorded || undefined;
}

export function lockWarnings(
  all: readonly StreamChanges[],
  locks: LocksFile,
  plan: Plan,
  agents: ReadonlyMap<string, string[]>,
  now: Date,
  /** Names that differ only in case are one file (lockNamesFold). */
  fold = false,
): ConflictWarning[] {
  const warnings: ConflictWarning[] = [];
  const live = listLocks(locks, now).filter((lock) => !lock.expired);
  for (const lock of live) {
    const holder = holderStream(plan, lock.agent, lock.stream);
    if (holder === undefined) continue;
    for (const changes of all) {
      const id = changes.stream.id;
      if (id === holder) continue;
      const covered = [...changes.files.keys()]
        .filter((file) => locksOverlap(lock.path, file, fold))
        .sort();
      for (const file of covered) {
        const streams = [id, holder];
        const same = fold ? folded(file) === folded(lock.path) : file === lock.path;
        const what = same ? "lock" : `folder lock ${lock.path}`;
        warnings.push({
          kind: "lock",
          streams,
          agents: agentsOf(streams, agents),
          files: [file],
          severity: "high",
          message:
            `Stream ${id} changed ${file}, which is locked by agent ${lock.agent} of stream ` +
            `${holder} (${what}, until ${lock.expires}).`,
        });
      }
    }
  }
  return warnings;
}
