/** A dependency cycle, and the depends_on entry that closes it. */
export interface Cycle {
  /** `["A", "E", "A"]`: A depends on E, which depends on A. */
  path: string[];
  /** The node whose depends_on entry closes the cycle, and that entry's index. */
  from: string;
  index: number;
}

/**
 * Finds dependency cycles by depth-first search in `ids` order. Every cycle is reported once,
 * at the edge that closes it; self-dependencies and unknown ids are ignored (reported elsewhere).
 */
export function findCycles(
  ids: readonly string[],
  depsOf: (id: string) => readonly unknown[],
): Cycle[] {
  const known = new Set(ids);
  const state = new Map<string, "active" | "done">();
  const stack: string[] = [];
  const cycles = new Map<string, Cycle>();

  const visit = (id: string): void => {
    state.set(id, "active");
    stack.push(id);
    depsOf(id).forEach((dep, index) => {
      if (typeof dep !== "string" || dep === id || !known.has(dep)) return;
      const seen = state.get(dep);
      if (seen === undefined) visit(dep);
      else if (seen === "active") {
        const path = [...stack.slice(stack.indexOf(dep)), dep];
        const key = path.join("\0");
        if (!cycles.has(key)) cycles.set(key, { path, from: id, index });
      }
    });
    stack.pop();
    state.set(id, "done");
  };

  for (const id of ids) if (!state.has(id)) visit(id);
  return [...cycles.values()];
}
