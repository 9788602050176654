import path from "node:path";
import type { Command } from "commander";
import { checkCommit } from "../../agents/guard.js";
import { agentFromEnv } from "../../agents/identity.js";
import { realFile } from "../../agents/paths.js";
import { recordCommitCredit } from "../../engine/commit-credits.js";
import {
  changedFilesBetween,
  currentBranch,
  git,
  lines,
  resolveCommit,
  stagedFiles,
  worktreeTop,
} from "../../engine/git/index.js";
import { mainRootOf } from "../../engine/git/main-root.js";
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

/** The agent whose git runs this hook (its environment says), if its stream is in the plan. */
function agentHere(context: Context) {
  const agent = agentFromEnv();
  return agent && context.plan.streams.some((s) => s.id === agent.stream) ? agent : undefined;
}

/**
 * True when the hook runs for another repository than the agent's: an agent's git finds the
 * guard through its environment wherever it runs (a clone of something else included), and
 * only its own repository is Tower's to judge.
 */
async function anotherRepository(): Promise<boolean> {
  const agent = agentFromEnv();
  if (!agent) return false;
  const root = await mainRootOf(process.cwd()).catch(() => undefined);
  return root === undefined || realFile(root) !== realFile(agent.repoRoot);
}

/** A submodule (nested ones too) of a worktree of the agent's repository. */
interface AgentsSubmodule {
  /** The submodule's own worktree top. */
  inner: string;
  /** The top of the repository's worktree that holds it. */
  top: string;
  /** Its path in that worktree (`vendor/lib`). */
  prefix: string;
}

/**
 * Where the hook runs in a submodule of a worktree of the agent's repository, that worktree and
 * the submodule's path in it: the submodule's files are the repository's (`vendor/lib/a.txt`),
 * so locks on them bind a commit made inside the submodule as one made in the worktree.
 */
async function agentsSubmodule(): Promise<AgentsSubmodule | undefined> {
  const agent = agentFromEnv();
  if (!agent) return undefined;
  const inner = realFile(await worktreeTop(process.cwd()));
  let dir = inner;
  // Up from superproject to superproject (a submodule's own submodules), as far as git says.
  for (let depth = 0; depth < 32; depth++) {
    const up = lines(
      await git(dir, ["rev-parse", "--show-superproject-working-tree"]).catch(() => ""),
    )[0];
    if (!up) return undefined;
    const top = realFile(up);
    // Asked of Tower's git, which the hook's GIT_DIR (the submodule's) does not reach.
    const common = lines(
      await git(top, ["rev-parse", "--path-format=absolute", "--git-common-dir"]).catch(() => ""),
    )[0];
    if (common && realFile(path.dirname(common)) === realFile(agent.repoRoot)) {
      return { inner, top, prefix: path.relative(top, inner).split(path.sep).join("/") };
    }
    dir = top;
  }
  return undefined;
}

/**
 * A commit inside a submodule of the agent's repository: its files, by their paths in the
 * repository's worktree, judged for the worktree's stream and the agent's.
 */
async function judgeSubmoduleCommit(sub: AgentsSubmodule): Promise<void> {
  const context = await loadContext(sub.top);
  const here = await streamHere(context);
  const agent = agentHere(context);
  const files = (await stagedFiles(sub.inner)).map((file) => `${sub.prefix}/${file}`);
  const streams = new Set([here?.stream, agent?.stream]);
  for (const stream of streams) {
    if (stream === undefined) continue;
    await judge(context, stream, files, `pre-commit guard refused this commit in ${sub.prefix}`);
  }
}

/** The stream whose branch `ref` is, as the state file records it. */
function streamOfBranch(
  state: { streams: Record<string, { branch?: string | null | undefined }> },
  ref: string,
): string | undefined {
  return Object.entries(state.streams).find(
    ([, e]) => e.branch && ref === `refs/heads/${e.branch}`,
  )?.[0];
}

/**
 * `tower guard <hook>`: what the hook scripts run, in stream worktrees (their own hooks path)
 * and wherever an agent's git runs (its environment names them, see guardEnvironment).
 * pre-commit checks the files a commit in a stream's worktree changes; reference-transaction
 * checks whatever else moves a stream's branch (a merge, a fast-forward, cherry-pick, am,
 * rebase, reset, update-ref) by the files the move brings, from any worktree, and refuses a
 * move of the base branch from a stream's worktree or by an agent (\`tower merge\` moves it),
 * and an agent's deleting a stream's branch; post-commit credits an agent's commit to it. An
 * agent's git is judged for its own stream too: one stream's agent cannot commit another
 * stream's locked files in some other worktree.
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
      if (await anotherRepository()) {
        // Unless it is a submodule of the agent's repository: a commit there is judged by its
        // files' paths in the worktree that holds it (its branches are no stream's).
        const sub = hook === "pre-commit" ? await agentsSubmodule() : undefined;
        if (sub) await judgeSubmoduleCommit(sub);
        return;
      }
      const context = await loadContext();
      const here = await streamHere(context);
      const agent = agentHere(context);
      // Neither a stream's worktree nor an agent's git: the guard has nothing to say.
      if (here === undefined && agent === undefined) return;
      // The streams a change is judged for: the worktree's and the agent's.
      const judged = (owner: string | undefined) =>
        [...new Set([owner, agent?.stream])].filter((s): s is string => s !== undefined);
      if (hook === "post-commit") {
        const id = process.env.TOWER_AGENT_ID;
        if (!id || !here) return;
        const commit = await resolveCommit(here.top, "HEAD");
        if (commit)
          await recordCommitCredit(context.store, { commit, agent: id, stream: here.stream });
        return;
      }
      const top = here?.top ?? realFile(await worktreeTop(context.cwd));
      const base = context.base ? await resolveCommit(top, context.base) : undefined;
      if (hook === "pre-commit") {
        // Outside a stream's worktree the commit is judged when it moves a branch (below).
        if (!here) return;
        const files = streamsOwn(
          await stagedFiles(top),
          base ? await stagedFiles(top, base) : undefined,
        );
        for (const stream of judged(here.stream))
          await judge(context, stream, files, "pre-commit guard refused this commit");
        return;
      }
      const state = await context.store.read("orchestrator");
      for (const update of parseRefUpdates(input)) {
        const baseRef = context.base ? `refs/heads/${context.base}` : undefined;
        if (
          update.ref === baseRef &&
          agent &&
          state.streams[agent.stream]?.branch !== context.base
        ) {
          throw refused(
            `the base branch ${context.base} moves only by \`tower merge\` (or by you in the main worktree), not by agent ${agent.agent}'s git (in ${top}).`,
          );
        }
        if (update.ref === baseRef && here && here.branch !== context.base) {
          throw refused(
            `the base branch ${context.base} moves only by \`tower merge\` (or in the main worktree), not from stream ${here.stream}'s worktree (${top}).`,
          );
        }
        const owner =
          here?.branch && update.ref === `refs/heads/${here.branch}`
            ? here.stream
            : streamOfBranch(state, update.ref);
        if (!owner) continue;
        if (!update.to) {
          if (agent) {
            throw refused(
              `${update.ref.slice("refs/heads/".length)} is stream ${owner}'s branch: Tower deletes it once merged (X in the control room), not agent ${agent.agent}'s git.`,
            );
          }
          continue;
        }
        const from = update.from ?? base;
        const changed = from ? await changedFilesBetween(top, from, update.to) : [];
        const files = streamsOwn(
          changed,
          base ? await changedFilesBetween(top, base, update.to) : undefined,
        );
        const branch = update.ref.slice("refs/heads/".length);
        for (const stream of judged(owner))
          await judge(context, stream, files, `guard refused this change of ${branch}`);
      }
    });
}
