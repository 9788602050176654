/**
 * Where a file an agent is about to write lies: inside its own worktree (then as the
 * repository-relative path that locks and scopes use), in the main worktree or another stream's
 * worktree (not the agent's to write), or elsewhere (not Tower's business).
 */
import { realpathSync } from "node:fs";
import path from "node:path";

export type FilePlace =
  | { kind: "own"; file: string }
  | { kind: "foreign"; root: string; file: string }
  | { kind: "elsewhere" };

/** The real path of `file`, resolving symbolic links in the part of it that exists. */
export function realFile(file: string): string {
  const absolute = path.resolve(file);
  const missing: string[] = [];
  let existing = absolute;
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...missing.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      missing.push(path.basename(existing));
      existing = parent;
    }
  }
}

function inside(root: string, file: string): string | undefined {
  const relative = path.relative(root, file);
  if (relative === "" || relative.startsWith(`..${path.sep}`) || relative === "..")
    return undefined;
  if (path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join("/");
}

/**
 * `worktree` is the agent's own; `others` are the main worktree and the other streams'
 * worktrees. A worktree nested in another counts as the innermost.
 */
export function placeFile(file: string, worktree: string, others: readonly string[]): FilePlace {
  const real = realFile(file);
  const roots = [worktree, ...others].map((root) => realFile(root));
  const matches = roots
    .map((root, index) => ({ root, index, relative: inside(root, real) }))
    .filter((m) => m.relative !== undefined)
    .sort((a, b) => b.root.length - a.root.length);
  const best = matches[0];
  if (!best || best.relative === undefined) return { kind: "elsewhere" };
  if (best.index === 0) return { kind: "own", file: best.relative };
  return { kind: "foreign", root: best.root, file: best.relative };
}
