/**
 * The repository's claim on its one server (src/server/claim.ts, take-claim.ts): held by one descriptor at a
 * time, its record read back, and nothing written through a link or taken from a record that is
 * not one. (The claim across two runtime folders, end to end: test/server/room-folder.test.ts.)
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLAIM_FILE, claimedRoomDir, claimPath, readClaim } from "../../src/server/claim.js";
import { takeClaim } from "../../src/server/take-claim.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A folder with a `.git` folder (all the claim reads of a repository). */
function repository(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "tower-test-claim-"));
  folders.push(root);
  mkdirSync(path.join(root, ".git"));
  return root;
}

describe("the repository's server claim", () => {
  it("is held by one descriptor at a time; the record names the holder; released, it can be taken", () => {
    const root = repository();
    const first = takeClaim(root, "/run/one");
    expect(first).toMatchObject({ held: true, file: path.join(root, ".git", CLAIM_FILE) });
    expect(statSync(path.join(root, ".git", CLAIM_FILE)).mode & 0o777).toBe(0o600);
    expect(readClaim(root)).toEqual({
      pid: process.pid,
      dir: "/run/one",
      repo: root,
      host: "server",
    });
    // flock(2) locks belong to the open file: a second open, even in this process, is refused.
    expect(takeClaim(root, "/run/two")).toEqual({
      held: false,
      other: { pid: process.pid, dir: "/run/one", repo: root, host: "server" },
    });
    if (first.held) first.release();
    const second = takeClaim(root, "/run/two");
    expect(second.held).toBe(true);
    expect(readClaim(root)?.dir).toBe("/run/two");
    if (second.held) second.release();
  });

  it("never writes through a link in its place, and claims nothing there", () => {
    const root = repository();
    const target = path.join(root, "elsewhere.txt");
    writeFileSync(target, "not Tower's\n");
    symlinkSync(target, path.join(root, ".git", CLAIM_FILE));
    expect(takeClaim(root, "/run/one")).toMatchObject({ held: true, file: undefined });
    expect(readFileSync(target, "utf8")).toBe("not Tower's\n");
    expect(readClaim(root)).toBeUndefined();
  });

  it("reads a record that is not one as none, and follows it only to a live server of this repository", async () => {
    const root = repository();
    const file = path.join(root, ".git", CLAIM_FILE);
    writeFileSync(file, "{ half a rec");
    expect(readClaim(root)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ pid: "1", dir: "relative/dir", repo: root }));
    expect(readClaim(root)).toBeUndefined();
    // A well-formed record whose folder has no server (or is not a private folder): not followed.
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-test-claim-dir-"));
    folders.push(dir);
    writeFileSync(file, JSON.stringify({ pid: process.pid, dir, repo: root }));
    expect(readClaim(root)).toEqual({ pid: process.pid, dir, repo: root, host: "server" });
    expect(await claimedRoomDir(root, "/run/own")).toBeUndefined();
  });

  it("lives in the folder a .git file names (git init --separate-git-dir)", () => {
    const root = repository();
    rmSync(path.join(root, ".git"), { recursive: true });
    writeFileSync(path.join(root, ".git"), "gitdir: ../separate.git\n");
    expect(claimPath(root)).toBe(path.join(path.dirname(root), "separate.git", CLAIM_FILE));
  });
});
