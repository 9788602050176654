import type { Command } from "commander";
import {
  acquireLocks,
  type LockInfo,
  normalizeLockPath,
  releaseLocks,
} from "../../engine/locks.js";
import { parseLockTtl } from "../../engine/plan/index.js";
import { loadContext, reportRecoveries } from "../context.js";
import { CliError, refused, usageError } from "../errors.js";
import { localTime } from "../format.js";
import { HUMAN, refuseActingAsAnother, resolveIdentity } from "./identity.js";

const holderText = (h: LockInfo) =>
  `${h.path} is locked by ${h.agent}${h.stream ? ` (stream ${h.stream})` : ""}${h.task ? ` for "${h.task}"` : ""} until ${localTime(h.expiresAt ?? h.expires)}`;

/** Repository-relative keys of the paths given, one at a time (the first bad one is the error). */
async function lockKeys(paths: string[], root: string, cwd: string): Promise<string[]> {
  const keys: string[] = [];
  for (const p of paths) keys.push(await normalizeLockPath(p, root, cwd));
  return keys;
}

interface LockOptions {
  agent?: string;
  stream?: string;
  task?: string;
  ttl?: string;
}

export function registerLock(program: Command): void {
  program
    .command("lock")
    .description("take (or renew) locks on files or folders/ for an agent; all or none")
    .argument(
      "<path...>",
      "repository paths, relative to the current folder; a trailing / locks a folder",
    )
    .option("--agent <id>", "agent taking the lock (default: $TOWER_AGENT_ID)")
    .option(
      "--stream <id>",
      "its stream (default: $TOWER_STREAM, else the agent's stream in the plan)",
    )
    .option("--task <text>", "what the lock is for")
    .option("--ttl <duration>", "how long it lasts, e.g. 30m, 2h (default: the plan's lock_ttl)")
    .action(async (paths: string[], options: LockOptions) => {
      const context = await loadContext();
      const who = resolveIdentity(context.plan, options, "lock");
      await refuseActingAsAnother(context.store, who, "lock");
      let ttlMs = context.plan.lockTtlMs;
      if (options.ttl !== undefined) {
        try {
          ttlMs = parseLockTtl(options.ttl);
        } catch (error) {
          throw usageError(`--ttl ${(error as Error).message}`);
        }
      }
      const keys = await lockKeys(paths, context.repo.worktreeRoot, context.cwd);
      const result = await acquireLocks(context.store, {
        paths: keys,
        ...who,
        task: options.task,
        ttlMs,
      });
      reportRecoveries(context);
      if (!result.ok) {
        const lines = result.results.flatMap((r) =>
          r.outcome === "refused"
            ? r.holders.map((h) =>
                h.path === r.path ? holderText(h) : `cannot lock ${r.path}: ${holderText(h)}`,
              )
            : [],
        );
        throw refused(
          `${lines.join("\n")}\nnothing was locked: wait for the lock to be released or expire, or ask its holder`,
        );
      }
      for (const r of result.results) {
        if (r.outcome === "refused") continue;
        const verb = { acquired: "locked", renewed: "renewed", taken_over: "took over" }[r.outcome];
        const from =
          r.outcome === "taken_over"
            ? ` (expired lock of ${r.previous.map((p) => p.agent).join(", ")})`
            : "";
        process.stdout.write(
          `${verb} ${r.path} for ${who.agent} until ${localTime(r.expiresAt)}${from}\n`,
        );
      }
    });
}

export function registerUnlock(program: Command): void {
  program
    .command("unlock")
    .description("release an agent's locks; --force releases anyone's (logged)")
    .argument("<path...>", "locked paths, as given to tower lock")
    .option("--agent <id>", "agent releasing its locks (default: $TOWER_AGENT_ID)")
    .option("--force", "release the lock whoever holds it")
    .action(async (paths: string[], options: { agent?: string; force?: boolean }) => {
      const context = await loadContext();
      const agent =
        options.agent ?? process.env.TOWER_AGENT_ID ?? (options.force ? HUMAN : undefined);
      const who = resolveIdentity(context.plan, { agent }, "unlock");
      await refuseActingAsAnother(context.store, who, "unlock");
      const keys = await lockKeys(paths, context.repo.worktreeRoot, context.cwd);
      const result = await releaseLocks(context.store, {
        paths: keys,
        agent: who.agent,
        force: options.force,
      });
      reportRecoveries(context);
      if (!result.ok) {
        const lines = result.results.flatMap((r) =>
          r.outcome === "refused" ? [holderText(r.holder)] : [],
        );
        throw refused(
          `${lines.join("\n")}\nnothing was released: only the holder can release a lock (or use --force)`,
        );
      }
      const missing = result.results.filter((r) => r.outcome === "not_held").map((r) => r.path);
      for (const r of result.results) {
        if (r.outcome === "released") {
          process.stdout.write(
            `released ${r.path}${r.forced ? ` (held by ${r.holder.agent}, forced)` : ""}\n`,
          );
        }
      }
      if (missing.length)
        throw new CliError(`not locked: ${missing.join(", ")} (see \`tower locks\`)`);
    });
}
