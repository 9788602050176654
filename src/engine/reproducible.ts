/**
 * Which ignored files in a stream's worktree can be thrown away with it: those a build or an
 * install makes again (dependencies, build output, caches). Any other ignored file (an agent's
 * `.env`, its logs, a local database) is work, and keeps the worktree. The plan's `reproducible`
 * list replaces the default one.
 *
 * Tower's one file of its own in a worktree, the link to the shared state, is not a pattern here:
 * a path is not Tower's for its name (a folder in the link's place, or a `state_dir` that names
 * a folder of the project's, holds the user's files). Cleanup (orchestrator/cleanup.ts) leaves
 * it out when lstat shows it is that link.
 *
 * Patterns are a subset of .gitignore's: one ending in "/" matches only a directory (and so
 * everything inside it); one with no other "/" matches a name at any depth; one with a "/" at
 * the start or inside is matched against the whole path from the worktree's root. `*`, `?`,
 * `[...]` and `**` are globs (dot files included). There is no negation.
 */
import picomatch from "picomatch";

/** What a build or an install makes again, in the usual places of the usual ecosystems. */
export const DEFAULT_REPRODUCIBLE: readonly string[] = [
  "node_modules/",
  "dist/",
  "build/",
  ".cache/",
  ".next/",
  ".turbo/",
  "coverage/",
  "__pycache__/",
  "*.pyc",
  ".venv/",
  ".pytest_cache/",
  ".mypy_cache/",
  ".ruff_cache/",
  "target/",
  ".gradle/",
];

/** The patterns that apply: the plan's list, or the default one. */
export function reproduciblePatterns(planList: readonly string[] | undefined): string[] {
  return [...(planList ?? DEFAULT_REPRODUCIBLE)];
}

type Matcher = (entry: string[], isDir: boolean) => boolean;

function compile(pattern: string): Matcher {
  const dirOnly = pattern.endsWith("/");
  const body = pattern.replace(/\/+$/, "");
  const anchored = body.includes("/");
  const test = picomatch(body.replace(/^\/+/, ""), { dot: true });
  return (parts, isDir) => {
    for (let i = 1; i <= parts.length; i++) {
      // Every folder on the way is a directory; the entry itself is one only when git said so.
      if (dirOnly && i === parts.length && !isDir) continue;
      if (test(anchored ? parts.slice(0, i).join("/") : (parts[i - 1] ?? ""))) return true;
    }
    return false;
  };
}

/**
 * The entries (repository-relative POSIX paths, a directory ending in "/") that no pattern makes
 * reproducible.
 */
export function notReproducible(entries: readonly string[], patterns: readonly string[]): string[] {
  const matchers = patterns.map(compile);
  return entries.filter((entry) => {
    const isDir = entry.endsWith("/");
    const parts = entry.replace(/\/+$/, "").split("/");
    return !matchers.some((matches) => matches(parts, isDir));
  });
}
