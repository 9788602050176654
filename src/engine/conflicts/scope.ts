/** Scope: a stream changed a file that none of its `scope` globs matches. */
import picomatch from "picomatch";
import { agentsOf, type ConflictWarning, type StreamChanges } from "./types.js";

/** A matcher for a stream's scope globs; undefined when the stream has no scope. */
export function scopeMatcher(globs: readonly string[]): ((file: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  return picomatch([...globs], { dot: true });
}

export function scopeWarnings(
  all: readonly StreamChanges[],
  agents: ReadonlyMap<string, string[]>,
): ConflictWarning[] {
  const warnings: ConflictWarning[] = [];
  for (const changes of all) {
    const { id, scope } = changes.stream;
    const inScope = scopeMatcher(scope);
    if (!inScope) continue;
    const outside = [...changes.files.keys()].filter((f) => !inScope(f)).sort();
    for (const file of outside) {
      warnings.push({
        kind: "scope",
        streams: [id],
        agents: agentsOf([id], agents),
        files: [file],
        severity: "medium",
        message: `Stream ${id} changed ${file}, outside its scope (${scope.join(", ")}).`,
      });
    }
  }
  return warnings;
}
