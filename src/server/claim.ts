/**
 * The repository's claim on its one server, in its git folder (`.git/tower-server.json`): the
 * server holds an exclusive flock(2) on the file for as long as it runs, and the file names the
 * server and its room folder.
 *
 * Why: the room folder is found from the runtime folder (runtime-dir.ts: XDG_RUNTIME_DIR, else
 * the temp folder), and two terminals of one user do not always agree on it (`su`, a service, an
 * SSH login without a login session, a tmux server started before one). A `tower` there found
 * no server in its folder and started a second one beside the first: it showed every running
 * agent as not running, `tower ps` said no agent ran, and the two rooms wrote the same state
 * files. Now the claim decides, whatever the folder: a second server refuses to start, and the
 * clients (`tower`, `tower attach`, `tower ps`, `tower server stop`, `tower server --stdio`)
 * join the server the claim names when their own folder has none.
 *
 * The lock, not the file, says whether a server runs: the kernel drops it when the server's
 * process ends, kill -9 included, so a stale file claims nothing. Clients do not lock: they
 * read the file and accept its folder only if it is a private folder of this user in which
 * that server (pid and repository) answers. The file is opened without following a symlink,
 * mode 0600; a repository whose git folder cannot hold it (read-only, an unusual layout) goes
 * without a claim, as before.
 *
 * A control room that hosts the agents itself (`tower --in-process`) holds the claim too, so
 * that no server starts beside it, and it starts only where no server runs.
 *
 * The server takes the claim with take-claim.ts; this module is what the clients read, without
 * the native flock module (`tower attach` bundles it: cli/attach-main.ts).
 */
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { dotGitFolder } from "../engine/git/main-root.js";
import { checkPrivate } from "../room/runtime-dir.js";
import { liveServer, type ServerInfo } from "./info.js";

export const CLAIM_FILE = "tower-server.json";

/** The repository's path as every process names it (the room folder's name is made from it). */
export function real(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return folder;
  }
}

/**
 * What the claim file says: the process holding it, its room folder, and what it is: a server,
 * or a control room hosting the agents in its own process (`tower --in-process`).
 */
export interface Claim {
  pid: number;
  dir: string;
  repo: string;
  host: ClaimHost;
}

export type ClaimHost = "server" | "in-process";

/**
 * The claim file of the repository whose main worktree is `mainRoot`: in its `.git` folder, or
 * the folder a `.git` file names (`git init --separate-git-dir`); undefined for anything else.
 */
export function claimPath(mainRoot: string): string | undefined {
  try {
    const dotGit = dotGitFolder(mainRoot);
    if (dotGit && dotGit.kind !== "other") return path.join(dotGit.gitDir, CLAIM_FILE);
  } catch {}
  return undefined;
}

/** The claim file's record, or undefined when there is none or it is not one. */
export function readClaim(mainRoot: string): Claim | undefined {
  const file = claimPath(mainRoot);
  if (!file) return undefined;
  try {
    const stat = lstatSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size > 4096) return undefined;
    const record = JSON.parse(readFileSync(file, "utf8")) as Partial<Claim>;
    if (
      typeof record.pid === "number" &&
      typeof record.dir === "string" &&
      path.isAbsolute(record.dir) &&
      typeof record.repo === "string"
    ) {
      const host = record.host === "in-process" ? "in-process" : "server";
      return { pid: record.pid, dir: record.dir, repo: record.repo, host };
    }
  } catch {}
  return undefined;
}

/**
 * The room folder whose server serves the repository, when it is not `own` (the folder this
 * process's runtime folder gives): the claim's, if a server of this user answers for the
 * repository there. Undefined otherwise.
 */
export async function claimedRoomDir(mainRoot: string, own: string): Promise<string | undefined> {
  return (await claimedServer(mainRoot, own))?.dir;
}

/** claimedRoomDir's folder, with the server.json it read there. */
export async function claimedServer(
  mainRoot: string,
  own: string,
): Promise<{ dir: string; info: ServerInfo } | undefined> {
  const claim = readClaim(mainRoot);
  const repo = real(mainRoot);
  if (!claim || claim.dir === own || claim.repo !== repo || claim.host !== "server") {
    return undefined;
  }
  try {
    if (!(await checkPrivate(claim.dir))) return undefined;
  } catch {
    return undefined;
  }
  const info = await liveServer(claim.dir);
  return info?.pid === claim.pid && real(info.repo) === repo ? { dir: claim.dir, info } : undefined;
}

/** Why a room cannot be hosted here: the process holding the repository's claim, said so. */
export function claimedBy(other: Claim | undefined, mainRoot: string): string {
  if (other?.host === "in-process") {
    return `a Tower control room (pid ${other.pid}) hosts the agents of ${mainRoot} in its own process (tower --in-process): quit it first`;
  }
  return `another Tower server${other ? ` (pid ${other.pid})` : ""} already serves ${mainRoot}: attach to it (tower attach), or stop it first (tower server stop)`;
}
