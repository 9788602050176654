/**
 * Snapshots of a worktree's uncommitted work: a commit of its files as they are (tracked changes
 * and untracked files; ignored ones left out, as `git add -A` leaves them), made without touching
 * the worktree, its index or its branch, kept in the reflog of one ref of Tower's per stream
 * (`refs/tower/snapshots/<stream>`; untracked files over SNAPSHOT_FILE_LIMIT left out, and git
 * drops entries a month old at its next gc). They are the backstop for work no commit holds yet, which a
 * `git checkout .`, `git reset --hard`, `git stash` or `git clean` in the worktree (an agent's,
 * another agent's of the same stream) would throw away: `tower snapshots <stream>` lists them,
 * and `git restore --source=<snapshot> -- <file>` brings a file back (the control room's `B`
 * brings back all of one: bringBack).
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { git, lines } from "./run.js";
import { ignoredAmong } from "./worktrees.js";

/** The ref whose reflog holds a stream's snapshots. */
export const snapshotRef = (stream: string) => `refs/tower/snapshots/${stream}`;

/** Untracked files larger than this (bytes) are not in snapshots. */
export const SNAPSHOT_FILE_LIMIT = 20 * 1024 * 1024;

/** How long a snapshot waits for git's lock of its ref, held by another snapshot (ms). */
const REF_LOCK_WAIT_MS = 5_000;

/** Tower's name on its snapshots (a commit needs one; the user's may not be set). */
const IDENTITY = ["-c", "user.name=Tower", "-c", "user.email=tower@localhost"];

/**
 * Records a snapshot of `worktree` for `stream` when its files differ from its HEAD and from the
 * last snapshot; says which commit it made, or undefined when there was nothing new. No hook of
 * the repository runs for it.
 */
export async function recordSnapshot(
  worktree: string,
  stream: string,
  message: string,
): Promise<string | undefined> {
  // Where its index is, its HEAD and that commit's tree, in one call (a stream's worktree has a
  // HEAD: without one, this fails and no snapshot is taken).
  const [indexPath = "", head = "", headTree = ""] = lines(
    await git(worktree, ["rev-parse", "--git-path", "index", "HEAD", "HEAD^{tree}"]),
  );
  const index = path.resolve(worktree, indexPath);
  // A copy of the worktree's index, so that git hashes again only the files that changed; beside
  // it, in the repository's own folder (a snapshot cut off leaves nothing outside the repository).
  const temp = `${index}.tower-snapshot-${randomBytes(6).toString("hex")}`;
  try {
    await fsp.copyFile(index, temp).catch(() => {});
    const options = {
      allowEnvironment: ["GIT_INDEX_FILE"],
      allowHooksPath: true,
      env: { GIT_INDEX_FILE: temp },
    };
    const quiet = ["-c", "core.hooksPath=/dev/null"];
    // Untracked files too large to keep a copy of each time (a dataset nobody ignored) are left
    // out; everything else that git does not ignore goes in.
    const untracked = (await git(worktree, ["ls-files", "-z", "--others", "--exclude-standard"]))
      .split("\0")
      .filter((file) => file !== "");
    const large: string[] = [];
    for (const file of untracked) {
      const stat = await fsp.lstat(path.join(worktree, file)).catch(() => undefined);
      if (stat && stat.size > SNAPSHOT_FILE_LIMIT) large.push(`:(exclude,literal)${file}`);
    }
    await git(worktree, [...quiet, "add", "-A", "--", ".", ...large], options);
    const tree = (await git(worktree, [...quiet, "write-tree"], options)).trim();
    if (tree === headTree) return undefined;
    const ref = snapshotRef(stream);
    const last = (
      await git(worktree, ["rev-parse", "--verify", "-q", `${ref}^{tree}`]).catch(() => "")
    ).trim();
    if (tree === last) return undefined;
    const commit = (
      await git(worktree, [...IDENTITY, "commit-tree", tree, "-p", head, "-m", message])
    ).trim();
    // Another snapshot of the stream may be recording at this instant (the room's B beside an
    // agent's hook, `tower hook` in another process): git's lock of the ref is waited for.
    await git(
      worktree,
      [
        ...quiet,
        "-c",
        `core.filesRefLockTimeout=${REF_LOCK_WAIT_MS}`,
        "update-ref",
        "--create-reflog",
        "-m",
        message,
        ref,
        commit,
      ],
      { allowHooksPath: true },
    );
    return commit;
  } finally {
    await fsp.rm(temp, { force: true });
  }
}

export interface Snapshot {
  commit: string;
  /** When it was taken (ISO time). */
  at: string;
  message: string;
  /** The files it holds that differ from the commit it was taken on. */
  files: string[];
}

/**
 * A stream's snapshots, the newest first (the newest `limit` of them, given one), read in one
 * git call whatever their number (the reflog walked, each entry's files against its parent: a
 * snapshot is taken before and after every shell command).
 */
export async function listSnapshots(
  cwd: string,
  stream: string,
  limit?: number,
): Promise<Snapshot[]> {
  const count = limit === undefined ? [] : [`-n${limit}`];
  const result = await git(cwd, [
    "-c",
    "log.showSignature=false",
    "log",
    "-g",
    "-z",
    "--name-only",
    "--no-renames",
    "--no-color",
    ...count,
    // Each entry begins with \x01; its fields, then its files (after a line end), end with \0.
    "--format=%x01%H%x00%cI%x00%gs",
    snapshotRef(stream),
    "--",
  ]).catch(() => "");
  return result
    .split("\x01")
    .slice(1)
    .map((entry) => {
      const [commit = "", at = "", message = "", ...rest] = entry.split("\0");
      const files = rest
        .map((file, i) => (i === 0 && file.startsWith("\n") ? file.slice(1) : file))
        .filter((file) => file !== "");
      return { commit, at, message, files };
    });
}

/** What `bringBack` did: the files written, those left as they are, the snapshot taken first. */
export interface BroughtBack {
  files: string[];
  /** Files git ignores now, in the worktree: no snapshot holds what they hold, so not written. */
  kept: string[];
  before: string | undefined;
}

/**
 * Writes the files `commit` (one of `stream`'s snapshots: anything else is refused) holds that
 * differ from the commit it was taken on into `worktree`, as they were then: its index and its
 * branch untouched (they come back as changes). A snapshot of the worktree as it is goes first,
 * so that what the files replace can be had again too. A file the snapshot deleted stays as it is,
 * and so does one git ignores now (no snapshot could hold what it holds).
 */
export async function bringBack(
  worktree: string,
  stream: string,
  commit: string,
): Promise<BroughtBack> {
  // One of the stream's snapshots: its commit in the reflog (their ids only, not their files).
  const ids = await git(worktree, [
    "-c",
    "log.showSignature=false",
    "log",
    "-g",
    "--format=%H",
    snapshotRef(stream),
    "--",
  ]).catch(() => "");
  if (!lines(ids).includes(commit)) {
    throw new Error(
      `${commit.slice(0, 10)} is not a snapshot of stream ${stream} (tower snapshots ${stream} lists them)`,
    );
  }
  // The files it holds that differ from the commit it was taken on; not those it deleted.
  const all = (
    await git(worktree, [
      "diff-tree",
      "-r",
      "-z",
      "--no-commit-id",
      "--name-only",
      "--no-renames",
      "--diff-filter=d",
      commit,
      "--",
    ])
  )
    .split("\0")
    .filter((file) => file !== "");
  // A file git ignores now (its .gitignore changed since) is in no snapshot: writing over it
  // would lose what it holds.
  const kept = all.length === 0 ? [] : await ignoredAmong(worktree, all);
  const files = all.filter((file) => !kept.includes(file));
  const before = await recordSnapshot(
    worktree,
    stream,
    `before bringing back snapshot ${commit.slice(0, 10)}`,
  );
  if (files.length > 0) {
    await git(
      worktree,
      [
        "-c",
        "core.hooksPath=/dev/null",
        "restore",
        `--source=${commit}`,
        "--worktree",
        "--",
        ...files.map((file) => `:(literal)${file}`),
      ],
      { allowHooksPath: true },
    );
  }
  return { files, kept, before };
}
