/**
 * A merge whose validation fails is undone by ref, and only when the ref still points where Tower
 * left it; the user keeps working at the same time (checks out another branch, commits on the
 * base, edits files) while the validation command runs, and a `tower merge` killed with SIGKILL
 * during validation is resolved by the next one. Each test ends with every commit that was
 * reachable before (refs and reflogs) still reachable.
 */
import { execFileSync } from "node:child_process";
import { existsSync, promises as fsp, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pendingMerges } from "../../src/engine/orchestrator/pending.js";
import { openProject } from "../../src/engine/project.js";
import {
  expectNothingLost,
  killGroup,
  killLeftovers,
  reachableCommits,
  spawnTower,
} from "../helpers/lost-work.js";
import {
  git,
  makeRepo,
  readJson,
  readJsonlFile,
  type TempRepo,
  tower,
  waitFor,
} from "../helpers/repo.js";

// The validation command says when it runs (../validating), waits until the test has done what
// the user does meanwhile (../go), and fails when the test asks for it (../fail).
const PLAN = `version: 1
project: shop
validate:
  - "touch ../validating; until [ -f ../go ]; do sleep 0.05; done; test ! -f ../fail"
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
`;

let repo: TempRepo;
let parent: string;
beforeEach(async () => {
  repo = await makeRepo({ plan: PLAN });
  parent = path.dirname(repo.root);
  git(repo.root, "checkout", "-q", "-b", "dev");
  writeFileSync(path.join(repo.root, "dev.txt"), "dev's own work\n");
  git(repo.root, "add", "dev.txt");
  git(repo.root, "commit", "-q", "-m", "dev's own work");
  git(repo.root, "checkout", "-q", "main");
  expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
  writeFileSync(path.join(wt(), "a.txt"), "A's work\n");
  git(wt(), "add", "a.txt");
  git(wt(), "commit", "-q", "-m", "A's work");
  expect((await tower(repo.root, ["complete", "A"])).code).toBe(0);
});
afterEach(() => {
  killLeftovers();
  repo.cleanup();
});

const wt = () => path.join(parent, "shop-stream-A");
const marker = (name: string) => path.join(parent, name);
const rev = (ref: string) => git(repo.root, "rev-parse", ref).trim();
const short = (sha: string) => sha.slice(0, 10);
const streamA = async () =>
  (
    (await readJson(path.join(repo.stateDir, "orchestrator_state.json"))) as {
      streams: Record<string, Record<string, unknown>>;
    }
  ).streams.A!;

/** Runs `tower merge A`, does what the user does while validation runs, then lets it finish. */
async function mergeWhileUserActs(act: () => void | Promise<void>, fail = true) {
  if (fail) writeFileSync(marker("fail"), "");
  const run = spawnTower(repo.root, ["merge", "A"]);
  await waitFor(() => existsSync(marker("validating")) || undefined, 20_000, "validation to run");
  await act();
  writeFileSync(marker("go"), "");
  return run.exited;
}

describe("a failed validation is rolled back by ref", () => {
  it("moves the base back even when the main worktree switched to another branch, which keeps its commits", async () => {
    const main0 = rev("main");
    const dev0 = rev("dev");
    const before = reachableCommits(repo.root);
    const result = await mergeWhileUserActs(() => {
      git(repo.root, "checkout", "-q", "dev");
    });
    expect(result.code).toBe(1);
    expect(rev("dev")).toBe(dev0);
    expect(rev("main")).toBe(main0);
    expect(git(repo.root, "symbolic-ref", "--short", "HEAD").trim()).toBe("dev");
    expect(git(repo.root, "status", "--porcelain")).toBe("");
    expect(await fsp.readFile(path.join(repo.root, "dev.txt"), "utf8")).toBe("dev's own work\n");
    expect(result.stderr).toContain(`main was reset to ${short(main0)}, as before the merge`);
    expect(result.stderr).toContain("main is not checked out in any worktree");
    expect(await streamA()).toMatchObject({
      status: "merge_failed",
      merge_error: { kind: "validation", rolled_back: true },
    });
    expect(existsSync(wt())).toBe(true);
    expectNothingLost(repo.root, before);
  });

  it("moves the files back in whichever worktree has the base checked out, keeping local changes", async () => {
    const main0 = rev("main");
    const dev0 = rev("dev");
    const other = marker("main-elsewhere");
    const before = reachableCommits(repo.root);
    const result = await mergeWhileUserActs(() => {
      git(repo.root, "checkout", "-q", "dev");
      git(repo.root, "worktree", "add", "-q", other, "main");
      writeFileSync(path.join(other, "README.md"), "# demo\nlocal edit\n");
    });
    expect(result.code).toBe(1);
    expect(rev("main")).toBe(main0);
    expect(rev("dev")).toBe(dev0);
    expect(existsSync(path.join(other, "a.txt"))).toBe(false);
    expect(git(other, "status", "--porcelain")).toBe(" M README.md\n");
    expect(await fsp.readFile(path.join(other, "README.md"), "utf8")).toBe("# demo\nlocal edit\n");
    expect(result.stderr).toContain(`main was reset to ${short(main0)}, as before the merge`);
    expect(result.stderr).toContain(other);
    expectNothingLost(repo.root, before);
  });

  it("does not count a validation that ran while the main worktree had another branch checked out", async () => {
    const main0 = rev("main");
    const before = reachableCommits(repo.root);
    const result = await mergeWhileUserActs(() => {
      git(repo.root, "checkout", "-q", "dev");
    }, false);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "validation passed, but by then the main worktree " +
        `${repo.root} had dev checked out instead of main, so it did not check the merge; ` +
        `main was reset to ${short(main0)}, as before the merge`,
    );
    expect(rev("main")).toBe(main0);
    expect(await streamA()).toMatchObject({
      status: "merge_failed",
      merge_error: { kind: "not_validated", rolled_back: true },
    });
    expect(git(repo.root, "branch", "--list", "feature/stream-A-foundation")).not.toBe("");
    expectNothingLost(repo.root, before);
  });

  it("keeps a commit made on the base during validation, changes nothing and says how to undo the merge", async () => {
    const main0 = rev("main");
    const before = reachableCommits(repo.root);
    const result = await mergeWhileUserActs(() => {
      writeFileSync(path.join(repo.root, "note.txt"), "the user's commit\n");
      git(repo.root, "add", "note.txt");
      git(repo.root, "commit", "-q", "-m", "the user's commit");
    });
    expect(result.code).toBe(1);
    const merge = rev("main^");
    expect(git(repo.root, "log", "-1", "--format=%s", "main").trim()).toBe("the user's commit");
    expect(git(repo.root, "log", "-1", "--format=%s %P", merge).trim()).toBe(
      `Merge stream A: Foundation ${main0} ${rev("feature/stream-A-foundation")}`,
    );
    expect(git(repo.root, "status", "--porcelain")).toBe("");
    expect(result.stderr).toContain("main has moved on since the merge");
    expect(result.stderr).toContain(`git -C ${repo.root} revert -m 1 ${merge}`);
    expect(await streamA()).toMatchObject({
      status: "merge_failed",
      merge_error: { kind: "validation", rolled_back: false },
    });
    expectNothingLost(repo.root, before);
  });

  it("leaves the merge in place when the base's worktree has changes in the way, with the commands to undo it", async () => {
    const main0 = rev("main");
    const before = reachableCommits(repo.root);
    const result = await mergeWhileUserActs(() => {
      writeFileSync(path.join(repo.root, "a.txt"), "the user edits A's file\n");
    });
    expect(result.code).toBe(1);
    const merge = rev("main");
    expect(git(repo.root, "log", "-1", "--format=%P", merge).trim().split(" ")[0]).toBe(main0);
    expect(await fsp.readFile(path.join(repo.root, "a.txt"), "utf8")).toBe(
      "the user edits A's file\n",
    );
    expect(result.stderr).toContain(`git -C ${repo.root} stash`);
    expect(result.stderr).toContain(`git -C ${repo.root} reset --keep ${main0}`);
    expect(await streamA()).toMatchObject({
      status: "merge_failed",
      merge_error: { kind: "validation", rolled_back: false },
    });
    expectNothingLost(repo.root, before);
  });
});

describe("the merge itself", () => {
  it("undoes a merge commit that landed on another branch checked out while it was made", async () => {
    const main0 = rev("main");
    git(repo.root, "branch", "-q", "-f", "dev", "main");
    // A hook stands in for the user's checkout between Tower's check and git's commit.
    const hook = path.join(repo.root, ".git/hooks/pre-merge-commit");
    writeFileSync(hook, "#!/bin/sh\ngit checkout -q dev\n", { mode: 0o755 });
    writeFileSync(marker("go"), "");
    const before = reachableCommits(repo.root);
    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code).not.toBe(0);
    expect(rev("main")).toBe(main0);
    expect(rev("dev")).toBe(main0);
    expect(result.stderr).toContain("the main worktree switched to dev during the merge");
    expect(await streamA()).not.toMatchObject({ status: "merged" });
    expect(git(repo.root, "branch", "--list", "feature/stream-A-foundation")).not.toBe("");
    expectNothingLost(repo.root, before);

    await fsp.rm(hook);
    git(repo.root, "checkout", "-q", "main");
    const again = await tower(repo.root, ["merge", "A"]);
    expect(again.code, again.stderr).toBe(0);
    expect(git(repo.root, "log", "-1", "--format=%s", "main").trim()).toBe(
      "Merge stream A: Foundation",
    );
  });
});

describe("a merge killed during validation", () => {
  async function killDuringValidation() {
    const run = spawnTower(repo.root, ["merge", "A"]);
    await waitFor(() => existsSync(marker("validating")) || undefined, 20_000, "validation to run");
    killGroup(run.pid);
    expect((await run.exited).signal).toBe("SIGKILL");
    await fsp.rm(marker("validating"));
  }

  it("is rolled back by the next merge, which then merges again from the base as it was", async () => {
    const main0 = rev("main");
    const before = reachableCommits(repo.root);
    await killDuringValidation();
    const merge = rev("main");
    expect(git(repo.root, "log", "-1", "--format=%P", merge).trim().split(" ")[0]).toBe(main0);
    expect(await streamA()).toMatchObject({
      merge_pending: { base: "main", before: main0, commit: merge },
    });
    const pending = await pendingMerges(await openProject(repo.root));
    expect(pending).toEqual([
      expect.objectContaining({ id: "A", commit: merge, before: main0, running: false }),
    ]);
    expect(pending[0]?.message).toContain("interrupted");
    const dry = await tower(repo.root, ["merge", "A", "--dry-run"]);
    expect(dry.stderr).toContain(
      `note: the merge of A (${short(merge)}) into main was interrupted before its validation finished`,
    );
    expect(rev("main")).toBe(merge);

    writeFileSync(marker("go"), "");
    writeFileSync(marker("fail"), "");
    const retry = await tower(repo.root, ["merge", "A"]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain(`the merge of A (${short(merge)}) into main was interrupted`);
    expect(retry.stderr).toContain(`main was reset to ${short(main0)}, as before the merge`);
    expect(retry.stderr).not.toContain(`reset to ${short(merge)}`);
    expect(rev("main")).toBe(main0);
    expect(git(repo.root, "status", "--porcelain")).toBe("");
    const record = await streamA();
    expect(record).toMatchObject({ status: "merge_failed", merge_error: { kind: "validation" } });
    expect(record.merge_pending).toBeUndefined();
    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(log).toContainEqual(
      expect.objectContaining({ action: "merge_failed", reason: "interrupted", rolled_back: true }),
    );
    expectNothingLost(repo.root, before);
  });

  it("finishes a rollback that was itself killed after moving the files back and before moving the ref", async () => {
    const main0 = rev("main");
    await killDuringValidation();
    const merge = rev("main");
    // What a rollback killed halfway leaves: the files as before the merge, the ref at the merge.
    git(repo.root, "read-tree", "-m", "-u", merge, main0);
    const before = reachableCommits(repo.root);

    writeFileSync(marker("go"), "");
    writeFileSync(marker("fail"), "");
    const retry = await tower(repo.root, ["merge", "A"]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain(
      `the merge of A (${short(merge)}) into main was interrupted before its validation finished`,
    );
    expect(rev("main")).toBe(main0);
    expect(git(repo.root, "status", "--porcelain")).toBe("");
    expectNothingLost(repo.root, before);
  });

  it("is kept when the base has moved on since, and the next merge validates the base as it is", async () => {
    await killDuringValidation();
    const merge = rev("main");
    writeFileSync(path.join(repo.root, "note.txt"), "the user's commit\n");
    git(repo.root, "add", "note.txt");
    git(repo.root, "commit", "-q", "-m", "the user's commit");
    const head = rev("main");
    const before = reachableCommits(repo.root);

    writeFileSync(marker("go"), "");
    const retry = await tower(repo.root, ["merge", "A"]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stderr).toContain(`the merge of A (${short(merge)}) into main was interrupted`);
    expect(retry.stderr).toContain("main has moved on since the merge");
    expect(retry.stderr).toContain(`git -C ${repo.root} revert -m 1 ${merge}`);
    expect(retry.stdout).toContain(`merged A (${short(merge)})`);
    expect(rev("main")).toBe(head);
    expect(await streamA()).toMatchObject({ status: "merged", merge_commit: merge });
    expect((await streamA()).merge_pending).toBeUndefined();
    expectNothingLost(repo.root, before);
  });
});

describe("a merge killed after its validation passed", () => {
  /**
   * A `git` on PATH that runs the real one and, once `git branch -d` (the merge's cleanup) has
   * deleted the stream's branch, kills `tower merge` with SIGKILL: the moment between the
   * cleanup and the record of the merge.
   */
  function gitThatKillsAfterBranchDelete(): string {
    const bin = marker("bin");
    const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      path.join(bin, "git"),
      `#!/bin/sh\n"${real}" "$@"; code=$?\ncase " $* " in *" branch -d "*) kill -9 $PPID;; esac\nexit $code\n`,
      { mode: 0o755 },
    );
    return bin;
  }

  it("is merged: the next merge does not undo it, and the stream's commits stay in the base", async () => {
    writeFileSync(marker("go"), "");
    const tip = rev("feature/stream-A-foundation");
    const main0 = rev("main");
    const bin = gitThatKillsAfterBranchDelete();
    const killed = await tower(repo.root, ["merge", "A"], {
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(killed.code).not.toBe(0);
    expect(git(repo.root, "branch", "--list", "feature/stream-A-foundation")).toBe("");
    const merge = rev("main");
    expect(merge).not.toBe(main0);
    expect(git(repo.root, "rev-parse", `${merge}^2`).trim()).toBe(tip);
    expect(await streamA()).toMatchObject({ status: "merged", merge_commit: merge });
    expect((await streamA()).merge_pending).toBeUndefined();

    const status = await tower(repo.root, ["status"]);
    expect(status.stdout + status.stderr).not.toContain("interrupted");
    const again = await tower(repo.root, ["merge", "A"]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("A is already merged");
    expect(rev("main")).toBe(merge);
    expect(git(repo.root, "merge-base", "--is-ancestor", tip, "main").trim()).toBe("");
  });
});

describe("a merge recorded as pending that this repository did not make", () => {
  it("a clone's state naming a merge of its origin: the next merge leaves the base where it is", async () => {
    // The origin merges A itself; its state says (as if killed while validating) that the merge
    // is pending. A clone gets the same commits and that state, but not the reflog.
    writeFileSync(marker("go"), "");
    const tip = rev("feature/stream-A-foundation");
    const before = rev("main");
    git(repo.root, "merge", "-q", "--no-ff", "-m", "Merge stream A", "feature/stream-A-foundation");
    const merge = rev("main");
    const clone = marker("clone");
    git(parent, "clone", "-q", repo.root, clone);
    const state = path.join(clone, ".claude/state");
    mkdirSync(state, { recursive: true });
    writeFileSync(
      path.join(state, "orchestrator_state.json"),
      `${JSON.stringify(
        {
          started_at: null,
          streams: {
            A: {
              status: "completed",
              branch: "feature/stream-A-foundation",
              merge_pending: {
                base: "main",
                before,
                branch: "feature/stream-A-foundation",
                branch_commit: tip,
                commit: merge,
                pid: 999999,
                started_at: "2026-01-01T00:00:00Z",
              },
            },
          },
        },
        null,
        2,
      )}\n`,
    );
    const result = await tower(clone, ["merge", "A"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain("was reset");
    expect(result.stderr).toContain(
      `main's reflog here does not show git merge making ${short(merge)} onto ${short(before)}`,
    );
    expect(git(clone, "rev-parse", "main").trim()).toBe(merge);
    expect(git(clone, "status", "--porcelain", "--untracked-files=no")).toBe("");
  });
});
