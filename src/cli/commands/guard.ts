import path from "node:path";
import type { Command } from "commander";
import { checkCommit } from "../../agents/guard.js";
import { realFile } from "../../agents/paths.js";
import { recordCommitCredit } from "../../engine/commit-credits.js";
import {
  changedFilesBetween,
  currentBranch,
  resolveCommit,
  stagedFiles,
  worktreeTop,
} from "../../engine/git/index.js";
import { recordRefusal } from "../../engine/refusals.js";
import { type Context, loadContext } from "../context.js";
import { refused } from "../errors.js";

const HOOKS = ["pre-commit", "post-commit", "reference-transaction"] as const;

/** One line of a reference-transaction hook's input: `<old> <new> <ref>`. */
interface RefUpdate {
  from: string | undefined;
  to: string | undefined;
  ref: string;
}

/** The updates on `text` (an object id of zeros, a ref made or deleted, is undefined). */
export function parseRefUpdates(text: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of text.split("\n")) {
    const [from, to, ref] = line.trim().split(" ");
    if (!from || !to || !ref) continue;
    const id = (value: string) => (/^0+$/.test(value) ? undefined : value);
    updates.push({ from: id(from), to: id(to), ref });
  }
  return updates;
}

async function readInput(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The stream whose worktree holds the current folder, with its branch; undefined: none. */
async function streamHere(context: Context) {
  const top = realFile(await worktreeTop(context.cwd));
  const state = await context.store.read("orchestrator");
  const found = Object.entries(state.streams).find(
    ([, entry]) =>
      entry.worktree && realFile(path.resolve(context.repo.mainRoot, entry.worktree)) === top,
  );
  if (!found) return undefined;
  const [stream, entry] = found;
  return { stream, top, branch: entry.branch ?? (await currentBranch(top)) };
}

/**
 * The files a change of the stream's branch is checked for: those it changes (`changed`) whose
 * content it then holds differs from the base's. What a catch-up merge of the base brings, or a
 * conflict resolved with the base's side, is the base's, not the stream's: another stream's lock
 * on such a file does not refuse it.
 */
function streamsOwn(
  changed: readonly string[],
  differsFromBase: readonly string[] | undefined,
): string[] {
  if (!differsFromBase) return [...changed];
  const differs = new Set(differsFromBase);
  return changed.filter((file) => differs.has(file));
}

/** Refusals are printed, recorded for the run report, and end the hook with an error. */
async function judge(
  context: Context,
  stream: string,
  files: readonly string[],
  what: string,
): Promise<void> {
  const check = await checkCommit(context.plan, context.store, stream, files);
  for (const warning of check.warnings) process.stderr.write(`tower: warning: ${warning}\n`);
  if (check.refusals.length === 0) return;
  const agent = process.env.TOWER_AGENT_ID ?? "human";
  for (const reason of check.refusals) {
    await recordRefusal(context.store, { agent, stream, what: "commit", reason }).catch(() => {});
  }
  throw refused(
    `${check.refusals.join("\n")}\nTower's ${what} of stream ${stream} (\`tower check\` shows the guard).`,
  );
}

/**
 * `tower guard <hook>`: what the hook scripts of stream worktrees run. pre-commit checks the
 * files a commit changes; reference-transaction checks whatever else moves the stream's branch
 * (a merge, a fast-forward, cherry-pick, am, rebase, reset, update-ref) by the files the move
 * brings, and refuses a move of the base branch from a stream's worktree (`tower merge` moves
 * it); post-commit credits an agent's commit to it.
 */
export function registerGuard(program: Command): void {
  program
    .command("guard")
    .description("the guard of stream worktrees (run by git's hooks, see `tower check`)")
    .argument("<hook>", HOOKS.join(", "))
    .action(async (hook: string) => {
      if (!(HOOKS as readonly string[]).includes(hook))
        throw refused(`tower guard: unknown hook "${hook}" (valid: ${HOOKS.join(", ")})`);
      const input = hook === "reference-transaction" ? await readInput() : "";
      const context = await loadContext();
      const here = await streamHere(context);
      // Not a stream worktree: the guard has nothing to say.
      if (here === undefined) return;
      const { stream, top, branch } = here;
      if (hook === "post-commit") {
        const agent = process.env.TOWER_AGENT_ID;
        if (!agent) return;
        const commit = await resolveCommit(top, "HEAD");
        if (commit) await recordCommitCredit(context.store, { commit, agent, stream });
        return;
      }
      const base = context.base ? await resolveCommit(top, context.base) : undefined;
      if (hook === "pre-commit") {
        const files = streamsOwn(
          await stagedFiles(top),
          base ? await stagedFiles(top, base) : undefined,
        );
        return judge(context, stream, files, "pre-commit guard refused this commit");
      }
      for (const update of parseRefUpdates(input)) {
        if (
          context.base &&
          branch !== context.base &&
          update.ref === `refs/heads/${context.base}`
        ) {
          throw refused(
            `the base branch ${context.base} moves only by \`tower merge\` (or in the main worktree), not from stream ${stream}'s worktree (${top}).`,
          );
        }
        if (!branch || update.ref !== `refs/heads/${branch}` || !update.to) continue;
        const from = update.from ?? base;
        const changed = from ? await changedFilesBetween(top, from, update.to) : [];
        const files = streamsOwn(
          changed,
          base ? await changedFilesBetween(top, base, update.to) : undefined,
        );
        await judge(context, stream, files, `guard refused this change of ${branch}`);
      }
    });
}
