/**
 * The pre-commit guard of stream worktrees, with real git commits made as a plain shell agent
 * makes them: a commit touching a file another stream's agent holds, or outside the stream's
 * scope, is refused; the repository's own hooks still run; other worktrees are untouched.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  promises as fsp,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GIT_HOOKS, guardEnvironment, guardScript, installGuard } from "../../src/agents/guard.js";
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

  it("refuses a commit of a name that differs from a held file's only in case where git takes them for one (core.ignorecase)", async () => {
    await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"]);
    git(repo.root, "config", "core.ignorecase", "true");
    const before = head(worktree);
    const result = commit(worktree, "config/App.py");
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("config/App.py is locked by agent B1");
    expect(head(worktree)).toBe(before);
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

  it("chains to your global core.hooksPath when the repository sets none", () => {
    const global = path.join(path.dirname(repo.root), "global-hooks");
    const ran = path.join(path.dirname(repo.root), "global-hook-ran");
    mkdirSync(global);
    writeFileSync(path.join(global, "commit-msg"), `#!/bin/sh\necho ran > "${ran}"\n`);
    chmodSync(path.join(global, "commit-msg"), 0o755);
    const config = path.join(path.dirname(repo.root), "global.gitconfig");
    writeFileSync(config, `[core]\n\thooksPath = ${global}\n`);
    mkdirSync(path.join(worktree, "config"), { recursive: true });
    writeFileSync(path.join(worktree, "config/g.py"), "g\n");
    git(worktree, "add", "config/g.py");
    const result = spawnSync("git", ["commit", "-q", "-m", "global"], {
      cwd: worktree,
      encoding: "utf8",
      env: cleanEnv({ GIT_CONFIG_GLOBAL: config }),
    });
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(ran, "utf8")).toBe("ran\n");
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

/** A git command as an agent's shell runs it in `cwd`: exit code and what git and the hooks printed. */
function run(cwd: string, ...args: string[]): { code: number; output: string } {
  const result = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: cleanEnv({ TOWER_AGENT_ID: "A1", TOWER_STREAM: "A" }),
  });
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

describe("the guard, whatever moves the stream's branch", () => {
  let branch: string;
  let base: string;
  beforeEach(() => {
    branch = git(worktree, "rev-parse", "--abbrev-ref", "HEAD").trim();
    base = git(repo.root, "rev-parse", "--abbrev-ref", "HEAD").trim();
    // A commit changing config/app.py on a side branch, made before anyone locked it.
    git(worktree, "checkout", "-q", "-b", "side");
    expect(commit(worktree, "config/app.py", "side change").code).toBe(0);
    git(worktree, "checkout", "-q", branch);
  });

  const lockedByB1 = () => tower(repo.root, ["lock", "config/app.py", "--agent", "B1"]);

  /** Refused, and the branch where it was (a refused rebase leaves HEAD detached, as git does). */
  const refusedBy = (result: { code: number; output: string }, before: string) => {
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toContain("config/app.py is locked by agent B1, stream B");
    expect(git(worktree, "rev-parse", branch).trim()).toBe(before);
  };

  for (const [name, args] of [
    ["git cherry-pick", ["cherry-pick", "side"]],
    ["git merge --ff-only", ["merge", "--ff-only", "side"]],
    ["git merge --no-ff", ["merge", "--no-ff", "-m", "merge side", "side"]],
    ["git rebase", ["rebase", "-q", "side"]],
    ["git reset", ["reset", "-q", "--soft", "side"]],
  ] as const) {
    it(`refuses ${name} bringing a change to a file another stream holds`, async () => {
      await lockedByB1();
      const before = head(worktree);
      refusedBy(run(worktree, ...args), before);
    });
  }

  it("refuses git commit --no-verify (which skips pre-commit) of a file another stream holds", async () => {
    await lockedByB1();
    const before = head(worktree);
    mkdirSync(path.join(worktree, "config"), { recursive: true });
    writeFileSync(path.join(worktree, "config/app.py"), "past the pre-commit hook\n");
    git(worktree, "add", "config/app.py");
    refusedBy(run(worktree, "commit", "--no-verify", "-m", "no verify"), before);
  });

  it("refuses git am of a patch to a file another stream holds", async () => {
    const patch = path.join(path.dirname(repo.root), "side.patch");
    writeFileSync(patch, git(worktree, "format-patch", "-1", "--stdout", "side"));
    await lockedByB1();
    const before = head(worktree);
    refusedBy(run(worktree, "am", patch), before);
    run(worktree, "am", "--abort");
  });

  it("lets a catch-up merge of the base through, with the base's changes to files another stream holds", async () => {
    mkdirSync(path.join(repo.root, "config"), { recursive: true });
    writeFileSync(path.join(repo.root, "config/app.py"), "from the base\n");
    git(repo.root, "add", "config/app.py");
    git(repo.root, "commit", "-q", "-m", "B's work, merged");
    await lockedByB1();
    const merged = run(worktree, "merge", "--no-edit", base);
    expect(merged.code, merged.output).toBe(0);
    expect(readFileSync(path.join(worktree, "config/app.py"), "utf8")).toBe("from the base\n");
  });

  it("lets a catch-up merge resolved with the base's side through, and refuses the stream's own change in it", async () => {
    expect(commit(worktree, "config/app.py", "the stream's").code).toBe(0);
    mkdirSync(path.join(repo.root, "config"), { recursive: true });
    writeFileSync(path.join(repo.root, "config/app.py"), "the base's\n");
    git(repo.root, "add", "config/app.py");
    git(repo.root, "commit", "-q", "-m", "B's work, merged");
    await lockedByB1();
    expect(run(worktree, "merge", base).code).not.toBe(0);
    // Resolved with a change of the stream's own: refused.
    writeFileSync(path.join(worktree, "config/app.py"), "both\n");
    git(worktree, "add", "config/app.py");
    const before = head(worktree);
    refusedBy(run(worktree, "commit", "--no-edit"), before);
    // Resolved with the base's side: the stream changes nothing there.
    git(worktree, "checkout", base, "--", "config/app.py");
    const resolved = run(worktree, "commit", "--no-edit");
    expect(resolved.code, resolved.output).toBe(0);
  });

  it("refuses moving the base branch from a stream's worktree", () => {
    const before = git(repo.root, "rev-parse", base).trim();
    const moved = run(worktree, "update-ref", `refs/heads/${base}`, "side");
    expect(moved.code).not.toBe(0);
    expect(moved.output).toContain(`tower merge`);
    expect(git(repo.root, "rev-parse", base).trim()).toBe(before);
  });

  it("still runs the repository's own reference-transaction hook, with the updates on its input", () => {
    const hooks = path.join(repo.root, ".git/hooks");
    const seen = path.join(repo.root, "..", "ref-updates");
    writeFileSync(
      path.join(hooks, "reference-transaction"),
      `#!/bin/sh\n[ "$1" = committed ] && cat >> "${seen}"\nexit 0\n`,
    );
    chmodSync(path.join(hooks, "reference-transaction"), 0o755);
    expect(commit(worktree, "config/own.py").code).toBe(0);
    expect(readFileSync(seen, "utf8")).toContain(`refs/heads/${branch}`);
  });
});

/**
 * An agent's own git finds the guard through its environment (guardEnvironment, as the room's
 * launch gives it) in any worktree: one it makes itself, the main worktree, another stream's.
 */
describe("the guard of an agent's git, wherever it runs", () => {
  let branch: string;
  let base: string;
  let scratch: string;
  const agentEnv = (agent = "A1", stream = "A") =>
    cleanEnv({
      TOWER_AGENT_ID: agent,
      TOWER_STREAM: stream,
      TOWER_WORKTREE: worktree,
      TOWER_REPO_ROOT: repo.root,
      TOWER_STATE_DIR: repo.stateDir,
      ...guardEnvironment(path.join(repo.stateDir, "git-hooks"), {}),
    });
  /** git as agent A1's shell runs it. */
  const agentGit = (cwd: string, ...args: string[]) => {
    const result = spawnSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: agentEnv(),
    });
    return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
  };
  const write = (cwd: string, file: string, text: string) => {
    mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
    writeFileSync(path.join(cwd, file), text);
  };

  beforeEach(() => {
    branch = git(worktree, "rev-parse", "--abbrev-ref", "HEAD").trim();
    base = git(repo.root, "rev-parse", "--abbrev-ref", "HEAD").trim();
    scratch = path.join(path.dirname(repo.root), "scratch");
    const made = agentGit(worktree, "worktree", "add", "-q", "-b", "scratch", scratch, branch);
    expect(made.code, made.output).toBe(0);
  });

  it("refuses moving its stream's branch from a worktree it made to a commit of a file another stream holds", async () => {
    await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"]);
    write(scratch, "config/app.py", "past the stream's worktree\n");
    expect(agentGit(scratch, "add", "config/app.py").code).toBe(0);
    // A branch of its own is nobody's: the commit stays there.
    const committed = agentGit(scratch, "commit", "-q", "-m", "elsewhere");
    expect(committed.code, committed.output).toBe(0);
    const before = head(worktree);
    const moved = agentGit(scratch, "update-ref", `refs/heads/${branch}`, "scratch");
    expect(moved.code).not.toBe(0);
    expect(moved.output).toContain("config/app.py is locked by agent B1, stream B");
    expect(moved.output).toContain(`guard refused this change of ${branch}`);
    expect(git(worktree, "rev-parse", branch).trim()).toBe(before);
    // The same git without the variable (a person's shell) is not stopped there.
    expect(git(scratch, "update-ref", `refs/heads/${branch}`, "scratch")).toBe("");
  });

  it("refuses its commit in the main worktree: the base moves only by tower merge", () => {
    const before = git(repo.root, "rev-parse", base).trim();
    write(repo.root, "notes.txt", "an agent's note\n");
    expect(agentGit(repo.root, "add", "notes.txt").code).toBe(0);
    const committed = agentGit(repo.root, "commit", "-q", "-m", "on the base");
    expect(committed.code).not.toBe(0);
    expect(committed.output).toContain(
      `the base branch ${base} moves only by \`tower merge\` (or by you in the main worktree), not by agent A1's git`,
    );
    expect(git(repo.root, "rev-parse", base).trim()).toBe(before);
    // A person commits there as before.
    expect(commit(repo.root, "notes.txt").code).toBe(0);
  });

  it("refuses its deleting a stream's branch", () => {
    git(worktree, "checkout", "-q", "--detach");
    const deleted = agentGit(scratch, "update-ref", "-d", `refs/heads/${branch}`);
    expect(deleted.code).not.toBe(0);
    expect(deleted.output).toContain(
      `${branch} is stream A's branch: Tower deletes it once merged`,
    );
    expect(git(repo.root, "branch", "--list", branch).trim()).not.toBe("");
  });

  it("judges a commit in another stream's worktree for the agent's own stream too", async () => {
    expect((await tower(repo.root, ["start", "B"])).code).toBe(0);
    const other = path.join(path.dirname(repo.root), "demo-stream-B");
    git(other, "config", "user.email", "agent@example.com");
    git(other, "config", "user.name", "Agent");
    await tower(repo.root, ["lock", "logging/x.py", "--agent", "B1"]);
    write(other, "logging/x.py", "A1 in B's worktree\n");
    expect(agentGit(other, "add", "logging/x.py").code).toBe(0);
    const before = head(other);
    const committed = agentGit(other, "commit", "-q", "-m", "A1 there");
    expect(committed.code).not.toBe(0);
    expect(committed.output).toContain("logging/x.py is locked by agent B1, stream B");
    expect(committed.output).toContain("pre-commit guard refused this commit of stream A");
    expect(head(other)).toBe(before);
  });

  it("leaves another repository's commits alone, and runs its own hooks", () => {
    const elsewhere = path.join(path.dirname(repo.root), "elsewhere");
    mkdirSync(elsewhere);
    git(elsewhere, "init", "-q", "-b", "main");
    git(elsewhere, "config", "user.email", "agent@example.com");
    git(elsewhere, "config", "user.name", "Agent");
    const ran = path.join(path.dirname(repo.root), "elsewhere-hook-ran");
    writeFileSync(
      path.join(elsewhere, ".git/hooks/pre-commit"),
      `#!/bin/sh\necho ran > "${ran}"\n`,
    );
    chmodSync(path.join(elsewhere, ".git/hooks/pre-commit"), 0o755);
    write(elsewhere, "config/app.py", "not Tower's repository\n");
    expect(agentGit(elsewhere, "add", "config/app.py").code).toBe(0);
    const committed = agentGit(elsewhere, "commit", "-q", "-m", "theirs");
    expect(committed.code, committed.output).toBe(0);
    expect(readFileSync(ran, "utf8")).toBe("ran\n");
  });

  it("runs a worktree's own hooks path after its check", () => {
    const own = path.join(path.dirname(repo.root), "own-hooks");
    const ran = path.join(path.dirname(repo.root), "own-hooks-ran");
    mkdirSync(own);
    writeFileSync(path.join(own, "pre-commit"), `#!/bin/sh\necho ran > "${ran}"\n`);
    chmodSync(path.join(own, "pre-commit"), 0o755);
    git(scratch, "config", "--worktree", "core.hooksPath", own);
    write(scratch, "config/own.py", "x\n");
    expect(agentGit(scratch, "add", "config/own.py").code).toBe(0);
    const committed = agentGit(scratch, "commit", "-q", "-m", "own hooks");
    expect(committed.code, committed.output).toBe(0);
    expect(readFileSync(ran, "utf8")).toBe("ran\n");
  });
});
