/**
 * The pre-commit guard: binding coordination for every agent, whatever its CLI (Codex, Gemini,
 * Aider and plain shells have no hooks Tower can use). In Tower's stream worktrees only, a commit
 * that touches a file locked by an agent of another stream, or (with `scope_mode: enforce`) a
 * file outside the stream's scope, is refused with the same words as the Claude Code hook.
 *
 * An agent's own git finds it in any other worktree too, through its environment
 * (guardEnvironment). It is installed as the worktree's own `core.hooksPath` (see engine/git/hooks.ts): a folder of
 * small scripts in the state directory, one per git hook, each running the repository's own hook
 * of the same name after Tower's check, so the user's hooks (husky, pre-commit, ...) still run.
 * `tower check` lists it; `git config --worktree --unset core.hooksPath` in the worktree removes it.
 */
import path from "node:path";
import {
  enableWorktreeConfig,
  setWorktreeHooksPath,
  worktreeHooksPath,
} from "../engine/git/index.js";
import { listLocks, locksOverlap, storeNamesFold } from "../engine/locks.js";
import type { Plan } from "../engine/plan/index.js";
import { shellQuote } from "../engine/plan/index.js";
import {
  checkStateFile,
  chmodStateFile,
  readStateFile,
  STATE_FOLDERS,
  writeStateFile,
} from "../engine/state/index.js";
import type { StateStore } from "../engine/state/store.js";
import { lockedReason, scopeReason, streamPolicy } from "./policy.js";

/** The client-side hooks git runs; each gets a script that chains to the repository's own. */
export const GIT_HOOKS = [
  "applypatch-msg",
  "pre-applypatch",
  "post-applypatch",
  "pre-commit",
  "pre-merge-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "pre-rebase",
  "post-checkout",
  "post-merge",
  "pre-push",
  "pre-auto-gc",
  "post-rewrite",
  "sendemail-validate",
  "post-index-change",
  "reference-transaction",
] as const;

export const GUARD_FOLDER = STATE_FOLDERS.gitHooks;

/** The folder of hook scripts, in the state directory. */
export const guardFolder = (store: StateStore) => store.path(GUARD_FOLDER);

/** One script for every hook name (it reads its own name). */
export function guardScript(tower: readonly string[]): string {
  const command = tower.map(shellQuote).join(" ");
  const bundle = tower[tower.length - 1] ?? "";
  return `#!/bin/sh
# Tower's guard for its stream worktrees (\`tower check\` lists it). Remove it from a worktree with
#   git config --worktree --unset core.hooksPath
# Each hook here runs the repository's own hook of the same name after Tower's check.
hook=$(basename "$0")
if [ "$hook" = pre-commit ]; then
  if [ -f ${shellQuote(bundle)} ]; then
    ${command} guard pre-commit || exit $?
  else
    echo "tower: the pre-commit guard cannot find ${bundle.replace(/["$`\\]/g, "")}; this commit was not checked" >&2
  fi
fi
# Whatever moves a branch (a commit, a merge, a fast-forward, cherry-pick, am, rebase, reset,
# update-ref) is checked before it happens: its updates come on the input, kept for the
# repository's own hook of this name.
if [ "$hook" = reference-transaction ]; then
  updates=$(cat)
  if [ "$1" = prepared ] && [ -f ${shellQuote(bundle)} ]; then
    case "$updates" in
      *" refs/heads/"*) printf '%s\n' "$updates" | ${command} guard reference-transaction || exit $? ;;
    esac
  fi
fi
# An agent's commit is credited to it (a handoff then lists its own commits only).
if [ "$hook" = post-commit ] && [ -n "$TOWER_AGENT_ID" ] && [ -f ${shellQuote(bundle)} ]; then
  ${command} guard post-commit || true
fi
# The hooks that would run without Tower's: the first hooks path of the worktree's, the
# repository's, your global and the system's configuration that is not this folder (an agent's
# git finds this folder through its environment in any worktree), else the repository's hooks.
here=$(cd "$(dirname "$0")" && pwd -P)
own=
for scope in --worktree --local --global --system; do
  own=$(git config $scope --get core.hooksPath 2>/dev/null)
  [ -n "$own" ] && [ "$(cd "$own" 2>/dev/null && pwd -P)" != "$here" ] && break
  own=
done
[ -n "$own" ] || own="$(git rev-parse --path-format=absolute --git-common-dir)/hooks"
case "$own" in
  /*) ;;
  "~/"*) own="$HOME/\${own#"~/"}" ;;
  *) own="$(pwd)/$own" ;;
esac
if [ -x "$own/$hook" ]; then
  if [ "$hook" = reference-transaction ]; then
    { [ -z "$updates" ] || printf '%s\n' "$updates"; } | "$own/$hook" "$@"
    exit $?
  fi
  exec "$own/$hook" "$@"
fi
exit 0
`;
}

/**
 * The variable that points an agent's own git at the guard in every worktree it works in (one
 * it makes with \`git worktree add\`, the main worktree), not only its stream's: git's
 * \`GIT_CONFIG_PARAMETERS\` (what \`git -c\` passes on to the gits it runs), the environment's
 * own entries kept. Not \`GIT_CONFIG_KEY_<n>\`: Codex leaves variables named like a key out of
 * the commands it runs. Tower's own git sees none of it (run.ts passes no GIT_ variable on).
 */
export function guardEnvironment(
  folder: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const entry = `'core.hooksPath'=${sqQuote(folder)}`;
  const before = env.GIT_CONFIG_PARAMETERS?.trim();
  return { GIT_CONFIG_PARAMETERS: before ? `${before} ${entry}` : entry };
}

/** Quoted as git reads GIT_CONFIG_PARAMETERS (quote.c: sq_quote_buf). */
const sqQuote = (value: string) => `'${value.replace(/'/g, "'\\''").replace(/!/g, "'\\!'")}'`;

export type GuardState =
  | { kind: "installed"; folder: string }
  | { kind: "missing" }
  /** The worktree sets its own hooks path: Tower leaves it alone. */
  | { kind: "other"; folder: string };

export async function guardState(store: StateStore, worktree: string): Promise<GuardState> {
  const current = await worktreeHooksPath(worktree);
  if (current === undefined) return { kind: "missing" };
  const folder = guardFolder(store);
  if (path.resolve(worktree, current) === path.resolve(folder))
    return { kind: "installed", folder };
  return { kind: "other", folder: current };
}

/**
 * Writes the scripts (again: the CLI may have moved) and points the worktree at them. A worktree
 * that has its own hooks path is left as it is; the result says so. Nothing is written through a
 * link: the folder is made and checked (StateStore.folder), every script's name is checked before
 * any is written (a link there, or anything but a file, is a StateFileError naming it), and each
 * is written whole and renamed into place (writeStateFile).
 */
export async function installGuard(
  store: StateStore,
  mainRoot: string,
  worktree: string,
  tower: readonly string[],
): Promise<GuardState> {
  const before = await guardState(store, worktree);
  if (before.kind === "other") return before;
  const folder = await store.folder(GUARD_FOLDER);
  const script = guardScript(tower);
  const files = GIT_HOOKS.map((hook) => path.join(folder, hook));
  await Promise.all(files.map((file) => checkStateFile(file)));
  for (const file of files) {
    if ((await readStateFile(file)) !== script) await writeStateFile(file, script, 0o755);
    await chmodStateFile(file, 0o755);
  }
  if (before.kind === "missing") {
    await enableWorktreeConfig(mainRoot);
    await setWorktreeHooksPath(worktree, folder);
  }
  return { kind: "installed", folder };
}

export interface CommitCheck {
  /** Why the commit is refused (empty: it may go ahead). */
  refusals: string[];
  /** What it should know (advisory locks, scope warnings). */
  warnings: string[];
}

/** The guard's rules for `files` committed in stream `streamId`'s worktree. */
export async function checkCommit(
  plan: Plan,
  store: StateStore,
  streamId: string,
  files: readonly string[],
  now = new Date(),
): Promise<CommitCheck> {
  const result: CommitCheck = { refusals: [], warnings: [] };
  const policy = streamPolicy(plan, streamId);
  if (!policy) return result;
  const fold = await storeNamesFold(store);
  const locks =
    policy.locks === "off"
      ? []
      : listLocks(await store.read("locks"), now).filter(
          (lock) => !lock.expired && lock.stream !== streamId,
        );
  for (const file of files) {
    if (!policy.inScope(file)) {
      const reason = scopeReason(file, policy.stream);
      (policy.scopeMode === "enforce" ? result.refusals : result.warnings).push(reason);
    }
    const holder = locks.find((lock) => locksOverlap(lock.path, file, fold));
    if (holder) {
      const reason = lockedReason(file, holder, now);
      (policy.locks === "auto" ? result.refusals : result.warnings).push(reason);
    }
  }
  return result;
}

/** The start's warning where a worktree's own `core.hooksPath` keeps the guard out. */
export function guardNotInstalled(stream: string, folder: string): string {
  return `${stream}'s worktree sets its own core.hooksPath (${folder}): Tower's pre-commit guard is not installed there`;
}
