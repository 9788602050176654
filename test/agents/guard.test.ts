/**
 * The pre-commit guard of stream worktrees, with real git commits made as a plain shell agent
 * makes them: a commit touching a file another stream's agent holds, or outside the stream's
 * scope, is refused; the repository's own hooks still run; other worktrees are untouched.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  promises as fsp,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GIT_HOOKS, guardScript, installGuard } from "../../src/agents/guard.js";
import { StateFileError, StateStore } from "../../src/engine/state/index.js";
import { cleanEnv, git, makeRepo, type TempRepo, tower } from "../helpers/repo.js";

let repo: TempRepo;
let worktree: string;

beforeEach(async () => {
  repo = await makeRepo();
  const started = await tower(repo.root, ["start", "A"]);
  expect(started.code, started.stderr).toBe(0);
  worktree = path.join(path.dirname(repo.root), "demo-stream-A");
  git(worktree, "config", "user.email", "agent@example.com");
  git(worktree, "config", "user.name", "Agent");
});
afterEach(() => repo.cleanup());

/** `git commit` as an agent's shell runs it: exit code and what git and the hooks printed. */
function commit(cwd: string, file: string, message = "change"): { code: number; output: string } {
  const full = path.join(cwd, file);
  execFileSync("mkdir", ["-p", path.dirname(full)]);
  writeFileSync(full, `${message}\n`);
  git(cwd, "add", "--", file);
  const result = spawnSync("git", ["commit", "-m", message], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: cleanEnv({ TOWER_AGENT_ID: "A1", TOWER_STREAM: "A" }),
  });
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

const head = (cwd: string) => git(cwd, "rev-parse", "HEAD").trim();

describe("the pre-commit guard", () => {
  it("is installed by tower start for the stream worktree only", () => {
    const own = git(worktree, "config", "--worktree", "--get", "core.hooksPath").trim();
    expect(own).toBe(path.join(repo.stateDir, "git-hooks"));
    expect(() => git(repo.root, "config", "--worktree", "--get", "core.hooksPath")).toThrow();
  });

  it("refuses a commit of a file locked by an agent of another stream, naming the holder", async () => {
    await tower(repo.root, ["lock", "config/app.py", "--agent", "B1", "--task", "logging"]);
    const before = head(worktree);
    const result = commit(worktree, "config/app.py");
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'config/app.py is locked by agent B1, stream B, working on "logging"',
    );
    expect(result.output).toContain("Tower's pre-commit guard refused this commit of stream A");
    expect(head(worktree)).toBe(before);
    // The same file in the main worktree is not the guard's business.
    expect(commit(repo.root, "config/app.py").code).toBe(0);
  });

  it("lets a lock of the stream's own agents through, and an expired one", async () => {
    await tower(repo.root, ["lock", "config/app.py", "--agent", "A2"]);
    expect(commit(worktree, "config/app.py").code).toBe(0);
    await tower(repo.root, ["lock", "config/old.py", "--agent", "B1", "--ttl", "1s"]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(commit(worktree, "config/old.py").code).toBe(0);
  });

  it("checks what `git commit -a` commits (the commit's own index, not the usual one)", async () => {
    expect(commit(worktree, "config/app.py", "first").code).toBe(0);
    await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"]);
    writeFileSync(path.join(worktree, "config/app.py"), "second\n");
    const result = spawnSync("git", ["commit", "-a", "-m", "second"], {
      cwd: worktree,
      encoding: "utf8",
      env: cleanEnv(),
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("config/app.py is locked by agent B1");
  });

  it("refuses a file outside the scope with scope_mode enforce, warns with warn", async () => {
    const refusedCommit = commit(worktree, "logging/x.py");
    expect(refusedCommit.code).not.toBe(0);
    expect(refusedCommit.output).toContain(
      "logging/x.py is outside the scope of stream A (config/**)",
    );
    git(worktree, "reset", "-q");
    const plan = await fsp.readFile(path.join(repo.root, "streams.yaml"), "utf8");
    await fsp.writeFile(
      path.join(repo.root, "streams.yaml"),
      plan.replace("project: demo", "project: demo\nscope_mode: warn"),
    );
    const warned = commit(worktree, "logging/x.py");
    expect(warned.code).toBe(0);
    expect(warned.output).toContain(
      "tower: warning: logging/x.py is outside the scope of stream A",
    );
  });

  it("still runs the repository's own pre-commit hook, which can refuse too", () => {
    const hooks = path.join(repo.root, ".git/hooks");
    writeFileSync(
      path.join(hooks, "pre-commit"),
      `#!/bin/sh\necho ran >> "${path.join(repo.root, "..", "own-hook-ran")}"\n[ ! -f "${path.join(repo.root, "..", "refuse")}" ]\n`,
    );
    chmodSync(path.join(hooks, "pre-commit"), 0o755);
    expect(commit(worktree, "config/a.py").code).toBe(0);
    writeFileSync(path.join(repo.root, "..", "refuse"), "");
    expect(commit(worktree, "config/b.py").code).not.toBe(0);
    const ran = execFileSync("cat", [path.join(repo.root, "..", "own-hook-ran")], {
      encoding: "utf8",
    });
    expect(ran.trim().split("\n")).toEqual(["ran", "ran"]);
  });

  it("chains to a hooks folder set with core.hooksPath (husky style), relative to the worktree", () => {
    git(repo.root, "config", "core.hooksPath", ".husky");
    // The folder as committed in the stream's worktree.
    const husky = path.join(worktree, ".husky");
    execFileSync("mkdir", ["-p", husky]);
    writeFileSync(path.join(husky, "commit-msg"), `#!/bin/sh\ngrep -q "ticket" "$1"\n`);
    chmodSync(path.join(husky, "commit-msg"), 0o755);
    expect(commit(worktree, "config/c.py", "no reference").code).not.toBe(0);
    git(worktree, "reset", "-q");
    expect(commit(worktree, "config/c.py", "ticket 12").code).toBe(0);
  });

  it("writes no script through a link among them: refused, naming it, before any script is written", async () => {
    const hooks = path.join(repo.stateDir, "git-hooks");
    const before = readFileSync(path.join(hooks, "pre-commit"), "utf8");
    const victim = path.join(repo.root, "..", "victim.txt");
    writeFileSync(victim, "theirs\n");
    rmSync(path.join(hooks, "post-merge"));
    symlinkSync(victim, path.join(hooks, "post-merge"));
    // Another CLI path: every script would change.
    const moved = ["/elsewhere/node", "/elsewhere/tower.js"];
    const installed = installGuard(new StateStore(repo.stateDir), repo.root, worktree, moved);
    await expect(installed).rejects.toThrow(StateFileError);
    await expect(installed).rejects.toThrow(`${path.join(hooks, "post-merge")} is a symbolic link`);
    expect(readFileSync(victim, "utf8")).toBe("theirs\n");
    expect(readFileSync(path.join(hooks, "pre-commit"), "utf8")).toBe(before);
    // Once the link is gone, every script is written again, executable.
    rmSync(path.join(hooks, "post-merge"));
    await installGuard(new StateStore(repo.stateDir), repo.root, worktree, moved);
    for (const hook of GIT_HOOKS) {
      expect(readFileSync(path.join(hooks, hook), "utf8"), hook).toBe(guardScript(moved));
      expect(statSync(path.join(hooks, hook)).mode & 0o777, hook).toBe(0o755);
    }
    expect(readFileSync(victim, "utf8")).toBe("theirs\n");
  });
});
