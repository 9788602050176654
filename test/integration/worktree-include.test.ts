/**
 * `.worktreeinclude` (Claude Code's file, which Codex, ccmanager and others read too: patterns in
 * .gitignore's syntax): the ignored files of the main worktree it names (an `.env`, a local
 * config) are copied into a stream's new worktree, where `git worktree add` puts only tracked
 * files. Only files git ignores, regular files, never through a link, never over a file the
 * worktree has. A copy the agent left as it was is not work after a merge (the main worktree has
 * it); one it changed is, and keeps the worktree.
 */
import {
  chmodSync,
  existsSync,
  promises as fsp,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { git, makeRepo, shopPlan, type TempRepo, tower } from "../helpers/repo.js";

const PLAN = shopPlan();

let repo: TempRepo;
const outside: string[] = [];
afterEach(() => {
  repo.cleanup();
  for (const dir of outside.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const wt = (id: string) => path.join(path.dirname(repo.root), `shop-stream-${id}`);
const inMain = (file: string) => path.join(repo.root, file);

/** The repository with its ignore rules and `.worktreeinclude` committed, and `files` in the main worktree. */
async function setUp(include: string, files: Record<string, string>): Promise<void> {
  repo = await makeRepo({ plan: PLAN });
  writeFileSync(inMain(".gitignore"), ".env*\nsecrets/\n*.local\nlogs/\n");
  writeFileSync(inMain(".worktreeinclude"), include);
  git(repo.root, "add", ".gitignore", ".worktreeinclude");
  git(repo.root, "commit", "-q", "-m", "ignore rules");
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(inMain(file)), { recursive: true });
    writeFileSync(inMain(file), content, { mode: 0o600 });
  }
}

const start = async (id: string) => {
  const result = await tower(repo.root, ["start", id]);
  expect(result.code, result.stderr).toBe(0);
  return result;
};

describe(".worktreeinclude", () => {
  it("copies the ignored files it names from the main worktree into a new stream worktree, and nothing else", async () => {
    await setUp("# local settings\n.env\nsecrets/\nconfig.local\nREADME.md\nnotes.txt\n", {
      ".env": "API_KEY=1\n",
      "secrets/db.json": '{"password":"x"}\n',
      "secrets/deep/key.pem": "KEY\n",
      "config.local": "local=1\n",
      // Not ignored: not copied (the agent's worktree shows only the branch's files as they are).
      "notes.txt": "mine\n",
      // Ignored, but not named.
      "logs/run.log": "log\n",
    });
    symlinkSync("/etc/hostname", inMain(".env.link"));
    writeFileSync(inMain(".worktreeinclude"), ".env\n.env.link\nsecrets/\nconfig.local\n", {
      flag: "a",
    });
    const result = await start("A");
    expect(result.stdout).toContain(
      "copied 4 files named in .worktreeinclude from the main worktree (.env, config.local, secrets/db.json, secrets/deep/key.pem)",
    );
    expect(await fsp.readFile(path.join(wt("A"), ".env"), "utf8")).toBe("API_KEY=1\n");
    expect(statSync(path.join(wt("A"), ".env")).mode & 0o777).toBe(0o600);
    expect(await fsp.readFile(path.join(wt("A"), "secrets/deep/key.pem"), "utf8")).toBe("KEY\n");
    expect(existsSync(path.join(wt("A"), "config.local"))).toBe(true);
    // The tracked README is the branch's, not copied over; the rest are not copied.
    expect(await fsp.readFile(path.join(wt("A"), "README.md"), "utf8")).toBe("# demo\n");
    expect(existsSync(path.join(wt("A"), "notes.txt"))).toBe(false);
    expect(existsSync(path.join(wt("A"), "logs"))).toBe(false);
    expect(existsSync(path.join(wt("A"), ".env.link"))).toBe(false);
    // Still ignored there: git status shows nothing to commit.
    expect(git(wt("A"), "status", "--porcelain")).toBe("");
  });

  it("never writes through a link the worktree has in the file's way", async () => {
    const away = mkdtempSync(path.join(os.tmpdir(), "tower-include-outside-"));
    outside.push(away);
    await setUp(".env\n", {});
    // The branch has conf as a link out of the repository; the main worktree a folder there.
    symlinkSync(away, inMain("conf"));
    git(repo.root, "add", "conf");
    git(repo.root, "commit", "-q", "-m", "conf link");
    await fsp.rm(inMain("conf"));
    mkdirSync(inMain("conf"));
    writeFileSync(inMain("conf/.env"), "SECRET=1\n");
    const result = await start("A");
    expect(readdirSync(away)).toEqual([]);
    expect(result.stderr).toContain(
      "warning: conf/.env (.worktreeinclude) not copied: conf is a link in the stream's worktree",
    );
  });

  it("a copy the agent left as it was does not keep the worktree after the merge; a changed one does", async () => {
    await setUp(".env\n", { ".env": "API_KEY=1\n" });
    for (const id of ["A", "B"]) {
      await start(id);
      writeFileSync(path.join(wt(id), `${id}.txt`), `${id}'s work\n`);
      git(wt(id), "add", `${id}.txt`);
      git(wt(id), "commit", "-q", "-m", `${id}'s work`);
      expect((await tower(repo.root, ["complete", id])).code).toBe(0);
    }
    writeFileSync(path.join(wt("B"), ".env"), "API_KEY=2\n");
    const a = await tower(repo.root, ["merge", "A"]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain("worktree removed");
    expect(existsSync(wt("A"))).toBe(false);
    const b = await tower(repo.root, ["merge", "B"]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain(
      `worktree ${wt("B")} kept: 1 ignored file that is not reproducible (.env)`,
    );
    expect(await fsp.readFile(path.join(wt("B"), ".env"), "utf8")).toBe("API_KEY=2\n");
  });
});

describe("a new worktree's setup", () => {
  it("is the repository's post-checkout hook, which git runs in the new worktree before Tower records the start", async () => {
    await setUp("", {});
    const hook = path.join(repo.root, ".git", "hooks", "post-checkout");
    writeFileSync(
      hook,
      '#!/bin/sh\n[ "$1" = 0000000000000000000000000000000000000000 ] && pwd > .setup-ran\n',
    );
    chmodSync(hook, 0o755);
    await start("A");
    expect((await fsp.readFile(path.join(wt("A"), ".setup-ran"), "utf8")).trim()).toBe(
      await fsp.realpath(wt("A")),
    );
  });
});
