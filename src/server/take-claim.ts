/**
 * Taking the repository's server claim (claim.ts says what it is): an exclusive flock(2) on the
 * claim file, held by the server's process, and the record written in it. Apart from claim.ts
 * so that the clients, which only read the record, do not load the native flock module.
 */
import { closeSync, constants, ftruncateSync, openSync, writeSync } from "node:fs";
import { tryLockExclusive } from "../engine/state/flock.js";
import { type Claim, type ClaimHost, claimPath, readClaim, real } from "./claim.js";
import { isAlive } from "./info.js";

export type ClaimResult =
  /**
   * This process holds the claim now (or the repository cannot hold one: `file` undefined),
   * until `release` or the process's end.
   */
  | { held: true; file: string | undefined; release(): void }
  /** Another process holds it; what its file says, once it says something. */
  | { held: false; other: Claim | undefined };

const NO_CLAIM: ClaimResult = { held: true, file: undefined, release: () => {} };

/**
 * Takes the repository's claim for this process (a server, or a control room hosting the room
 * itself), whose room folder is `dir`, and writes the record. Fails soft: a file that cannot be
 * opened (a read-only git folder, a symlink in its place) is no claim, and the server goes on
 * as before there was one.
 */
export function takeClaim(mainRoot: string, dir: string, host: ClaimHost = "server"): ClaimResult {
  const file = claimPath(mainRoot);
  if (!file) return NO_CLAIM;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch {
    return NO_CLAIM;
  }
  let locked: boolean;
  try {
    locked = tryLockExclusive(fd);
  } catch {
    closeSync(fd);
    return NO_CLAIM;
  }
  if (!locked) {
    closeSync(fd);
    return { held: false, other: readClaim(mainRoot) };
  }
  const record: Claim = { pid: process.pid, dir, repo: real(mainRoot), host };
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, `${JSON.stringify(record)}\n`, 0);
  } catch {}
  let open = true;
  const release = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return { held: true, file, release };
}

/** How long a claim's holder may take to write its record (it does right after the lock). */
const CLAIM_RECORD_MS = 1_000;

/**
 * Takes the claim, or says who holds it: waits (up to a second) for the holder's record when
 * the file does not name a live process yet (its holder writes it right after the lock).
 */
export async function claimOrWait(
  mainRoot: string,
  dir: string,
  host: ClaimHost,
): Promise<ClaimResult> {
  const deadline = Date.now() + CLAIM_RECORD_MS;
  for (;;) {
    const claim = takeClaim(mainRoot, dir, host);
    if (claim.held) return claim;
    const other = claim.other;
    if (other && other.pid !== process.pid && isAlive(other.pid)) return claim;
    if (Date.now() > deadline) return { held: false, other: undefined };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
