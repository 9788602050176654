/**
 * Submodules in a stream's worktree. `git worktree add` leaves them empty, and an agent there
 * would find its project without them (its build failing, its tools missing), so Tower checks
 * out the ones the main worktree has, nested ones with them. Once checked out they are work: the
 * worktree is removed after a merge only when nothing in a submodule can be lost (a change, an
 * ignored file that is not reproducible, a commit that only this worktree's copy of the submodule
 * holds), as git itself removes none with submodules in it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, promises as fsp, mkdirSync, renameSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { guardEnvironment } from "../../src/agents/guard.js";
import { cleanUpMerged } from "../../src/engine/orchestrator/cleanup-merged.js";
import { openProject } from "../../src/engine/project.js";
import { expectNothingLost, reachableCommits } from "../helpers/lost-work.js";
import { cleanEnv, git, makeRepo, shopPlan, type TempRepo, tower } from "../helpers/repo.js";

const PLAN = shopPlan();

let repo: TempRepo;
let daemon: ChildProcess | undefined;
afterEach(() => {
  daemon?.kill();
  daemon = undefined;
  repo.cleanup();
});

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `git daemon` serving the folders beside the repository, read-only, at git://127.0.0.1:<port>/. */
async function serveGit(): Promise<string> {
  const port = await freePort();
  daemon = spawn(
    "git",
    [
      "daemon",
      "--export-all",
      "--reuseaddr",
      "--listen=127.0.0.1",
      `--port=${port}`,
      `--base-path=${parent()}`,
      parent(),
    ],
    { stdio: "ignore" },
  );
  const url = `git://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (spawnSync("git", ["ls-remote", `${url}/lib`], { stdio: "ignore" }).status === 0) return url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("git daemon did not answer");
}

const parent = () => path.dirname(repo.root);
const wt = () => path.join(parent(), "shop-stream-A");
/** Tower run as a user whose git allows submodules from local paths (git's default refuses). */
const run = (args: string[]) => tower(repo.root, args, { HOME: path.join(parent(), "home") });

/** A repository of its own beside the test's, with one commit of `file`. */
function upstream(name: string, file: string): string {
  const dir = path.join(parent(), name);
  mkdirSync(dir);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "up@example.com");
  git(dir, "config", "user.name", "Up");
  writeFileSync(path.join(dir, file), `${name}\n`);
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", name);
  return dir;
}

const allowFile = ["-c", "protocol.file.allow=always"];

/**
 * The repository with two submodules: vendor/lib (with its own submodule, deep) checked out in
 * the main worktree, vendor/big not (the user left it out).
 */
async function setUp(): Promise<void> {
  repo = await makeRepo({ plan: PLAN });
  const home = path.join(parent(), "home");
  mkdirSync(home);
  writeFileSync(
    path.join(home, ".gitconfig"),
    '[protocol "file"]\n\tallow = always\n[user]\n\temail = test@example.com\n\tname = Test\n',
  );
  upstream("inner", "i.txt");
  const lib = upstream("lib", "a.txt");
  writeFileSync(path.join(lib, ".gitignore"), "*.log\n");
  git(lib, "add", ".gitignore");
  git(lib, ...allowFile, "submodule", "add", "-q", "../inner", "deep");
  git(lib, "commit", "-q", "-m", "deep");
  upstream("big", "b.txt");
  git(repo.root, ...allowFile, "submodule", "add", "-q", "../lib", "vendor/lib");
  git(repo.root, ...allowFile, "submodule", "add", "-q", "../big", "vendor/big");
  git(repo.root, "commit", "-q", "-m", "submodules");
  git(repo.root, ...allowFile, "submodule", "update", "-q", "--init", "--recursive");
  git(repo.root, "submodule", "deinit", "-q", "vendor/big");
}

const startA = async () => {
  const result = await run(["start", "A"]);
  expect(result.code, result.stderr).toBe(0);
  return result;
};

/** A's work committed, the stream completed and merged; the merge's output. */
async function mergeA(): Promise<string> {
  writeFileSync(path.join(wt(), "A.txt"), "A's work\n");
  git(wt(), "add", "A.txt");
  git(wt(), "commit", "-q", "-m", "A's work");
  expect((await run(["complete", "A"])).code).toBe(0);
  const merged = await run(["merge", "A"]);
  expect(merged.code, merged.stderr).toBe(0);
  return merged.stdout;
}

describe("a stream's worktree in a repository with submodules", () => {
  it("has the submodules the main worktree has checked out, nested ones with them, and not one it left out", async () => {
    await setUp();
    const result = await startA();
    expect(result.stderr).not.toContain("warning");
    expect(await fsp.readFile(path.join(wt(), "vendor/lib/a.txt"), "utf8")).toBe("lib\n");
    expect(await fsp.readFile(path.join(wt(), "vendor/lib/deep/i.txt"), "utf8")).toBe("inner\n");
    expect(existsSync(path.join(wt(), "vendor/big/b.txt"))).toBe(false);
  });

  it("starts without them when git cannot fetch them, and says so", async () => {
    await setUp();
    renameSync(path.join(parent(), "lib"), path.join(parent(), "lib-moved"));
    const result = await startA();
    expect(existsSync(path.join(wt(), "A.txt"))).toBe(false);
    expect(existsSync(wt())).toBe(true);
    expect(result.stderr.replace(/\s+/g, " ")).toContain(
      `warning: ${wt()}: its submodules are not all checked out (git submodule update:`,
    );
    expect(result.stderr).toContain(`run git submodule update --init --recursive in ${wt()}`);
    // tower check says so while the stream is in progress (a note: nothing is unsafe).
    const check = await run(["check"]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr.replace(/\s+/g, " ")).toContain(
      `note: ${wt()}, the worktree of stream A, has not checked out 1 submodule the main worktree has (vendor/lib): its agents work without it. Run \`git submodule update --init --recursive\` there`,
    );
    // Checked out there by hand: the note goes.
    renameSync(path.join(parent(), "lib-moved"), path.join(parent(), "lib"));
    git(wt(), ...allowFile, "submodule", "update", "-q", "--init", "--recursive");
    expect((await run(["check"])).stderr).not.toContain("has not checked out");
  });

  it("is removed after the merge when nothing in its submodules would be lost", async () => {
    await setUp();
    await startA();
    const before = reachableCommits(repo.root);
    const out = await mergeA();
    expect(out).toContain("worktree removed");
    expect(existsSync(wt())).toBe(false);
    expectNothingLost(repo.root, before);
  });

  it("is kept while a submodule holds a change, an untracked file or an ignored one that is not reproducible", async () => {
    await setUp();
    await startA();
    writeFileSync(path.join(wt(), "vendor/lib/a.txt"), "changed by the agent\n");
    writeFileSync(path.join(wt(), "vendor/lib/deep/new.txt"), "new\n");
    const out = await mergeA();
    expect(out.replace(/\s+/g, " ")).toContain(
      `worktree ${wt()} kept: its submodules hold 2 uncommitted or untracked files (vendor/lib/a.txt, vendor/lib/deep/new.txt)`,
    );
    expect(await fsp.readFile(path.join(wt(), "vendor/lib/a.txt"), "utf8")).toBe(
      "changed by the agent\n",
    );
    // Committed in the submodule and pushed where it came from: nothing left to lose.
    git(wt(), "-C", "vendor/lib/deep", "add", "new.txt");
    git(wt(), "-C", "vendor/lib/deep", "commit", "-q", "-m", "new");
    git(wt(), "-C", "vendor/lib", "checkout", "-q", "a.txt");
    git(wt(), "-C", "vendor/lib/deep", "push", "-q", "origin", "HEAD:refs/heads/agent-work");
    // An ignored file of the agent's (a log) in a submodule: kept for it, as in the worktree.
    writeFileSync(path.join(wt(), "vendor/lib/run.log"), "what the agent did\n");
    const project = await openProject(repo.root);
    expect((await cleanUpMerged(project, "A")).kept.join("\n")).toContain(
      `worktree ${wt()} kept: its submodules hold 1 ignored file that is not reproducible (vendor/lib/run.log)`,
    );
    await fsp.rm(path.join(wt(), "vendor/lib/run.log"));
    const cleanup = await cleanUpMerged(project, "A");
    expect(cleanup.kept).toEqual([]);
    expect(existsSync(wt())).toBe(false);
    expect(git(path.join(parent(), "inner"), "branch", "--list", "agent-work")).toContain(
      "agent-work",
    );
  });

  it("is kept while a submodule holds a commit that neither its remote nor the main worktree's submodule has, naming it", async () => {
    await setUp();
    await startA();
    const lib = path.join(wt(), "vendor/lib");
    writeFileSync(path.join(lib, "fix.txt"), "the agent's fix\n");
    git(lib, "add", "fix.txt");
    git(lib, "-c", "user.email=a@example.com", "-c", "user.name=A1", "commit", "-q", "-m", "fix");
    const fix = git(lib, "rev-parse", "HEAD").trim();
    git(wt(), "add", "vendor/lib");
    git(wt(), "commit", "-q", "-m", "the fixed lib");
    const out = await mergeA();
    expect(out.replace(/\s+/g, " ")).toContain(
      `worktree ${wt()} kept: its submodule vendor/lib holds 1 commit that no remote branch of it nor your checkout of it has (${fix.slice(0, 10)} fix)`,
    );
    expect(git(lib, "cat-file", "-t", fix).trim()).toBe("commit");
    // Fetched into the main worktree's submodule, as the message says: removed then.
    git(repo.root, "-C", "vendor/lib", "fetch", "-q", lib, `${fix}:refs/heads/from-A`);
    const cleanup = await cleanUpMerged(await openProject(repo.root), "A");
    expect(cleanup.kept).toEqual([]);
    expect(existsSync(wt())).toBe(false);
    expect(git(path.join(repo.root, "vendor/lib"), "cat-file", "-t", fix).trim()).toBe("commit");
  });

  it("binds: the stream's commit of a submodule's new state is refused while another stream's agent holds a file in it", async () => {
    await setUp();
    await startA();
    expect((await run(["lock", "vendor/lib/a.txt", "--agent", "B1"])).code).toBe(0);
    const lib = path.join(wt(), "vendor/lib");
    writeFileSync(path.join(lib, "a.txt"), "A1's change\n");
    git(lib, "commit", "-q", "-am", "A1's change in the lib");
    git(wt(), "add", "vendor/lib");
    const before = git(wt(), "rev-parse", "HEAD");
    const commit = spawnSync("git", ["commit", "-m", "the new lib"], {
      cwd: wt(),
      encoding: "utf8",
      env: cleanEnv({ TOWER_AGENT_ID: "A1", TOWER_STREAM: "A" }),
    });
    expect(commit.status).not.toBe(0);
    expect(commit.stderr).toContain(
      "vendor/lib is locked by agent B1, stream B (through its lock on vendor/lib/a.txt)",
    );
    expect(git(wt(), "rev-parse", "HEAD")).toBe(before);
  });

  it("binds an agent's commit inside a submodule too, nested ones included: a file another stream's agent holds is refused there", async () => {
    await setUp();
    await startA();
    expect((await run(["lock", "vendor/lib/a.txt", "--agent", "B1"])).code).toBe(0);
    expect((await run(["lock", "vendor/lib/deep/", "--agent", "B1"])).code).toBe(0);
    const stateDir = path.join(repo.root, ".claude/state");
    // git as agent A1's shell runs it: the guard found through its environment.
    const agentGit = (cwd: string, ...args: string[]) =>
      spawnSync("git", args, {
        cwd,
        encoding: "utf8",
        env: cleanEnv({
          HOME: path.join(parent(), "home"),
          TOWER_AGENT_ID: "A1",
          TOWER_STREAM: "A",
          TOWER_WORKTREE: wt(),
          TOWER_REPO_ROOT: repo.root,
          TOWER_STATE_DIR: stateDir,
          ...guardEnvironment(path.join(stateDir, "git-hooks"), {}),
        }),
      });
    const lib = path.join(wt(), "vendor/lib");
    const before = git(lib, "rev-parse", "HEAD");
    writeFileSync(path.join(lib, "a.txt"), "A1's change\n");
    const refused = agentGit(lib, "commit", "-q", "-am", "A1's change in the lib");
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain("vendor/lib/a.txt is locked by agent B1, stream B");
    expect(git(lib, "rev-parse", "HEAD")).toBe(before);
    // In the submodule's own submodule, under B1's folder lock.
    const deep = path.join(lib, "deep");
    writeFileSync(path.join(deep, "i.txt"), "A1's change\n");
    const nested = agentGit(deep, "commit", "-q", "-am", "A1's change deep down");
    expect(nested.status).not.toBe(0);
    expect(nested.stderr).toContain("vendor/lib/deep/i.txt is locked by agent B1, stream B");
    // A file nobody holds goes in.
    git(lib, "checkout", "-q", "a.txt");
    writeFileSync(path.join(lib, "free.txt"), "free\n");
    git(lib, "add", "free.txt");
    const allowed = agentGit(lib, "commit", "-q", "-m", "free");
    expect(allowed.status, allowed.stderr).toBe(0);
  });

  it("are scanned for conflicts: two streams changing one file of a submodule overlap, and a file of it another stream's agent holds is a lock conflict", async () => {
    await setUp();
    await startA();
    expect((await run(["start", "B"])).code).toBe(0);
    const wtB = path.join(parent(), "shop-stream-B");
    writeFileSync(path.join(wt(), "vendor/lib/a.txt"), "A's line\n");
    writeFileSync(path.join(wtB, "vendor/lib/a.txt"), "B's line\n");
    // Deep down too, and a new file.
    writeFileSync(path.join(wt(), "vendor/lib/deep/new.txt"), "A's new file\n");
    writeFileSync(path.join(wtB, "vendor/lib/deep/new.txt"), "B's new file\n");
    expect((await run(["lock", "vendor/lib/deep/new.txt", "--agent", "B1"])).code).toBe(0);
    const scanned = await run(["conflicts", "--json"]);
    expect(scanned.stderr).toBe("");
    const warnings = JSON.parse(scanned.stdout) as {
      kind: string;
      files: string[];
      message: string;
    }[];
    const overlaps = warnings.filter((w) => w.kind === "overlap").map((w) => w.files[0]);
    expect(overlaps).toEqual(["vendor/lib/a.txt", "vendor/lib/deep/new.txt"]);
    const a = warnings.find((w) => w.kind === "overlap" && w.files[0] === "vendor/lib/a.txt");
    expect(a?.message).toBe(
      "Streams A and B both changed vendor/lib/a.txt (A: unstaged, B: unstaged), on the same lines.",
    );
    const locked = warnings.filter((w) => w.kind === "lock");
    expect(locked.map((w) => w.message)).toEqual([
      expect.stringContaining(
        "Stream A changed vendor/lib/deep/new.txt, which is locked by agent B1 of stream B",
      ),
    ]);
  });

  it("fetches them from where they are hosted (a git:// URL), with no setting of the user's", async () => {
    repo = await makeRepo({ plan: PLAN });
    upstream("lib", "a.txt");
    const url = await serveGit();
    git(repo.root, "submodule", "add", "-q", `${url}/lib`, "vendor/lib");
    git(repo.root, "commit", "-q", "-m", "submodule");
    // The plain tower, as run by a user whose git allows only what git allows by default.
    const result = await tower(repo.root, ["start", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("warning");
    expect(await fsp.readFile(path.join(wt(), "vendor/lib/a.txt"), "utf8")).toBe("lib\n");
    expect(git(path.join(wt(), "vendor/lib"), "remote", "get-url", "origin").trim()).toBe(
      `${url}/lib`,
    );
  });
});
