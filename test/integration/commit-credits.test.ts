/**
 * Several agents share a stream's worktree: a handoff credits the sender with its own commits,
 * not another agent's. The guard's post-commit hook (installed by `tower start`) records who
 * made each commit; real git commits in the real worktree, as an agent's shell would make them.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, git, makeRepo, readJson, type TempRepo, tower } from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

function commitAs(worktree: string, agent: string | undefined, file: string, subject: string) {
  mkdirSync(path.dirname(path.join(worktree, file)), { recursive: true });
  writeFileSync(path.join(worktree, file), `${subject}\n`);
  git(worktree, "add", file);
  const env = cleanEnv();
  if (agent !== undefined) env.TOWER_AGENT_ID = agent;
  execFileSync("git", ["commit", "-q", "-m", subject], { cwd: worktree, env, stdio: "pipe" });
}

describe("commit credits", () => {
  it("lists only the sender's own commits (and the user's) in a handoff prefilled from git", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    const worktree = path.join(path.dirname(repo.root), "demo-stream-A");
    commitAs(worktree, "A1", "config/a1.txt", "A1 adds the config loader");
    commitAs(worktree, "A2", "config/a2.txt", "A2 cleans up utils");
    commitAs(worktree, undefined, "config/human.txt", "The user fixes a typo");

    const sent = await tower(repo.root, ["handoff", "--from", "A1", "--to", "E1"]);
    expect(sent.code, sent.stderr).toBe(0);
    const file = (await readJson(path.join(repo.stateDir, "handoffs.json"))) as {
      handoffs: { completed_tasks: string[] }[];
    };
    expect(file.handoffs[0]?.completed_tasks).toEqual([
      "A1 adds the config loader",
      "The user fixes a typo",
    ]);
  });
});
