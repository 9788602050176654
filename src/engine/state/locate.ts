/**
 * Where the shared state lives: `<main worktree root>/<state_dir>` (default `.claude/state`),
 * found the same way from the main worktree and from every linked worktree; `TOWER_STATE_DIR`
 * overrides it.
 */
import path from "node:path";

export const DEFAULT_STATE_DIR = ".claude/state";

export function resolveStateDir(
  mainRoot: string,
  planStateDir: string = DEFAULT_STATE_DIR,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const override = env.TOWER_STATE_DIR?.trim();
  if (override) return path.resolve(override);
  return path.resolve(mainRoot, planStateDir);
}
