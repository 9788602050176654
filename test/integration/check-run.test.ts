/**
 * What `tower check` says of the run beyond the files' shapes, and `tower merge --dry-run`'s exit
 * code: an orphaned stream, a stream worktree without the guard, a merge a killed Tower left
 * pending, forged approvals, an untrusted plan; counts with their plural right. Real
 * repositories, the built CLI. Each failed before its fix.
 */
import { existsSync, promises as fsp, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { git, makeRepo, readJson, type TempRepo, tower } from "../helpers/repo.js";

const PLAN = `version: 1
project: shop
validate: ["true"]
checkpoints:
  review: { approval: human }
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
  B:
    name: Billing
    agents: [{ id: B1, task: "Billing" }, { id: B2, task: "Invoices" }]
  E:
    name: Engine
    depends_on: [A]
    requires: [review]
    agents: [{ id: E1, task: "Engine" }]
`;

/** The same plan without stream B. */
const PLAN_WITHOUT_B = PLAN.replace(/ {2}B:\n(?: {4}.*\n)+/, "");

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo({ plan: PLAN });
});
afterEach(() => repo.cleanup());

const wt = (id: string) => path.join(path.dirname(repo.root), `shop-stream-${id}`);
const stateFile = (name: string) => path.join(repo.stateDir, name);
const orchestrator = async () =>
  (await readJson(stateFile("orchestrator_state.json"))) as {
    streams: Record<string, Record<string, unknown>>;
  };

async function startAndComplete(id: string): Promise<void> {
  expect((await tower(repo.root, ["start", id])).code).toBe(0);
  await fsp.writeFile(path.join(wt(id), `${id}.txt`), `${id}\n`);
  git(wt(id), "add", ".");
  git(wt(id), "commit", "-q", "-m", `work of ${id}`);
  expect((await tower(repo.root, ["complete", id])).code).toBe(0);
}

/** A plan's first lines, before its streams. */
const SHOP = "version: 1\nproject: shop\nstreams:\n";

/** `fn` on a repository of its own made with `options` (makeRepo), removed after. */
async function inRepo(
  options: Parameters<typeof makeRepo>[0],
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const fresh = await makeRepo(options);
  try {
    await fn(fresh.root);
  } finally {
    fresh.cleanup();
  }
}

describe("tower merge --dry-run", () => {
  it("exits 3, as tower merge would refuse, when it says the stream cannot merge now", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    const dry = await tower(repo.root, ["merge", "A", "--dry-run"]);
    expect(dry.stdout).toContain("cannot merge now");
    expect(dry.stdout).toContain("A is in_progress, not completed");
    expect(dry.code).toBe(3);
    const all = await tower(repo.root, ["merge", "E", "--dry-run"]);
    expect(all.stdout).toContain("cannot merge now");
    expect(all.code).toBe(3);
  });

  it("exits 0 for --all when each stream can merge once those before it in the run have", async () => {
    await startAndComplete("A");
    await startAndComplete("E");
    expect((await tower(repo.root, ["approve", "review"])).code).toBe(0);
    const dry = await tower(repo.root, ["merge", "--all", "--dry-run"]);
    expect(dry.stdout.match(/^merge [AE] /gm)).toEqual(["merge A ", "merge E "]);
    expect(dry.stdout).not.toContain("cannot merge now");
    expect(dry.code, dry.stdout).toBe(0);
    // What the dry run said: the run merges both.
    const merge = await tower(repo.root, ["merge", "--all"]);
    expect(merge.code, merge.stderr).toBe(0);
  });

  it("exits 3 for --all when a stream of the run is blocked, and says why", async () => {
    await startAndComplete("A");
    await startAndComplete("E");
    const dry = await tower(repo.root, ["merge", "--all", "--dry-run"]);
    expect(dry.stdout).toContain("E requires checkpoint review (pending) to pass first");
    expect(dry.code).toBe(3);
  });
});

describe("counts in the CLI's output", () => {
  it("agree in number: 1 stream in 1 phase, 1 agent, 1 checkpoint", async () => {
    await fsp.writeFile(
      path.join(repo.root, "streams.yaml"),
      `version: 1
checkpoints:
  review: { approval: human }
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
`,
    );
    const check = await tower(repo.root, ["check"]);
    expect(check.stdout).toContain("streams.yaml: ok (1 stream in 1 phase, 1 agent, 1 checkpoint)");
    const many = PLAN;
    await fsp.writeFile(path.join(repo.root, "streams.yaml"), many);
    expect((await tower(repo.root, ["check"])).stdout).toContain(
      "streams.yaml: ok (3 streams in 2 phases, 4 agents, 1 checkpoint)",
    );
  });

  it("says 1 uncommitted file, not file(s)", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    await fsp.writeFile(path.join(wt("A"), "draft.txt"), "not committed\n");
    const complete = await tower(repo.root, ["complete", "A"]);
    expect(complete.stderr).toContain("A's worktree has 1 uncommitted file (draft.txt)");
    expect(complete.stderr).not.toContain("(s)");
  });
});

describe("tower check on a run", () => {
  it("reports a stream in progress that streams.yaml no longer has, and removes nothing", async () => {
    expect((await tower(repo.root, ["start", "A", "B"])).code).toBe(0);
    const before = await orchestrator();
    await fsp.writeFile(path.join(repo.root, "streams.yaml"), PLAN_WITHOUT_B);
    const check = await tower(repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("orphaned stream B: it is in_progress in");
    expect(check.stderr).toContain(`its worktree ${wt("B")} and branch feature/stream-B-billing`);
    expect(check.stderr).toContain("its agents B1, B2");
    expect(check.stderr).toContain("Put B back in streams.yaml");
    expect(check.stderr).toMatch(/1 problem found$/m);
    // Nothing was removed: the worktree, the branch and the record are all still there.
    expect(existsSync(wt("B"))).toBe(true);
    expect(git(repo.root, "branch", "--list", "feature/stream-B-billing")).not.toBe("");
    expect(await orchestrator()).toEqual(before);
    // Back in the plan, all is well again.
    await fsp.writeFile(path.join(repo.root, "streams.yaml"), PLAN);
    const again = await tower(repo.root, ["check"]);
    expect(again.code, again.stderr).toBe(0);
  });

  it("reports a stream worktree in progress without Tower's pre-commit guard; tower start puts it back", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    expect((await tower(repo.root, ["check"])).code).toBe(0);
    git(wt("A"), "config", "--worktree", "--unset", "core.hooksPath");
    const check = await tower(repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      `Tower's pre-commit guard is not installed in ${wt("A")}, the worktree of stream A`,
    );
    expect(check.stderr).toContain("tower start A");
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    const again = await tower(repo.root, ["check"]);
    expect(again.code, again.stderr).toBe(0);
  });

  it("notes a worktree that sets its own hooks path, without failing", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    git(wt("A"), "config", "--worktree", "core.hooksPath", ".husky");
    const check = await tower(repo.root, ["check"]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain(
      `note: ${wt("A")}, the worktree of stream A, sets its own core.hooksPath (.husky)`,
    );
  });

  it("reports a merge that a killed Tower left pending", async () => {
    await startAndComplete("A");
    const main = git(repo.root, "rev-parse", "main").trim();
    const file = await orchestrator();
    (file.streams.A as Record<string, unknown>).merge_pending = {
      base: "main",
      before: main,
      branch: "feature/stream-A-foundation",
      pid: 999_999,
      started_at: "2026-01-01T00:00:00Z",
    };
    await fsp.writeFile(stateFile("orchestrator_state.json"), JSON.stringify(file, null, 2));
    const check = await tower(repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      "the merge of A into main was interrupted before its validation finished",
    );
    expect(check.stderr).toContain("Run `tower merge A` to settle it");
  });

  it("reports an approval that does not bear Tower's seal as forged", async () => {
    await fsp.writeFile(
      stateFile("checkpoints.json"),
      JSON.stringify({
        checkpoints: {
          review: { status: "approved", by: "A1", updated: "2026-01-01T00:00:00Z", note: null },
        },
        version: 1,
      }),
    );
    const check = await tower(repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      "checkpoint review is recorded as approved by A1 in checkpoints.json, but not by Tower: forged",
    );
    // Approved by a human through Tower, it is sealed and fine.
    expect((await tower(repo.root, ["approve", "review"])).code).toBe(0);
    const again = await tower(repo.root, ["check"]);
    expect(again.code, again.stderr).toBe(0);
  });

  it("notes a plan whose commands are not trusted on this machine, without failing", async () => {
    await inRepo({ plan: PLAN, trust: false }, async (root) => {
      const check = await tower(root, ["check"]);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stderr).toContain("note: ");
      expect(check.stderr).toContain("has not been trusted on this machine");
      expect(check.stderr).toContain("tower trust");
    });
  });

  it("reports the Claude Code agents for which Claude Code would run no hook of Tower's (--bare, CLAUDE_CODE_SIMPLE, the organization's remote managed settings)", async () => {
    await inRepo(
      {
        plan: `${SHOP}  C:
    name: Claude
    agents:
      - { id: C1, task: "Base", agent: "claude --bare {task}" }
      - { id: C2, task: "Other", agent: ["claude", "{task}"] }
  G:
    name: Gemini
    agents: [{ id: G1, task: "Other", agent: "gemini --bare {task}" }]
`,
      },
      async (root) => {
        const check = await tower(root, ["check"]);
        expect(check.code).toBe(1);
        expect(check.stderr).toContain(
          "the agent's command gives --bare: Claude Code would run none of Tower's hooks (locks, scope, status), so Tower does not start the Claude Code agent C1 while it does",
        );
        expect(check.stderr).toMatch(/1 problem found$/m);
        const simple = await tower(root, ["check"], { CLAUDE_CODE_SIMPLE: "true" });
        expect(simple.stderr).toContain(
          "its environment sets CLAUDE_CODE_SIMPLE=true: Claude Code would run none of Tower's hooks (locks, scope, status), so Tower does not start the Claude Code agent C2 while it does",
        );
        expect(simple.stderr).toMatch(/2 problems found$/m);
        // The organization's remote managed settings, as Claude Code keeps them in its folder.
        const home = path.join(path.dirname(root), "home");
        mkdirSync(path.join(home, ".claude"), { recursive: true });
        const remote = path.join(home, ".claude", "remote-settings.json");
        writeFileSync(remote, '{ "disableAllHooks": true }\n');
        const org = await tower(root, ["check"], { HOME: home, ANTHROPIC_BASE_URL: "" });
        expect(org.stderr).toContain(
          `${remote} (Claude Code's copy of your organization's remote managed settings) sets disableAllHooks: true: Claude Code would run none of Tower's hooks (locks, scope, status), so Tower does not start the Claude Code agent C2 while it does`,
        );
      },
    );
  });

  it("reports a Claude Code agent whose command's own --settings Tower cannot read (a file of its worktree, or JSON)", async () => {
    await inRepo(
      {
        plan: `${SHOP}  C:
    name: Claude
    agents:
      - { id: C1, task: "Base", agent: ["claude", "--settings", "mine.json", "{task}"] }
      - { id: C2, task: "Other", agent: "claude --settings='{nope' {task}" }
      - { id: C3, task: "Fine", agent: ["claude", "--settings", "{}", "{task}"] }
`,
      },
      async (root) => {
        expect((await tower(root, ["start", "C"])).code).toBe(0);
        const check = await tower(root, ["check"]);
        expect(check.code).toBe(1);
        expect(check.stderr).toContain(
          'C1: the agent\'s command in streams.yaml gives --settings "mine.json", which cannot be read (ENOENT)',
        );
        expect(check.stderr).toContain(
          'C2: the agent\'s command in streams.yaml gives --settings "{nope", which is not JSON',
        );
        expect(check.stderr).not.toContain("C3:");
        // In the worktree, it reads.
        const worktree = path.join(path.dirname(root), "shop-stream-C");
        await fsp.writeFile(path.join(worktree, "mine.json"), '{"model": "x"}');
        const again = await tower(root, ["check"]);
        expect(again.stderr).not.toContain("C1:");
        expect(again.stderr).toMatch(/1 problem found$/m);
      },
    );
  });

  it("reports a Gemini CLI stream whose worktree's own settings switch hooks off, and changes nothing", async () => {
    await inRepo(
      {
        plan: `${SHOP}  G:
    name: Gemini
    agents: [{ id: G1, task: "Base", agent: "gemini --prompt-interactive {task}" }]
  C:
    name: Claude
    agents: [{ id: C1, task: "Other", agent: "claude {task}" }]
`,
      },
      async (root) => {
        expect((await tower(root, ["start", "G", "C"])).code).toBe(0);
        const settings = '{ "hooksConfig": { "enabled": false } }\n';
        const files = ["G", "C"].map((id) =>
          path.join(path.dirname(root), `shop-stream-${id}`, ".gemini", "settings.json"),
        );
        for (const file of files) {
          await fsp.mkdir(path.dirname(file));
          await fsp.writeFile(file, settings);
        }
        // A Gemini home that trusts the repository (so its worktrees too).
        const home = path.join(path.dirname(root), "home");
        const trusted = path.join(home, ".gemini", "trustedFolders.json");
        await fsp.mkdir(path.dirname(trusted), { recursive: true });
        await fsp.writeFile(trusted, JSON.stringify({ [root]: "TRUST_FOLDER" }));
        const env = { GEMINI_CLI_HOME: home };
        const check = await tower(root, ["check"], env);
        expect(check.code).toBe(1);
        expect(check.stderr).toContain(
          `${files[0]} sets hooksConfig.enabled to false: Gemini CLI applies these workspace settings over the user's and would run no hook at all`,
        );
        expect(check.stderr).toContain(
          "Tower does not start stream G's Gemini CLI agent (G1) in its worktree while it does",
        );
        // Claude Code does not read it.
        expect(check.stderr).not.toContain(files[1]);
        expect(check.stderr).toMatch(/1 problem found$/m);
        for (const file of files) expect(await fsp.readFile(file, "utf8")).toBe(settings);
        await fsp.writeFile(files[0]!, '{ "hooksConfig": { "enabled": true } }\n');
        const again = await tower(root, ["check"], env);
        expect(again.code, again.stderr).toBe(0);
        // The worktree distrusted by a rule of its own: Gemini would run no hook there.
        const worktree = path.dirname(path.dirname(files[0]!));
        await fsp.writeFile(
          trusted,
          JSON.stringify({ [root]: "TRUST_FOLDER", [worktree]: "DO_NOT_TRUST" }),
        );
        const distrusted = await tower(root, ["check"], env);
        expect(distrusted.code).toBe(1);
        expect(distrusted.stderr).toContain(
          `${trusted} says DO_NOT_TRUST for ${worktree}, so Gemini CLI does not trust ${worktree}: Gemini CLI would run none of Tower's hooks there`,
        );
        expect(distrusted.stderr).toContain(
          "Tower does not start stream G's Gemini CLI agent (G1) in it while it does",
        );
        expect(distrusted.stderr).toMatch(/1 problem found$/m);
        // No rule for either: Gemini would ask, and run the task meanwhile without hooks.
        await fsp.writeFile(trusted, "{}");
        const unknown = await tower(root, ["check"], env);
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toContain(
          `Gemini CLI trusts neither ${worktree} nor its repository ${root}`,
        );
        const restricted = await tower(root, ["check"], {
          ...env,
          GEMINI_RESTRICTED_MODE: "true",
        });
        expect(restricted.code).toBe(1);
        expect(restricted.stderr).toContain("the environment sets GEMINI_RESTRICTED_MODE=true");
      },
    );
  });
});
