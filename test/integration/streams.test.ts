/**
 * Streams in git, driven through the built CLI on real repositories: start in dependency order,
 * complete, merge with validation and rollback, and never a lost commit or change.
 */
import { existsSync, promises as fsp, readlinkSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  git,
  makeRepo,
  readJson,
  readJsonlFile,
  type TempRepo,
  tower,
  trustRepo,
} from "../helpers/repo.js";

const PLAN = `version: 1
project: shop
validate:
  - "! grep -rq BROKEN src"
checkpoints:
  review: { approval: human }
  smoke: { run: "test -f src/app.txt", depends_on: [review] }
streams:
  A:
    name: Foundation
    scope: ["src/**"]
    agents: [{ id: A1, task: "Base" }]
  B:
    name: Billing
    scope: ["src/**"]
    agents: [{ id: B1, task: "Billing" }]
  E:
    name: Engine
    depends_on: [A]
    requires: [review]
    agents: [{ id: E1, task: "Engine" }, { id: E2, task: "More engine" }]
`;

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo({ plan: PLAN });
  await fsp.mkdir(path.join(repo.root, "src"));
  await fsp.writeFile(path.join(repo.root, "src/app.txt"), "line 1\nline 2\nline 3\n");
  git(repo.root, "add", ".");
  git(repo.root, "commit", "-q", "-m", "app");
});
afterEach(() => repo.cleanup());

const parent = () => path.dirname(repo.root);
const wt = (id: string) => path.join(parent(), `shop-stream-${id}`);
const orchestrator = async () =>
  (
    (await readJson(path.join(repo.stateDir, "orchestrator_state.json"))) as {
      streams: Record<string, Record<string, unknown>>;
    }
  ).streams;

/** Commits `content` to `file` in a stream's worktree. */
async function commitIn(
  id: string,
  file: string,
  content: string,
  message = `change ${file}`,
): Promise<void> {
  await fsp.mkdir(path.dirname(path.join(wt(id), file)), { recursive: true });
  await fsp.writeFile(path.join(wt(id), file), content);
  git(wt(id), "add", file);
  git(wt(id), "commit", "-q", "-m", message);
}

async function startAndComplete(id: string, change?: [string, string]): Promise<void> {
  expect((await tower(repo.root, ["start", id])).code).toBe(0);
  if (change) await commitIn(id, change[0], change[1]);
  expect((await tower(repo.root, ["complete", id])).code).toBe(0);
}

describe("tower start", () => {
  it("refuses a stream whose dependencies are not done, naming them (exit 3)", async () => {
    const result = await tower(repo.root, ["start", "E"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("E cannot start: waiting for A (pending)");
    expect(existsSync(wt("E"))).toBe(false);
    expect(git(repo.root, "branch", "--list", "feature/*")).toBe("");
  });

  it("creates the branch from the base and the worktree, links the shared state, records the stream", async () => {
    const result = await tower(repo.root, ["start", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      `started A on feature/stream-A-foundation in ${wt("A")} (new worktree)\n`,
    );
    expect(git(wt("A"), "rev-parse", "--abbrev-ref", "HEAD").trim()).toBe(
      "feature/stream-A-foundation",
    );
    expect(git(wt("A"), "rev-parse", "HEAD")).toBe(git(repo.root, "rev-parse", "main"));
    expect(readlinkSync(path.join(wt("A"), ".claude/state"))).toBe(repo.stateDir);
    expect(git(wt("A"), "status", "--porcelain")).toBe("");
    const record = (await orchestrator()).A!;
    expect(record).toMatchObject({
      status: "in_progress",
      worktree: wt("A"),
      branch: "feature/stream-A-foundation",
      agents: ["A1"],
    });
    expect(String(record.started_at)).toMatch(/Z$/);
    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(log.at(-1)).toMatchObject({
      agent: "tower",
      stream: "A",
      action: "started",
      branch: "feature/stream-A-foundation",
    });

    // The state is shared through the link: a lock taken by path from the worktree shows in main.
    const locked = await tower(wt("A"), ["lock", "src/app.txt", "--agent", "A1"]);
    expect(locked.code).toBe(0);
    const viaLink = await fsp.readFile(path.join(wt("A"), ".claude/state/file_locks.json"), "utf8");
    expect(viaLink).toBe(await fsp.readFile(path.join(repo.stateDir, "file_locks.json"), "utf8"));
    expect(viaLink).toContain("src/app.txt");
  });

  it("reuses an existing worktree, and refuses a branch or folder that is not Tower's", async () => {
    await tower(repo.root, ["start", "A"]);
    await commitIn("A", "src/a.txt", "a\n");
    const again = await tower(repo.root, ["start", "A"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("(reusing its worktree)");
    expect(git(wt("A"), "log", "-1", "--format=%s").trim()).toBe("change src/a.txt");

    git(repo.root, "branch", "feature/stream-B-billing");
    const branchTaken = await tower(repo.root, ["start", "B"]);
    expect(branchTaken.code).toBe(3);
    expect(branchTaken.stderr).toContain(
      "branch feature/stream-B-billing already exists and was not made by Tower for B",
    );
    git(repo.root, "branch", "-d", "feature/stream-B-billing");
    await fsp.mkdir(wt("B"));
    await fsp.writeFile(path.join(wt("B"), "mine.txt"), "keep me\n");
    const folderTaken = await tower(repo.root, ["start", "B"]);
    expect(folderTaken.code).toBe(3);
    expect(folderTaken.stderr).toContain(
      `${wt("B")} already exists and is not a worktree of this repository`,
    );
    expect(await fsp.readFile(path.join(wt("B"), "mine.txt"), "utf8")).toBe("keep me\n");
  });

  it("takes a recorded worktree only when it is one of the repository's linked worktrees (relative: from the repository root); the main worktree or another folder is refused, naming the state file", async () => {
    const stateFile = path.join(repo.stateDir, "orchestrator_state.json");
    const record = async (id: string, entry: Record<string, unknown>) => {
      const state = (await readJson(stateFile)) as { streams: Record<string, unknown> };
      state.streams[id] = {
        status: "in_progress",
        started_at: "2025-01-01T00:00:00Z",
        agents: [`${id}1`],
        ...entry,
      };
      await fsp.writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    };
    const hooksPath = (cwd: string) => {
      try {
        return git(cwd, "config", "--get", "core.hooksPath").trim();
      } catch {
        return undefined;
      }
    };

    // A relative path to A's worktree, run from a folder below the root: A's own worktree.
    await tower(repo.root, ["start", "A"]);
    await record("A", { worktree: "../shop-stream-A", branch: "feature/stream-A-foundation" });
    const again = await tower(path.join(repo.root, "src"), ["start", "A"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`in ${wt("A")} (reusing its worktree)`);

    // The main worktree, and a repository beside this one.
    const other = path.join(parent(), "other-repo");
    await fsp.mkdir(other);
    git(other, "init", "-q", "-b", "main");
    for (const [recorded, what] of [
      [".", "is the repository's main worktree"],
      ["../other-repo", "is not a worktree of this repository"],
    ]) {
      await record("B", { worktree: recorded, branch: "main" });
      const result = await tower(repo.root, ["start", "B"]);
      expect(result.code, recorded).toBe(3);
      expect(result.stderr).toContain(
        `${stateFile} records ${recorded} as stream B's worktree, which ${what}`,
      );
    }
    // No guard went into either (A's is in A's worktree alone).
    expect(hooksPath(repo.root)).toBeUndefined();
    expect(hooksPath(other)).toBeUndefined();
    expect(() => git(other, "config", "--get", "extensions.worktreeConfig")).toThrow();
    expect(existsSync(path.join(other, ".claude"))).toBe(false);
  });

  it("rejects an unknown stream id with the known ones", async () => {
    const result = await tower(repo.root, ["start", "Q"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown stream "Q" (known: A, B, E)');
  });
});

describe("tower complete", () => {
  it("marks the stream completed and names the streams that can now start", async () => {
    await tower(repo.root, ["start", "A"]);
    await fsp.writeFile(path.join(wt("A"), "src/draft.txt"), "not committed\n");
    const result = await tower(repo.root, ["complete", "A"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("completed A\ncan start now: E (tower start E)\n");
    expect(result.stderr).toContain("1 uncommitted file (src/draft.txt)");
    expect((await orchestrator()).A).toMatchObject({ status: "completed" });
    expect(String((await orchestrator()).A?.completed_at)).toMatch(/Z$/);
    const pending = await tower(repo.root, ["complete", "B"]);
    expect(pending.code).toBe(3);
    expect(pending.stderr).toContain("B has not started");
    expect((await tower(repo.root, ["start", "E"])).code).toBe(0);
  });
});

describe("tower merge", () => {
  it("merges with --no-ff, validates, removes the clean worktree and deletes the merged branch", async () => {
    await startAndComplete("A", ["src/a.txt", "a\n"]);
    const dry = await tower(repo.root, ["merge", "A", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("merge A (Foundation): feature/stream-A-foundation into main");
    expect(dry.stdout).toContain("merge order: [A] B E");
    expect(dry.stdout).toContain("validation: `! grep -rq BROKEN src`");
    expect(dry.stdout).toContain("ready to merge");
    expect((await orchestrator()).A?.status).toBe("completed");

    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("$ ! grep -rq BROKEN src");
    expect(result.stdout).toMatch(
      /merged A \([0-9a-f]{10}\)\n {2}worktree removed\n {2}branch deleted/,
    );
    expect(git(repo.root, "log", "-1", "--format=%s%n%P").split("\n")[0]).toBe(
      "Merge stream A: Foundation",
    );
    expect(git(repo.root, "log", "-1", "--format=%P").trim().split(" ")).toHaveLength(2);
    expect(existsSync(wt("A"))).toBe(false);
    expect(git(repo.root, "branch", "--list", "feature/stream-A-foundation")).toBe("");
    expect((await orchestrator()).A).toMatchObject({ status: "merged" });
    const log = await fsp.readFile(path.join(repo.stateDir, "logs/merge-A.log"), "utf8");
    expect(log).toContain("$ ! grep -rq BROKEN src\n(exit 0)");
  });

  it("refuses while the main worktree has uncommitted changes, or the stream is not completed, or a required checkpoint is pending", async () => {
    await tower(repo.root, ["start", "A"]);
    const notDone = await tower(repo.root, ["merge", "A"]);
    expect(notDone.code).toBe(3);
    expect(notDone.stderr).toContain("A is in_progress, not completed");
    await tower(repo.root, ["complete", "A"]);
    await fsp.writeFile(path.join(repo.root, "src/app.txt"), "edited in main\n");
    const dirty = await tower(repo.root, ["merge", "A"]);
    expect(dirty.code).toBe(3);
    expect(dirty.stderr).toContain("the main worktree has uncommitted changes (src/app.txt)");
    expect(await fsp.readFile(path.join(repo.root, "src/app.txt"), "utf8")).toBe(
      "edited in main\n",
    );
    git(repo.root, "checkout", "--", "src/app.txt");

    expect((await tower(repo.root, ["merge", "A"])).code).toBe(0);
    await startAndComplete("E", ["engine.txt", "e\n"]);
    const gated = await tower(repo.root, ["merge", "E"]);
    expect(gated.code).toBe(3);
    expect(gated.stderr).toContain("E requires checkpoint review (pending) to pass first");
    expect((await tower(repo.root, ["approve", "review"])).code).toBe(0);
    expect((await tower(repo.root, ["merge", "E"])).code).toBe(0);
  });

  it("refuses a stream whose worktree holds uncommitted work (a merge takes only commits), naming the files; merges once it is committed", async () => {
    // The agent wrote a file and an edit but committed neither: merging now would say "merged"
    // and leave that work behind in a worktree of a stream marked merged.
    await startAndComplete("A");
    await fsp.writeFile(path.join(wt("A"), "src/hello.txt"), "hello\n");
    await fsp.writeFile(path.join(wt("A"), "src/app.txt"), "edited by A\n");
    const head = git(repo.root, "rev-parse", "HEAD");
    const dry = await tower(repo.root, ["merge", "A", "--dry-run"]);
    expect(dry.stdout).toContain(
      `A's worktree ${wt("A")} has 2 uncommitted files (src/app.txt, src/hello.txt): a merge takes only commits; commit them there (or remove them) first`,
    );
    const refused = await tower(repo.root, ["merge", "A"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("A's worktree");
    expect(git(repo.root, "rev-parse", "HEAD")).toBe(head);
    expect((await orchestrator()).A?.status).toBe("completed");
    expect(await fsp.readFile(path.join(wt("A"), "src/hello.txt"), "utf8")).toBe("hello\n");
    // Ignored files are not work to merge: they do not stop it.
    await fsp.appendFile(path.join(repo.root, ".git/info/exclude"), "*.log\n");
    await fsp.writeFile(path.join(wt("A"), "build.log"), "built\n");
    git(wt("A"), "add", "-A");
    git(wt("A"), "commit", "-q", "-m", "A's work");
    const merged = await tower(repo.root, ["merge", "A"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(await fsp.readFile(path.join(repo.root, "src/hello.txt"), "utf8")).toBe("hello\n");
  });

  it("says when a stream's branch brought nothing to merge (no commit of its own)", async () => {
    await startAndComplete("A");
    const head = git(repo.root, "rev-parse", "HEAD");
    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "its branch had no commit the base lacks (nothing to merge); the base validated",
    );
    expect(git(repo.root, "rev-parse", "HEAD")).toBe(head);
  });

  it("aborts a conflicting merge: base, branch and worktree exactly as before, stream marked merge_failed", async () => {
    await startAndComplete("A", ["src/app.txt", "line 1\nA's line 2\nline 3\n"]);
    await fsp.writeFile(path.join(repo.root, "src/app.txt"), "line 1\nmain's line 2\nline 3\n");
    git(repo.root, "commit", "-q", "-am", "main changes line 2");
    // Ignored notes (uncommitted work would stop the merge before it began).
    await fsp.appendFile(path.join(repo.root, ".git/info/exclude"), "notes.txt\n");
    await fsp.writeFile(path.join(wt("A"), "notes.txt"), "uncommitted notes\n");
    const head = git(repo.root, "rev-parse", "HEAD");
    const branchHead = git(repo.root, "rev-parse", "feature/stream-A-foundation");
    const mainFile = await fsp.readFile(path.join(repo.root, "src/app.txt"), "utf8");
    const worktreeStatus = git(wt("A"), "status", "--porcelain");

    const dry = await tower(repo.root, ["merge", "A", "--dry-run"]);
    expect(dry.stdout).toContain("predicted conflicts: src/app.txt (with the base)");
    expect(git(repo.root, "rev-parse", "HEAD")).toBe(head);

    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("merge of A conflicts in src/app.txt: aborted");
    expect(git(repo.root, "rev-parse", "HEAD")).toBe(head);
    expect(git(repo.root, "status", "--porcelain")).toBe("");
    expect(await fsp.readFile(path.join(repo.root, "src/app.txt"), "utf8")).toBe(mainFile);
    expect(git(repo.root, "rev-parse", "feature/stream-A-foundation")).toBe(branchHead);
    expect(git(wt("A"), "status", "--porcelain")).toBe(worktreeStatus);
    expect(await fsp.readFile(path.join(wt("A"), "notes.txt"), "utf8")).toBe("uncommitted notes\n");
    expect((await orchestrator()).A).toMatchObject({
      status: "merge_failed",
      merge_error: { kind: "conflict", files: ["src/app.txt"] },
    });
  });

  it("rolls back a merge whose validation fails, keeping the branch and worktree", async () => {
    await startAndComplete("A", ["src/bad.txt", "BROKEN\n"]);
    const head = git(repo.root, "rev-parse", "HEAD");
    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("`! grep -rq BROKEN src` failed; main was reset to");
    expect(git(repo.root, "rev-parse", "HEAD")).toBe(head);
    expect(existsSync(path.join(repo.root, "src/bad.txt"))).toBe(false);
    expect(existsSync(wt("A"))).toBe(true);
    expect(git(repo.root, "branch", "--list", "feature/stream-A-foundation")).toContain(
      "feature/stream-A-foundation",
    );
    expect((await orchestrator()).A).toMatchObject({
      status: "merge_failed",
      merge_error: { kind: "validation", command: "! grep -rq BROKEN src", rolled_back: true },
    });
    // The agent fixes it on its branch; the merge then goes through.
    await fsp.rm(path.join(wt("A"), "src/bad.txt"));
    git(wt("A"), "commit", "-q", "-am", "fix");
    expect((await tower(repo.root, ["merge", "A"])).code).toBe(0);
  });

  it("never removes a worktree with uncommitted work, nor deletes its branch (work written while the merge validated)", async () => {
    // Uncommitted work stops a merge before it begins; an agent still writing can add some
    // while the validation runs (here the validation itself writes it).
    const plan = PLAN.replace(
      '  - "! grep -rq BROKEN src"\n',
      `  - "! grep -rq BROKEN src"\n  - "echo 'work in progress' > ../shop-stream-A/src/wip.txt"\n`,
    );
    await fsp.writeFile(path.join(repo.root, "streams.yaml"), plan);
    git(repo.root, "commit", "-q", "-am", "validation that writes into A's worktree");
    await trustRepo(repo.root);
    await startAndComplete("A", ["src/a.txt", "a\n"]);
    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `worktree ${wt("A")} kept: 1 uncommitted or untracked file (src/wip.txt)`,
    );
    expect(result.stdout).toContain("branch feature/stream-A-foundation kept");
    expect(await fsp.readFile(path.join(wt("A"), "src/wip.txt"), "utf8")).toBe(
      "work in progress\n",
    );
    expect(git(repo.root, "branch", "--list", "feature/stream-A-foundation")).toContain(
      "feature/stream-A-foundation",
    );
  });

  it("keeps the worktree while an agent of the stream runs in it", async () => {
    await startAndComplete("A", ["src/a.txt", "a\n"]);
    await fsp.writeFile(
      path.join(repo.stateDir, "agents.json"),
      JSON.stringify({
        agents: { A1: { stream: "A", status: "idle", updated: new Date().toISOString(), pid: 1 } },
        version: 1,
      }),
    );
    const result = await tower(repo.root, ["merge", "A"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`worktree ${wt("A")} kept: A1 still running in it`);
    expect(existsSync(wt("A"))).toBe(true);
  });

  it("--all merges completed streams in merge order and stops at the first failure", async () => {
    await startAndComplete("A", ["src/a.txt", "a\n"]);
    await startAndComplete("B", ["src/b.txt", "BROKEN\n"]);
    await startAndComplete("E", ["e.txt", "e\n"]);
    await tower(repo.root, ["approve", "review"]);
    const dry = await tower(repo.root, ["merge", "--all", "--dry-run"]);
    expect(dry.stdout.match(/^merge [ABE] /gm)).toEqual(["merge A ", "merge B ", "merge E "]);
    // E waits for A, which the same run merges first: the dry run does not call it blocked.
    expect(dry.stdout).not.toContain("cannot merge now");
    expect(dry.code).toBe(0);
    const result = await tower(repo.root, ["merge", "--all"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("merged A");
    expect(result.stderr).toContain("`! grep -rq BROKEN src` failed");
    const streams = await orchestrator();
    expect([streams.A?.status, streams.B?.status, streams.E?.status]).toEqual([
      "merged",
      "merge_failed",
      "completed",
    ]);
    expect(git(repo.root, "log", "--format=%s", "-3").split("\n")[0]).toBe(
      "Merge stream A: Foundation",
    );
  });
});

describe("checkpoints and handoffs from git", () => {
  it("runs a run: gate only after its dependencies, and records passed or failed", async () => {
    const early = await tower(repo.root, ["checkpoint", "run", "smoke"]);
    expect(early.code).toBe(3);
    expect(early.stderr).toContain('checkpoint "smoke" cannot run yet: waiting for review');
    await tower(repo.root, ["approve", "review"]);
    const passed = await tower(repo.root, ["checkpoint", "run", "smoke"]);
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stdout).toContain("checkpoint smoke passed");
    await fsp.rm(path.join(repo.root, "src/app.txt"));
    const failed = await tower(repo.root, ["checkpoint", "run", "smoke"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      "checkpoint smoke failed: `test -f src/app.txt` ended with exit 1",
    );
    const status = JSON.parse((await tower(repo.root, ["status", "--json"])).stdout) as {
      checkpoints: { id: string; status: string }[];
    };
    expect(status.checkpoints).toEqual([
      { id: "review", status: "approved", depends_on: [] },
      { id: "smoke", status: "failed", depends_on: ["review"] },
    ]);
    const human = await tower(repo.root, ["checkpoint", "run", "review"]);
    expect(human.code).toBe(3);
  });

  it("fills a handoff from git: commit subjects, new and removed exports, last validation", async () => {
    await fsp.writeFile(
      path.join(repo.root, "src/api.ts"),
      "export function charge(amount: number) {}\nexport const LIMIT = 5;\n",
    );
    await fsp.writeFile(path.join(repo.root, "src/models.py"), "def old_helper():\n    pass\n");
    git(repo.root, "add", ".");
    git(repo.root, "commit", "-q", "-m", "api");
    await tower(repo.root, ["start", "A"]);
    await commitIn(
      "A",
      "src/api.ts",
      "export function charge(amount: number, currency: string) {}\nexport class Refund {}\n",
      "Add refunds",
    );
    await commitIn(
      "A",
      "src/models.py",
      "def old_helper():\n    pass\n\nclass Invoice:\n    pass\n",
      "Add invoices",
    );
    const result = await tower(repo.root, [
      "handoff",
      "--from",
      "A1",
      "--to",
      "E1,E2",
      "--note",
      "charge needs a currency now",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("(details read from git where not given)");
    const file = (await readJson(path.join(repo.stateDir, "handoffs.json"))) as {
      handoffs: Record<string, unknown>[];
    };
    expect(file.handoffs[0]).toMatchObject({
      from_agent: "A1",
      to_agents: ["E1", "E2"],
      completed_tasks: ["Add refunds", "Add invoices"],
      context: {
        new_interfaces: ["src/api.ts: export class Refund {}", "src/models.py: class Invoice:"],
        breaking_changes: [
          "src/api.ts: charge changed: export function charge(amount: number) {} -> export function charge(amount: number, currency: string) {}",
          "src/api.ts: LIMIT removed (was: export const LIMIT = 5;)",
        ],
        test_status: "unknown",
        notes: "charge needs a currency now",
      },
    });
    const summary = await fsp.readFile(path.join(repo.stateDir, "handoffs/E2.md"), "utf8");
    expect(summary).toContain("## From A1 (stream A) to E1, E2");
    expect(summary).toContain("- Add refunds");
    expect(summary).toContain("### Breaking changes\n- src/api.ts: charge changed");
    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(log.at(-1)).toMatchObject({
      action: "handoff",
      summaries: ["handoffs/E1.md", "handoffs/E2.md"],
    });
  });
});
