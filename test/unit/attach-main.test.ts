/**
 * The quick `tower attach` (src/cli/attach-main.ts): which command lines it takes (the rest goes
 * through the full command line), and that it finds the same main worktree as the engine does,
 * from the main worktree, a folder in it and a linked worktree, by reading `.git` itself.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fastAttachArgs } from "../../src/cli/attach-main.js";
import { mainRootOf } from "../../src/engine/git/main-root.js";
import { locateRepo } from "../../src/engine/git/repo.js";
import { git } from "../helpers/repo.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("fastAttachArgs", () => {
  it("takes --start, --mouse, --ssh and a repository, and leaves anything else to the command line", () => {
    expect(fastAttachArgs([])).toEqual({ start: false, mouse: false });
    expect(fastAttachArgs(["--start", "--mouse"])).toEqual({ start: true, mouse: true });
    expect(fastAttachArgs(["--ssh", "me@host:/src"])).toEqual({
      ssh: "me@host:/src",
      start: false,
      mouse: false,
    });
    expect(fastAttachArgs(["--ssh=me@host"])?.ssh).toBe("me@host");
    expect(fastAttachArgs(["../shop", "--mouse"])).toEqual({
      repository: "../shop",
      start: false,
      mouse: true,
    });
    for (const args of [
      ["--help"],
      ["-h"],
      ["--ssh"],
      ["--ssh", "--start"],
      ["one", "two"],
      ["--ssh=me@host", "shop"],
      ["--ssh="],
    ])
      expect(fastAttachArgs(args)).toBeUndefined();
  });
});

describe("mainRootOf", () => {
  it("finds the main worktree as git does, from anywhere in the repository or a linked worktree", async () => {
    const parent = realpathSync(mkdtempSync(path.join(os.tmpdir(), "tower-root-")));
    dirs.push(parent);
    const root = path.join(parent, "repo");
    mkdirSync(path.join(root, "src", "deep"), { recursive: true });
    git(parent, "init", "-q", root);
    git(
      root,
      "-c",
      "user.email=t@e",
      "-c",
      "user.name=T",
      "commit",
      "-q",
      "--allow-empty",
      "-m",
      "x",
    );
    const linked = path.join(parent, "linked");
    git(root, "worktree", "add", "-q", "-b", "side", linked);
    mkdirSync(path.join(linked, "sub"), { recursive: true });
    for (const cwd of [root, path.join(root, "src", "deep"), linked, path.join(linked, "sub")]) {
      expect(await mainRootOf(cwd)).toBe(root);
      expect(await mainRootOf(cwd)).toBe((await locateRepo(cwd)).mainRoot);
    }
    const outside = mkdtempSync(path.join(os.tmpdir(), "tower-none-"));
    dirs.push(outside);
    await expect(mainRootOf(outside)).rejects.toThrow(/is not inside a git repository/);
  });
});
