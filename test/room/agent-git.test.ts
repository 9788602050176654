/**
 * An agent started by the room meets the guard in whatever worktree its shell runs git: its
 * environment points git at the guard's hooks (not only its stream worktree's own hooks path).
 * A plain shell agent commits in the main worktree and in a worktree it makes itself, moving
 * its stream's branch there; both are refused. Real git, the real room, a real pseudo-terminal.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { startServices } from "../../src/ui/services/index.js";
import { cleanEnv, git, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fixture, onCleanup, yamlArgv } from "./helpers.js";

afterEach(cleanup);

// In the main worktree: a commit on the base. In a worktree of its own: a commit on a branch of
// its own (nobody's), then its stream's branch moved to it by update-ref. Each exit code is kept.
const SCRIPT = `
out=../agent-git.out
cd "$TOWER_REPO_ROOT"
echo "agent's" > notes.txt && git add notes.txt
git -c user.name=A -c user.email=a@x commit -q -m "on the base" 2>../base.err; echo "base $?" >> $out
git reset -q notes.txt
cd "$TOWER_WORKTREE"
branch=$(git rev-parse --abbrev-ref HEAD)
git worktree add -q -b scratch ../scratch "$branch"
cd ../scratch && mkdir -p config && echo x > config/app.py && git add config/app.py
git -c user.name=A -c user.email=a@x commit -q -m elsewhere; echo "scratch $?" >> $out
git update-ref "refs/heads/$branch" scratch 2>../move.err; echo "move $?" >> $out
echo done >> $out
sleep 60
`;

const plan = `version: 1
project: demo
agent: ${yamlArgv(["sh", "-c", SCRIPT])}
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "one" }]
  B:
    name: Billing
    agents: [{ id: B1, task: "two" }]
`;

it("refuses (git exits 128: ref updates aborted by hook) an agent's commit on the base in the main worktree, and its moving its stream's branch from a worktree it made", async () => {
  const f = await fixture(plan);
  f.store.getState().setSize(160, 40);
  expect((await tower(f.repo.root, ["lock", "config/app.py", "--agent", "B1"])).code).toBe(0);
  expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
  const parent = path.dirname(f.repo.root);
  const worktree = path.join(parent, "demo-stream-A");
  const base = git(f.repo.root, "rev-parse", "HEAD").trim();
  const branch = git(worktree, "rev-parse", "--abbrev-ref", "HEAD").trim();
  const tip = git(worktree, "rev-parse", "HEAD").trim();
  const services = await startServices(f.project, f.store, {
    session: { env: cleanEnv(), stopGraceMs: 1_000 },
  });
  onCleanup(() => services.close(500));
  const out = path.join(parent, "agent-git.out");
  await waitFor(
    () => (existsSync(out) && readFileSync(out, "utf8").includes("done") ? true : undefined),
    30_000,
    () => `the agent's script (${existsSync(out) ? readFileSync(out, "utf8") : "no output"})`,
  );
  expect(readFileSync(out, "utf8").trim().split("\n")).toEqual([
    "base 128",
    "scratch 0",
    "move 128",
    "done",
  ]);
  expect(readFileSync(path.join(parent, "base.err"), "utf8")).toContain(
    "moves only by `tower merge` (or by you in the main worktree), not by agent A1's git",
  );
  expect(readFileSync(path.join(parent, "move.err"), "utf8")).toContain(
    "config/app.py is locked by agent B1, stream B",
  );
  expect(git(f.repo.root, "rev-parse", "HEAD").trim()).toBe(base);
  expect(git(worktree, "rev-parse", branch).trim()).toBe(tip);
});
