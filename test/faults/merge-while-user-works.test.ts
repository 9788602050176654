/**
 * The user keeps working in the main worktree while `tower merge` validates: checks out another
 * branch, commits (on the base or on that branch), leaves untracked and ignored files, and the
 * stream's agent left an ignored file in its worktree; the validation passes or fails, and in
 * some runs `tower merge` is killed with SIGKILL (validation command and all) while it validates,
 * the user acts, and the next `tower merge` resolves what it left. Which of these happen, and in
 * what order, comes from a seeded random (the seed is printed).
 *
 * Each run ends with the shared invariants (invariants.ts: no commit unreachable that was
 * reachable, no tracked, untracked or ignored file lost, nothing written in the fake HOME, no
 * process left), and with what Tower said checked against what git holds:
 * - every branch but the base points where the user left it, and HEAD is what the user checked out;
 * - "merged A" only when the base holds A's commits, and the stream is then recorded merged;
 * - "main was reset to X" only when main is at X and does not hold A's commits;
 * - "main has moved on since the merge" (with the command to revert it) only when the base still
 *   holds the merge, below the user's commit;
 * - a failure is recorded as merge_failed, and A's branch and worktree are kept.
 */
import { existsSync, promises as fsp, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { git, makeRepo, type TempRepo, tower, waitFor } from "../helpers/repo.js";
import { processesIn } from "./agents.js";
import { Invariants } from "./invariants.js";
import { runTower } from "./killer.js";
import { type Random, seeded } from "./runs.js";

const RUNS = 6;
const random = seeded("merge while the user works");

// The validation command says when it runs (../validating), waits until the test has done what
// the user does meanwhile (../go), and fails when the test asks for it (../fail).
const PLAN = `version: 1
project: shop
base: main
validate:
  - "touch ../validating; until [ -f ../go ]; do sleep 0.05; done; test ! -f ../fail"
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
`;
const BRANCH = "feature/stream-A-foundation";

type Act = "checkout dev" | "commit" | "untracked" | "ignored";

interface Scenario {
  acts: Act[];
  fail: boolean;
  /** Killed while it validates; the user acts, then the next merge resolves it. */
  kill: boolean;
  /** The agent left an ignored file (`.env`) in the stream's worktree. */
  agentEnv: boolean;
}

function choose(r: Random): Scenario {
  const acts = (["checkout dev", "commit", "untracked", "ignored"] as const).filter(() =>
    r.chance(0.5),
  );
  // In a random order, a checkout before or after the commit (the commit goes on dev then).
  for (let i = acts.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [acts[i], acts[j]] = [acts[j] as Act, acts[i] as Act];
  }
  return { acts, fail: r.chance(0.5), kill: r.chance(0.3), agentEnv: r.chance(0.5) };
}

interface Rig {
  repo: TempRepo;
  parent: string;
  home: string;
  env: NodeJS.ProcessEnv;
  invariants: Invariants;
  /** A's last commit (its branch is deleted once merged). */
  tip: string;
  /** The branches and HEAD as the user left them (after acting). */
  userRefs?: Map<string, string>;
  head?: string;
}

const marker = (rig: Rig, name: string) => path.join(rig.parent, name);
const rev = (rig: Rig, ref: string) => git(rig.repo.root, "rev-parse", ref).trim();
const short = (sha: string) => sha.slice(0, 10);
const refs = (rig: Rig) =>
  new Map(
    git(rig.repo.root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads")
      .trim()
      .split("\n")
      .map((line) => line.split(" ") as [string, string]),
  );
const holds = (rig: Rig, ancestor: string, ref: string) => {
  try {
    git(rig.repo.root, "merge-base", "--is-ancestor", ancestor, ref);
    return true;
  } catch {
    return false;
  }
};

async function setUp(scenario: Scenario): Promise<Rig> {
  const repo = await makeRepo({ plan: PLAN });
  const parent = path.dirname(repo.root);
  const home = path.join(parent, "home");
  mkdirSync(home);
  writeFileSync(path.join(home, ".profile"), "# the user's\n");
  const env = { HOME: home };
  const root = repo.root;
  writeFileSync(path.join(root, ".gitignore"), "*.log\n.env\n");
  git(root, "add", ".gitignore");
  git(root, "commit", "-q", "-m", "ignore logs");
  git(root, "branch", "-q", "dev");
  expect((await tower(root, ["start", "A"], env)).code).toBe(0);
  const wt = path.join(parent, "shop-stream-A");
  writeFileSync(path.join(wt, "a.txt"), "A's work\n");
  git(wt, "add", "a.txt");
  git(wt, "commit", "-q", "-m", "A's work");
  if (scenario.agentEnv) writeFileSync(path.join(wt, ".env"), "TOKEN=agent's own\n");
  expect((await tower(root, ["complete", "A"], env)).code).toBe(0);
  const invariants = await Invariants.take({
    root,
    stateDir: repo.stateDir,
    sentinels: [home],
  });
  return { repo, parent, home, env, invariants, tip: git(wt, "rev-parse", "HEAD").trim() };
}

/** What the user does while Tower validates. */
function act(rig: Rig, acts: Act[], run: number): void {
  const root = rig.repo.root;
  for (const what of acts) {
    if (what === "checkout dev") git(root, "checkout", "-q", "dev");
    else if (what === "commit") {
      const file = path.join(root, `user-${run}.txt`);
      writeFileSync(file, `the user's commit in run ${run}\n`);
      rig.invariants.wrote(file, `the user's commit in run ${run}\n`);
      git(root, "add", path.basename(file));
      git(root, "commit", "-q", "-m", "the user's commit");
    } else if (what === "untracked") {
      const file = path.join(root, `notes-${run}.md`);
      writeFileSync(file, "the user's notes\n");
      rig.invariants.wrote(file, "the user's notes\n");
    } else {
      const file = path.join(root, `debug-${run}.log`);
      writeFileSync(file, "the user's log\n");
      rig.invariants.wrote(file, "the user's log\n");
    }
  }
  rig.userRefs = refs(rig);
  rig.head = git(root, "symbolic-ref", "--short", "HEAD").trim();
}

/** `tower merge A`, the user acting while it validates; killed there when `kill`. */
async function mergeWhileUserActs(rig: Rig, acts: Act[], run: number, kill: boolean) {
  const validating = marker(rig, "validating");
  await fsp.rm(validating, { force: true });
  const merging = runTower(
    rig.repo.root,
    ["merge", "A"],
    rig.env,
    kill
      ? {
          atWriteIn: rig.parent,
          only: (name) => name === "validating",
          delayMs: random.between(0, 50),
        }
      : { never: true },
    { group: true },
  );
  if (!kill) {
    await waitFor(() => existsSync(validating) || undefined, 30_000, "validation to run");
    act(rig, acts, run);
    writeFileSync(marker(rig, "go"), "");
  }
  return merging;
}

/** What Tower said, checked against what git holds; returns the contradictions. */
function saidRight(
  rig: Rig,
  out: { code: number | null; stdout: string; stderr: string },
  expected: { main0: string; userRefs: Map<string, string>; head: string },
): string[] {
  const found: string[] = [];
  const said = `${out.stdout}\n${out.stderr}`;
  const root = rig.repo.root;
  const branchTip = rig.tip;
  const mainNow = rev(rig, "main");
  for (const [ref, sha] of expected.userRefs) {
    if (ref === "refs/heads/main" || ref === `refs/heads/${BRANCH}`) continue;
    const now = refs(rig).get(ref);
    if (now !== sha) found.push(`${ref} moved from ${short(sha)} to ${now ? short(now) : "gone"}`);
  }
  const head = git(root, "symbolic-ref", "--short", "HEAD").trim();
  if (head !== expected.head) found.push(`HEAD is ${head}; the user had ${expected.head}`);
  const status = (
    JSON.parse(readFileSync(path.join(rig.repo.stateDir, "orchestrator_state.json"), "utf8")) as {
      streams: Record<string, { status?: string }>;
    }
  ).streams.A?.status;
  const recorded = out.code === 0 ? "merged" : "merge_failed";
  if (status !== recorded) found.push(`exit ${out.code}, but A is recorded ${status}`);
  if (out.code === 0) {
    if (!said.includes("merged A")) found.push(`exit 0 without "merged A": ${said}`);
    if (!holds(rig, branchTip, "main")) found.push("exit 0, but main does not hold A's commits");
  } else {
    const reset = said.match(/main was reset to ([0-9a-f]{10})/);
    if (reset) {
      if (!mainNow.startsWith(reset[1] as string))
        found.push(`says main was reset to ${reset[1]}; it is at ${short(mainNow)}`);
      if (holds(rig, branchTip, "main")) found.push("says main was reset; it holds A's commits");
    }
    if (said.includes("main has moved on since the merge")) {
      if (!holds(rig, branchTip, "main"))
        found.push("says main moved on since the merge; it does not hold the merge");
      if (!/revert -m 1 [0-9a-f]{40}/.test(said)) found.push("no command to revert the merge");
    }
    if (!reset && !said.includes("main has moved on") && !said.includes("reset --keep"))
      found.push(`a failed merge that says neither what was undone nor how: ${said}`);
    if (!existsSync(path.join(rig.parent, "shop-stream-A")))
      found.push("the failed stream's worktree is gone");
  }
  return found;
}

async function oneRun(run: number): Promise<string[]> {
  const scenario = choose(random);
  const label = `run ${run} ${JSON.stringify(scenario)}`;
  const rig = await setUp(scenario);
  const found: string[] = [];
  try {
    const main0 = rev(rig, "main");
    if (scenario.fail) writeFileSync(marker(rig, "fail"), "");
    let out = await mergeWhileUserActs(rig, scenario.acts, run, scenario.kill);
    if (scenario.kill) {
      if (!out.killed) found.push(`the merge was not killed: ${out.stderr}`);
      await waitFor(
        () => (processesIn(rig.parent).length === 0 ? true : undefined),
        30_000,
        "the killed merge's children",
      );
      act(rig, scenario.acts, run);
      writeFileSync(marker(rig, "go"), "");
      out = await runTower(rig.repo.root, ["merge", "A"], rig.env, { never: true });
      if (!out.stderr.includes("was interrupted"))
        found.push(`the next merge does not say the last one was interrupted: ${out.stderr}`);
    }
    found.push(
      ...saidRight(rig, out, {
        main0,
        userRefs: rig.userRefs ?? new Map(),
        head: rig.head ?? "main",
      }),
    );
    const expectFail = scenario.fail || (scenario.acts.includes("checkout dev") && !scenario.kill);
    if (expectFail && out.code === 0) found.push(`merged, though it should have failed`);
    found.push(...(await rig.invariants.check()));
  } finally {
    rig.repo.cleanup();
  }
  return found.map((problem) => `${label}: ${problem}`);
}

describe("the user checks out and commits in the main worktree while a merge validates", () => {
  it(`loses nothing and says what it did, over ${RUNS} runs`, async () => {
    const found: string[] = [];
    for (let run = 0; run < RUNS; run++) found.push(...(await oneRun(run)));
    for (const line of found) console.log(line);
    expect(found, `replay with TOWER_FAULT_SEED=${random.seed}`).toEqual([]);
  }, 600_000);
});
