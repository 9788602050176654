/**
 * Overlap: two streams changed the same file. `high` when they changed the same lines, `medium`
 * otherwise. Lines are compared in the old-side (merge base) numbering of each stream's `-U0`
 * diff; streams with different merge bases are compared as if their bases matched.
 */
import type { Hunk } from "../git/index.js";
import {
  agentsOf,
  type ConflictWarning,
  type FileChange,
  type Severity,
  type StreamChanges,
} from "./types.js";

/**
 * A hunk on a line-and-gap axis: line L sits at 2L-1, the gap after line L at 2L (the gap at the
 * top of the file at 0). Replacing or deleting lines s..e covers [2s-1, 2e-1]; an insertion after
 * line p covers the point 2p.
 */
export function hunkSpan(hunk: Hunk): [number, number] {
  if (hunk.oldCount === 0) return [2 * hunk.oldStart, 2 * hunk.oldStart];
  return [2 * hunk.oldStart - 1, 2 * (hunk.oldStart + hunk.oldCount - 1) - 1];
}

/**
 * Do two changes touch a common line? Both replacing a line, two insertions at the same place,
 * or an insertion between lines the other replaced. Changes to neighbouring lines do not count.
 */
export function hunksOverlap(a: Hunk, b: Hunk): boolean {
  const [a0, a1] = hunkSpan(a);
  const [b0, b1] = hunkSpan(b);
  return a0 <= b1 && b0 <= a1;
}

/** Does any hunk of `a` overlap any of `b`? Undefined hunks stand for the whole file. */
export function rangesOverlap(a: readonly Hunk[] | undefined, b: readonly Hunk[] | undefined) {
  if (a === undefined || b === undefined) return true;
  if (a.length === 0 || b.length === 0) return false;
  const spansA = a.map(hunkSpan).sort((x, y) => x[0] - y[0]);
  const spansB = b.map(hunkSpan).sort((x, y) => x[0] - y[0]);
  let i = 0;
  let j = 0;
  while (i < spansA.length && j < spansB.length) {
    const [a0, a1] = spansA[i]!;
    const [b0, b1] = spansB[j]!;
    if (a0 <= b1 && b0 <= a1) return true;
    if (a1 < b1) i++;
    else j++;
  }
  return false;
}

const how = (change: FileChange): string => {
  const kinds = [
    change.committed && "committed",
    change.staged && "staged",
    change.unstaged && "unstaged",
    change.untracked && "untracked",
  ].filter(Boolean);
  return kinds.length > 0 ? kinds.join("+") : "changed";
};

export function overlapWarnings(
  all: readonly StreamChanges[],
  agents: ReadonlyMap<string, string[]>,
): ConflictWarning[] {
  const warnings: ConflictWarning[] = [];
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    for (let j = i + 1; j < all.length; j++) {
      const b = all[j]!;
      const [small, large] = a.files.size <= b.files.size ? [a, b] : [b, a];
      const shared = [...small.files.keys()].filter((f) => large.files.has(f)).sort();
      for (const file of shared) {
        const ca = a.files.get(file)!;
        const cb = b.files.get(file)!;
        const same = rangesOverlap(ca.hunks, cb.hunks);
        const severity: Severity = same ? "high" : "medium";
        const streams = [a.stream.id, b.stream.id];
        warnings.push({
          kind: "overlap",
          streams,
          agents: agentsOf(streams, agents),
          files: [file],
          severity,
          message:
            `Streams ${a.stream.id} and ${b.stream.id} both changed ${file} ` +
            `(${a.stream.id}: ${how(ca)}, ${b.stream.id}: ${how(cb)})` +
            (same ? ", on the same lines." : ", on different lines."),
        });
      }
    }
  }
  return warnings;
}
