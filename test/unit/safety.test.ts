/**
 * Tower never runs a git command that can throw away work on its own: no `branch -D`, no
 * `worktree remove --force`, no `reset --hard`, no `clean`. This reads the git module, where every
 * git call lives, and fails if one of them appears. One exception, named here: git removes no
 * worktree with a submodule checked out but with `--force`, which removeWorktree gives only when
 * its caller says so, and the one caller (the cleanup after a merge) says so only once it has
 * looked into the worktree and each submodule and found nothing that would be lost.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../helpers/repo.js";

const sources = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));

describe("destructive git commands", () => {
  // Tower itself; src/fake-agent stands in for an AI agent and commits in its worktree as one would.
  const files = ["engine", "pty", "cli", "ui"].flatMap((dir) => {
    const full = path.join(PROJECT_ROOT, "src", dir);
    return existsSync(full) ? sources(full) : [];
  });
  it("are not run anywhere in the engine, where all git calls are", () => {
    const forbidden = [/"-D"/, /"--force"/, /"-f"/, /"--hard"/, /"clean"/, /"-d",\s*"-f"/];
    const found: string[] = [];
    for (const file of files.filter((f) => f.includes(`${path.sep}engine${path.sep}`))) {
      let text = readFileSync(file, "utf8");
      // The exception (see above): only in removeWorktree, only when its caller says so.
      if (file.endsWith(path.join("engine", "git", "worktrees.ts"))) {
        const exception = 'const force = options.submodules ? ["--force"] : [];';
        expect(text.split('"--force"').length - 1).toBe(1);
        text = text.replace(exception, "");
      }
      for (const pattern of forbidden)
        if (pattern.test(text)) found.push(`${path.relative(PROJECT_ROOT, file)}: ${pattern}`);
    }
    expect(found).toEqual([]);
  });
  it("remove a worktree with --force only from the cleanup, once it found nothing there to lose", () => {
    const callers = files.filter((f) => /submodules:\s/.test(readFileSync(f, "utf8")));
    expect(callers.map((f) => path.relative(PROJECT_ROOT, f))).toEqual([
      path.join("src", "engine", "orchestrator", "cleanup.ts"),
    ]);
    const cleanup = readFileSync(callers[0] as string, "utf8");
    // The keep reasons (the worktree's own and its submodules') come first; removal only without one.
    expect(cleanup).toMatch(
      /\(await worktreeKeepReason\([^)]*\)\) \?\?\s*\(await submodulesKeepReason\([^)]*\)\);\s*if \(reason\)[^;]*;\s*else \{\s*const refusal = await removeWorktree\(/,
    );
  });
  it("git runs only from src/engine/git", () => {
    const outside = files.filter(
      (f) =>
        !f.includes(`${path.sep}engine${path.sep}git${path.sep}`) &&
        /simple-git|from "node:child_process"|execFile\(\s*"git"/.test(readFileSync(f, "utf8")),
    );
    expect(outside.map((f) => path.relative(PROJECT_ROOT, f))).toEqual([]);
  });
});
