/**
 * After a merge, a stream's worktree and branch are removed only when nothing in them can be
 * lost: no ignored file that is not reproducible (an agent's `.env`, its logs), and no commit in
 * the branch's reflog or the worktree's own HEAD reflog that the base does not hold (an agent that
 * force-reset its branch). What is kept is named, with how to get it back.
 */
import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { expectNothingLost, reachableCommits } from "../helpers/lost-work.js";
import { git, makeRepo, shopPlan, type TempRepo, tower } from "../helpers/repo.js";

const plan = shopPlan;

let repo: TempRepo;
afterEach(() => repo.cleanup());

async function setUp(planText = plan()): Promise<void> {
  repo = await makeRepo({ plan: planText });
  await fsp.writeFile(
    path.join(repo.root, ".gitignore"),
    ".env\n*.log\nnode_modules/\n__pycache__/\n",
  );
  git(repo.root, "add", ".gitignore");
  git(repo.root, "commit", "-q", "-m", "ignore rules");
}

const wt = (id: string) => path.join(path.dirname(repo.root), `shop-stream-${id}`);
const branch = (id: string) =>
  id === "A" ? "feature/stream-A-foundation" : "feature/stream-B-billing";

async function write(id: string, file: string, content: string): Promise<void> {
  await fsp.mkdir(path.dirname(path.join(wt(id), file)), { recursive: true });
  await fsp.writeFile(path.join(wt(id), file), content);
}

async function commit(id: string, file: string, content: string, message = file): Promise<string> {
  await write(id, file, content);
  git(wt(id), "add", file);
  git(wt(id), "commit", "-q", "-m", message);
  return git(wt(id), "rev-parse", "HEAD").trim();
}

const start = async (id: string) => expect((await tower(repo.root, ["start", id])).code).toBe(0);
const complete = async (id: string) =>
  expect((await tower(repo.root, ["complete", id])).code).toBe(0);
const branchExists = (id: string) => git(repo.root, "branch", "--list", branch(id)) !== "";

describe("ignored files in a stream's worktree", () => {
  it("keep the worktree when they are not reproducible, naming them; reproducible ones and Tower's state link do not", async () => {
    await setUp();
    for (const id of ["A", "B"]) {
      await start(id);
      await commit(id, `${id}.txt`, `${id}'s work\n`);
      await write(id, "node_modules/lib/index.js", "dependency\n");
      await write(id, "src/__pycache__/m.cpython-312.pyc", "bytecode\n");
      await complete(id);
    }
    await write("A", ".env", "API_KEY=secret\n");
    await write("A", "logs/run.log", "what the agent did\n");
    const before = reachableCommits(repo.root);

    const a = await tower(repo.root, ["merge", "A"]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain(
      `worktree ${wt("A")} kept: 2 ignored files that are not reproducible (.env, logs/run.log)`,
    );
    expect(a.stdout).not.toContain("worktree removed");
    expect(await fsp.readFile(path.join(wt("A"), ".env"), "utf8")).toBe("API_KEY=secret\n");
    expect(existsSync(path.join(wt("A"), "logs/run.log"))).toBe(true);
    expect(branchExists("A")).toBe(true);

    const b = await tower(repo.root, ["merge", "B"]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain("worktree removed");
    expect(b.stdout).toContain("branch deleted");
    expect(existsSync(wt("B"))).toBe(false);
    // The link was removed, not what it points to.
    expect(existsSync(path.join(repo.stateDir, "orchestrator_state.json"))).toBe(true);
    expectNothingLost(repo.root, before);
  });

  it("follow the plan's reproducible list, which replaces the default one", async () => {
    await setUp(plan('reproducible: ["*.log", ".env"]\n'));
    await start("A");
    await commit("A", "A.txt", "A's work\n");
    await write("A", "logs/run.log", "rebuilt each run\n");
    await write("A", ".env", "KEY=1\n");
    await write("A", "node_modules/lib/index.js", "vendored by hand\n");
    await complete("A");
    const before = reachableCommits(repo.root);
    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `worktree ${wt("A")} kept: 1 ignored file that is not reproducible (node_modules/lib/index.js)`,
    );
    expect(existsSync(path.join(wt("A"), "node_modules/lib/index.js"))).toBe(true);
    expectNothingLost(repo.root, before);
  });
});

describe("Tower's state link in a stream's worktree", () => {
  it("is Tower's own only while it is its link to the shared state: a folder in its place is work, and keeps the worktree", async () => {
    await setUp();
    await start("A");
    const link = path.join(wt("A"), ".claude/state");
    expect((await fsp.lstat(link)).isSymbolicLink()).toBe(true);
    // The link replaced by a folder of the agent's own, which git ignores (the exclude entry).
    await fsp.rm(link);
    await write("A", ".claude/state/notes.md", "what the agent found\n");
    await commit("A", "A.txt", "A's work\n");
    await complete("A");
    const before = reachableCommits(repo.root);

    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `worktree ${wt("A")} kept: 1 ignored file that is not reproducible (.claude/state/notes.md)`,
    );
    expect(result.stdout).not.toContain("worktree removed");
    expect(await fsp.readFile(path.join(link, "notes.md"), "utf8")).toBe("what the agent found\n");
    expectNothingLost(repo.root, before);
  });

  it("counts only the link: files named like others' settings (.claude/settings.local.json, .tower/) are the user's", async () => {
    await setUp();
    await start("A");
    await write("A", ".claude/settings.local.json", '{"model": "mine"}\n');
    await write("A", ".tower/notes.json", "{}\n");
    await fsp.appendFile(
      path.join(repo.root, ".git/info/exclude"),
      ".claude/settings.local.json\n.tower/\n",
    );
    await commit("A", "A.txt", "A's work\n");
    await complete("A");

    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `worktree ${wt("A")} kept: 2 ignored files that are not reproducible (.claude/settings.local.json, .tower/notes.json)`,
    );
    expect(existsSync(path.join(wt("A"), ".claude/settings.local.json"))).toBe(true);
  });
});

describe("a state_dir that holds the repository's own files", () => {
  it("is refused before anything is made (git would ignore new files there, and a merge's cleanup deleted them)", async () => {
    repo = await makeRepo({ plan: plan("state_dir: .claude\n"), init: false });
    await fsp.mkdir(path.join(repo.root, ".claude"));
    await fsp.writeFile(path.join(repo.root, ".claude/settings.json"), "{}\n");
    git(repo.root, "add", ".claude/settings.json");
    git(repo.root, "commit", "-q", "-m", "project settings");
    const exclude = path.join(repo.root, ".git/info/exclude");
    const excluded = await fsp.readFile(exclude, "utf8").catch(() => "");
    const message =
      'streams.yaml:3:12: state_dir ".claude" holds files of the repository (git tracks .claude/settings.json)';

    const started = await tower(repo.root, ["start", "A"]);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(message);
    expect(started.stderr).toContain("(valid: a folder inside the repository");
    expect(existsSync(wt("A"))).toBe(false);
    expect(branchExists("A")).toBe(false);

    for (const args of [["init"], ["check"]]) {
      const result = await tower(repo.root, args);
      expect(result.code, args[0]).toBe(1);
      expect(result.stderr, args[0]).toContain(message);
    }
    expect(await fsp.readFile(exclude, "utf8").catch(() => "")).toBe(excluded);
    // A new file there is one git sees.
    await fsp.mkdir(path.join(repo.root, ".claude/commands"));
    await fsp.writeFile(path.join(repo.root, ".claude/commands/review.md"), "# review\n");
    expect(git(repo.root, "status", "--porcelain", "--untracked-files=all")).toContain(
      "?? .claude/commands/review.md",
    );
  });

  it("Tower's own state files committed in it are not the project's: the stream starts", async () => {
    repo = await makeRepo({ plan: plan() });
    await fsp.writeFile(
      path.join(repo.stateDir, "file_locks.json"),
      `${JSON.stringify({ locks: {}, version: 1 })}\n`,
    );
    git(repo.root, "add", "-f", ".claude/state/file_locks.json");
    git(repo.root, "commit", "-q", "-m", "the team's locks, committed");
    const started = await tower(repo.root, ["start", "A"]);
    expect(started.code, started.stderr).toBe(0);
    expect((await tower(repo.root, ["check"])).stderr).not.toContain(
      "holds files of the repository",
    );
  });
});

describe("commits that only a reflog holds", () => {
  it("keep the branch and worktree of a stream whose agent force-reset its branch, naming the commits", async () => {
    await setUp();
    await start("A");
    await commit("A", "one.txt", "1\n", "first");
    const dropped = await commit("A", "two.txt", "2\n", "dropped by the reset");
    git(wt("A"), "reset", "-q", "--hard", "HEAD~1");
    await commit("A", "three.txt", "3\n", "after the reset");
    await complete("A");
    const before = reachableCommits(repo.root);

    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/merged A/);
    expect(result.stdout).toContain(`branch ${branch("A")} and worktree ${wt("A")} kept`);
    expect(result.stdout).toContain(`${dropped.slice(0, 10)} dropped by the reset`);
    expect(result.stdout).toContain(`git branch rescue-A ${dropped}`);
    expect(branchExists("A")).toBe(true);
    expect(existsSync(wt("A"))).toBe(true);
    expect(git(repo.root, "log", "-g", "--format=%H", branch("A"))).toContain(dropped);
    expectNothingLost(repo.root, before);
  });

  it("also reads the worktree's own HEAD reflog, which git worktree remove would delete", async () => {
    await setUp();
    await start("A");
    await commit("A", "one.txt", "1\n", "on the branch");
    git(wt("A"), "checkout", "-q", "--detach");
    const detached = await commit("A", "side.txt", "side\n", "made on a detached HEAD");
    git(wt("A"), "checkout", "-q", branch("A"));
    await complete("A");
    const before = reachableCommits(repo.root);

    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${detached.slice(0, 10)} made on a detached HEAD`);
    expect(result.stdout).toContain(`git branch rescue-A ${detached}`);
    expect(existsSync(wt("A"))).toBe(true);
    expect(branchExists("A")).toBe(true);
    expectNothingLost(repo.root, before);
  });
});
