/**
 * The hook's last word when Tower's state could not be used normally (a state file that cannot
 * be read or recovered, a writer holding its lock too long, a broken plan): a live lock held by
 * another agent, if the lock file can be read at all, still denies the write.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { type LockInfo, lockNamesFold, locksOverlap } from "../engine/locks.js";
import { parseTimestamp, STATE_FILES } from "../engine/state/index.js";
import { toolFiles } from "./hook.js";
import type { HookAnswer } from "./hook-events.js";
import type { AgentIdentity } from "./identity.js";
import { placeFile } from "./paths.js";
import { lockedReason } from "./policy.js";

export async function fallbackDenial(
  identity: AgentIdentity,
  payload: Record<string, unknown>,
  now = new Date(),
): Promise<HookAnswer | undefined> {
  const files = toolFiles(payload)
    .map((absolute) => placeFile(absolute, identity.worktree, []))
    .flatMap((place) => (place.kind === "own" ? [place.file] : []));
  if (files.length === 0) return undefined;
  const text = await fsp.readFile(path.join(identity.stateDir, STATE_FILES.locks), "utf8");
  const locks = (JSON.parse(text) as { locks?: Record<string, Partial<LockInfo>> }).locks ?? {};
  const fold = await lockNamesFold(identity.repoRoot);
  for (const [key, entry] of Object.entries(locks)) {
    if (typeof entry?.agent !== "string" || entry.agent === identity.agent) continue;
    const expires = parseTimestamp(entry.expires);
    if (expires && expires.getTime() <= now.getTime()) continue;
    const file = files.find((f) => locksOverlap(key, f, fold));
    if (file === undefined) continue;
    const holder = {
      ...entry,
      path: key,
      agent: entry.agent,
      expires: String(entry.expires),
      expired: false,
    };
    return {
      output: {
        hookSpecificOutput: {
          hookEventName: "PreToolUse",
          permissionDecision: "deny",
          permissionDecisionReason: lockedReason(file, holder as LockInfo, now),
        },
      },
      warning: `tower hook PreToolUse for ${identity.agent}: Tower's state could not be used as usual; denied on the lock file as it reads`,
    };
  }
  return undefined;
}
