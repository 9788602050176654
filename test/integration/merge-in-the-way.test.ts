/**
 * Files git does not track in the main worktree where a merge would put the stream's files.
 * git refuses to overwrite an untracked file, but an ignored one (a `.env`, a build folder) it
 * replaces without a word, and a conflict's `merge --abort` or a failed validation's rollback
 * then deletes it: the user's file was gone. `tower merge` refuses first, naming the files, and
 * merges once they are out of the way; `--dry-run` says the same.
 */
import { existsSync, promises as fsp, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { git, makeRepo, readJson, type TempRepo, tower } from "../helpers/repo.js";

const PLAN = `version: 1
project: shop
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }]
`;
const BRANCH = "feature/stream-A-foundation";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo({ plan: PLAN });
  await fsp.writeFile(path.join(repo.root, ".gitignore"), ".env\nbuild/\nlogs\n");
  git(repo.root, "add", ".gitignore");
  git(repo.root, "commit", "-q", "-m", "ignore rules");
  expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
});
afterEach(() => repo.cleanup());

const wt = () => path.join(path.dirname(repo.root), "shop-stream-A");
const main = (file: string) => path.join(repo.root, file);

/** Commits `files` in A's worktree, ignored or not (`git add -f`), and completes A. */
async function streamCommits(files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(wt(), file)), { recursive: true });
    await fsp.writeFile(path.join(wt(), file), content);
    git(wt(), "add", "-f", file);
  }
  git(wt(), "commit", "-q", "-m", "A's work");
  expect((await tower(repo.root, ["complete", "A"])).code).toBe(0);
}

async function userWrites(files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(main(file)), { recursive: true });
    await fsp.writeFile(main(file), content);
  }
}

const statusOfA = async () =>
  (
    (await readJson(path.join(repo.stateDir, "orchestrator_state.json"))) as {
      streams: Record<string, { status: string }>;
    }
  ).streams.A?.status;

describe("tower merge and files git does not track in the main worktree", () => {
  it("refuses to overwrite an ignored file, names it, and merges once it is moved away", async () => {
    await streamCommits({ ".env": "STREAM=placeholder\n", "a.txt": "A's work\n" });
    await userWrites({ ".env": "USER_SECRET=precious\n" });
    const mainBefore = git(repo.root, "rev-parse", "main").trim();

    const dry = await tower(repo.root, ["merge", "A", "--dry-run"]);
    expect(dry.code).toBe(3);
    expect(dry.stdout + dry.stderr).toContain(".env");

    const refused = await tower(repo.root, ["merge", "A"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      "the merge of A would overwrite 1 file in the main worktree that git does not track (.env)",
    );
    expect(readFileSync(main(".env"), "utf8")).toBe("USER_SECRET=precious\n");
    expect(git(repo.root, "rev-parse", "main").trim()).toBe(mainBefore);
    expect(await statusOfA()).toBe("completed");

    await fsp.rename(main(".env"), main(".env.mine"));
    const merged = await tower(repo.root, ["merge", "A"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(readFileSync(main(".env"), "utf8")).toBe("STREAM=placeholder\n");
    expect(readFileSync(main(".env.mine"), "utf8")).toBe("USER_SECRET=precious\n");
  });

  it("refuses when a conflict would abort the merge: the ignored file is kept, not deleted by the abort", async () => {
    git(repo.root, "checkout", "-q", "main");
    await userWrites({ "shared.txt": "the base's line\n" });
    git(repo.root, "add", "shared.txt");
    git(repo.root, "commit", "-q", "-m", "the base's change");
    await streamCommits({ "shared.txt": "A's line\n", ".env": "STREAM=placeholder\n" });
    await userWrites({ ".env": "USER_SECRET=precious\n" });

    const refused = await tower(repo.root, ["merge", "A"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("(.env)");
    expect(readFileSync(main(".env"), "utf8")).toBe("USER_SECRET=precious\n");
  });

  it("an ignored folder's file of the same name, and an ignored file where the stream puts a folder, are in the way; a new file in an ignored folder is not", async () => {
    await streamCommits({
      "build/out.txt": "A's build\n",
      "build/new.txt": "A's new file\n",
      "logs/today.txt": "A's log\n",
    });
    await userWrites({ "build/out.txt": "the user's build\n", logs: "the user's log\n" });

    const refused = await tower(repo.root, ["merge", "A"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      "would overwrite 2 files in the main worktree that git does not track (build/out.txt, logs)",
    );
    expect(readFileSync(main("build/out.txt"), "utf8")).toBe("the user's build\n");
    expect(readFileSync(main("logs"), "utf8")).toBe("the user's log\n");
    expect(existsSync(main("build/new.txt"))).toBe(false);

    await fsp.rm(main("build/out.txt"));
    await fsp.rename(main("logs"), main("logs.mine"));
    const merged = await tower(repo.root, ["merge", "A"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(git(repo.root, "branch", "--list", BRANCH)).toBe("");
  });
});
