/**
 * The invariants every fault run ends with ("no lost work, nothing escapes"), as one snapshot
 * taken before the run and checked after it:
 *
 * - no commit lost: every commit reachable before from a ref or a reflog (those of every linked
 *   worktree included: `git rev-list --all --reflog` reads them) is reachable after;
 * - no file lost: every tracked, untracked and ignored file of the main worktree and of every
 *   linked worktree is still there with the same content, or its content is kept in a commit
 *   that is still reachable (a stream's worktree removed after its merge, a file the merge or
 *   its rollback changed back); what the test itself wrote or removed is declared with `wrote`;
 * - no granted lock lost: every lock in file_locks.json at the snapshot, and every lock the test
 *   declared granted since, is still there for the same agent unless it expired or the test
 *   declared it released (or its fate unknown: a release killed midway);
 * - nothing written outside the repository and the temp folder: the sentinel folders (a fake
 *   HOME, a folder beside the repository that hostile links point into) are unchanged, file by
 *   file, and no name the test watches for appeared at the temp folder's top level (which other
 *   programs on the machine share, so only the test's markers can be asserted there);
 * - no agent process left: none whose environment has the repository as TOWER_REPO_ROOT.
 *
 * `check` returns the problems found, one sentence each, so that a test can count them over many
 * runs and print them all at once.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fsp, readdirSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readJsonFile, specs } from "../../src/engine/state/index.js";
import { cleanEnv } from "../helpers/repo.js";
import { agentProcesses } from "./agents.js";

export interface InvariantOptions {
  /** The main worktree. */
  root: string;
  /** The state directory (its locks are checked; its files, which change, are not snapshotted). */
  stateDir?: string;
  /** Folders below a worktree whose files change by design and are not snapshotted. */
  exclude?: string[];
  /** Folders outside the repository that nothing may change. */
  sentinels?: string[];
  /** The temp folder whose top level is watched (default: os.tmpdir()). */
  tempDir?: string;
  /** Names that must not appear at the temp folder's top level (a hostile command's marker). */
  tempMarkers?: string[];
}

/** `sha1("blob <size>\0" + content)`: the id git gives the same content. */
function blobId(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

function gitLines(cwd: string, ...args: string[]): string[] {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  })
    .split("\n")
    .filter((line) => line !== "");
}

/** The worktrees of the repository at `root`, main first (paths as git records them). */
export function worktreesOf(root: string): string[] {
  return gitLines(root, "worktree", "list", "--porcelain")
    .filter((line) => line.startsWith("worktree "))
    .map((line) => line.slice("worktree ".length));
}

/** Every commit reachable from a ref or a reflog entry, linked worktrees' included. */
export function reachableCommits(root: string): Set<string> {
  return new Set(gitLines(root, "rev-list", "--all", "--reflog"));
}

/** Every blob that a reachable commit holds: content git keeps. */
function reachableBlobs(root: string): Set<string> {
  const blobs = new Set<string>();
  for (const line of gitLines(root, "rev-list", "--objects", "--all", "--reflog")) {
    blobs.add(line.slice(0, 40));
  }
  return blobs;
}

/** `relative path -> blob id` (or `link:<target>`) of every file below `dir`, `.git` aside. */
async function filesIn(dir: string, skip: (abs: string) => boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (folder: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fsp.readdir(folder, { withFileTypes: true });
    } catch {
      return; // gone meanwhile
    }
    for (const entry of entries) {
      const abs = path.join(folder, entry.name);
      if (folder === dir && entry.name === ".git") continue;
      if (skip(abs)) continue;
      if (entry.isDirectory()) await walk(abs);
      else if (entry.isSymbolicLink()) {
        out.set(path.relative(dir, abs), `link:${await fsp.readlink(abs).catch(() => "?")}`);
      } else if (entry.isFile()) {
        try {
          out.set(path.relative(dir, abs), blobId(await fsp.readFile(abs)));
        } catch {}
      }
    }
  };
  await walk(dir);
  return out;
}

/** The names at the top level of `dir`. */
function topLevel(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}

interface LockHolder {
  agent: string;
}

async function readLocks(stateDir: string): Promise<Map<string, LockHolder & { expires: Date }>> {
  const file = await readJsonFile(path.join(stateDir, "file_locks.json"), specs.locks);
  const out = new Map<string, LockHolder & { expires: Date }>();
  for (const [key, entry] of Object.entries(file.locks)) {
    out.set(key, { agent: entry.agent, expires: new Date(entry.expires) });
  }
  return out;
}

export class Invariants {
  private commits = new Set<string>();
  /** Worktree -> its files (relative path -> blob id). */
  private files = new Map<string, Map<string, string>>();
  private sentinels = new Map<string, Map<string, string>>();
  private temp = new Set<string>();
  /** Locks that must still be there, with their holder. */
  private locks = new Map<string, LockHolder>();
  /** Files the test wrote (blob id) or removed (null) itself since the snapshot. */
  private declared = new Map<string, string | null>();
  readonly root: string;

  private constructor(private readonly options: InvariantOptions) {
    this.root = realpathSync(options.root);
  }

  static async take(options: InvariantOptions): Promise<Invariants> {
    const snapshot = new Invariants(options);
    await snapshot.retake();
    return snapshot;
  }

  /** Takes the snapshot again (from here on, what is there now is what must not be lost). */
  async retake(): Promise<void> {
    this.commits = reachableCommits(this.root);
    this.files = await this.worktreeFiles();
    this.sentinels = new Map();
    for (const dir of this.options.sentinels ?? []) {
      this.sentinels.set(dir, await filesIn(dir, () => false));
    }
    this.temp = topLevel(this.options.tempDir ?? os.tmpdir());
    this.locks = new Map();
    this.declared = new Map();
    if (this.options.stateDir) {
      for (const [key, lock] of await readLocks(this.options.stateDir)) {
        if (lock.expires.getTime() > Date.now() + 60_000) this.locks.set(key, lock);
      }
    }
  }

  private skip = (abs: string): boolean =>
    [this.options.stateDir, ...(this.options.exclude ?? [])].some(
      (dir) => dir !== undefined && (abs === dir || abs.startsWith(`${dir}/`)),
    );

  private async worktreeFiles(): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    for (const worktree of worktreesOf(this.root)) {
      // A stream worktree's .claude/state is the link Tower made to the shared state directory
      // (its files are checked there): not work, and gone with the worktree after a merge.
      const link = path.join(worktree, ".claude/state");
      out.set(worktree, await filesIn(worktree, (abs) => abs === link || this.skip(abs)));
    }
    return out;
  }

  /** A lock the test saw granted (its command succeeded): it must be there at the check. */
  granted(key: string, agent: string): void {
    this.locks.set(key, { agent });
  }

  /** A lock released for sure, or whose release was cut short (it may be there or not). */
  released(key: string): void {
    this.locks.delete(key);
  }

  /** The test itself wrote `file` (absolute) with `content`, or removed it (null). */
  wrote(file: string, content: string | Buffer | null): void {
    this.declared.set(
      path.resolve(file),
      content === null ? null : blobId(Buffer.from(content as string)),
    );
  }

  /** Every problem found since the snapshot (empty when every invariant holds). */
  async check(): Promise<string[]> {
    const problems: string[] = [];
    const commits = reachableCommits(this.root);
    for (const commit of this.commits) {
      if (!commits.has(commit)) problems.push(`commit ${commit} is no longer reachable`);
    }
    problems.push(...(await this.lostFiles()));
    if (this.options.stateDir) problems.push(...(await this.lostLocks(this.options.stateDir)));
    for (const [dir, before] of this.sentinels) {
      const after = await filesIn(dir, () => false);
      for (const [file, id] of after) {
        if (before.get(file) !== id) problems.push(`${path.join(dir, file)} was written`);
      }
      for (const file of before.keys()) {
        if (!after.has(file)) problems.push(`${path.join(dir, file)} was removed`);
      }
    }
    const tempDir = this.options.tempDir ?? os.tmpdir();
    for (const name of topLevel(tempDir)) {
      if (!this.temp.has(name) && (this.options.tempMarkers ?? []).includes(name)) {
        problems.push(`${path.join(tempDir, name)} appeared`);
      }
    }
    for (const left of agentProcesses(this.root)) {
      problems.push(`agent ${left.agent}'s process ${left.pid} is still running`);
    }
    return problems;
  }

  private async lostFiles(): Promise<string[]> {
    const problems: string[] = [];
    const after = await this.worktreeFiles();
    let blobs: Set<string> | undefined;
    for (const [worktree, before] of this.files) {
      const now = after.get(worktree) ?? new Map<string, string>();
      for (const [file, id] of before) {
        const abs = path.join(worktree, file);
        const expected = this.declared.has(abs) ? this.declared.get(abs) : id;
        if (expected === null || now.get(file) === expected) continue;
        if (expected === undefined) continue;
        blobs ??= reachableBlobs(this.root);
        if (!expected.startsWith("link:") && blobs.has(expected)) continue;
        problems.push(
          now.has(file)
            ? `${abs} was changed (its content ${expected.slice(0, 10)} is nowhere in git either)`
            : `${abs} is gone (its content ${expected.slice(0, 10)} is nowhere in git either)`,
        );
      }
    }
    // Files the test wrote after the snapshot that were not there before.
    for (const [abs, expected] of this.declared) {
      if (expected === null) continue;
      const worktree = [...after.keys()].find((w) => abs.startsWith(`${w}/`));
      const file = worktree ? path.relative(worktree, abs) : undefined;
      if (worktree && file && this.files.get(worktree)?.has(file)) continue;
      if (worktree && file && after.get(worktree)?.get(file) === expected) continue;
      blobs ??= reachableBlobs(this.root);
      if (blobs.has(expected)) continue;
      problems.push(`${abs}, written during the run, is gone`);
    }
    return problems;
  }

  private async lostLocks(stateDir: string): Promise<string[]> {
    let now: Awaited<ReturnType<typeof readLocks>>;
    try {
      now = await readLocks(stateDir);
    } catch (error) {
      return [`file_locks.json cannot be read: ${(error as Error).message}`];
    }
    const gone: string[] = [];
    const problems: string[] = [];
    for (const [key, lock] of this.locks) {
      const found = now.get(key);
      if (!found) gone.push(`${key} (${lock.agent})`);
      else if (found.agent !== lock.agent) {
        problems.push(`the lock on ${key} granted to ${lock.agent} is held by ${found.agent}`);
      }
    }
    if (gone.length > 0) {
      const some = gone.slice(0, 5).join(", ") + (gone.length > 5 ? ", ..." : "");
      problems.push(
        `${gone.length} granted lock${gone.length === 1 ? " is" : "s are"} gone: ${some}`,
      );
    }
    return problems;
  }
}
