/**
 * What a new user's first hour with the CLI hit: each case failed before its fix.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  cleanEnv,
  git,
  makeRepo,
  readJsonlFile,
  type TempRepo,
  tower,
  waitFor,
} from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

const activity = () => readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));

describe("the CLI in a new user's first hour", () => {
  it("says unknown command for a word that is not one", async () => {
    const result = await tower(repo.root, ["frob"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frob" (commands: ui, demo, init');
    expect(result.stderr).not.toContain("too many arguments");
  });

  it("finishes without a trace when its reader stops early (tower log | head), its work done", async () => {
    await tower(repo.root, ["lock", "config/x.py", "--agent", "A1"]);
    // The reader gone before the first line: every write meets a closed pipe (EPIPE).
    const child = spawn(process.execPath, [CLI, "lock", "config/y.py", "--agent", "A1"], {
      cwd: repo.root,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).not.toContain("EPIPE");
    expect(code).toBe(0);
    // The lock was taken all the same.
    expect((await tower(repo.root, ["locks"])).stdout).toContain("config/y.py");
  });

  it("asks for a first commit in a repository without one, for start and conflicts alike", async () => {
    const fresh = path.join(path.dirname(repo.root), "fresh");
    await import("node:fs/promises").then((fs) => fs.mkdir(fresh));
    git(fresh, "init", "-q", "-b", "main");
    await tower(fresh, ["init"]);
    for (const args of [["start", "A"], ["conflicts"]]) {
      const result = await tower(fresh, args);
      expect(result.code, args.join(" ")).toBe(3);
      expect(result.stderr).toContain("the repository has no commit yet");
      expect(result.stderr).toContain("make a first commit");
      expect(result.stderr).not.toContain("unexpected error");
    }
  });

  it("explains a detached HEAD to tower conflicts instead of a stack trace", async () => {
    git(repo.root, "checkout", "-q", "--detach");
    const result = await tower(repo.root, ["conflicts"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("detached HEAD");
    expect(result.stderr).not.toContain("unexpected error");
  });

  it("logs an approval once however often it is repeated", async () => {
    for (let i = 0; i < 7; i++)
      expect((await tower(repo.root, ["approve", "design_review"])).code).toBe(0);
    const again = await tower(repo.root, ["approve", "design_review"]);
    expect(again.stdout).toMatch(/design_review was already approved by .* nothing changed/);
    expect((await activity()).filter((e) => e.action === "checkpoint_approved")).toHaveLength(1);
  });

  it("logs started once for a stream started twice", async () => {
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    expect((await tower(repo.root, ["start", "A"])).code).toBe(0);
    expect(
      (await activity()).filter((e) => e.action === "started" && e.stream === "A"),
    ).toHaveLength(1);
  });

  it("follows the log without piling up listeners (no MaxListenersExceededWarning)", async () => {
    const child = spawn(process.execPath, [CLI, "log", "--follow"], {
      cwd: repo.root,
      env: cleanEnv(),
    });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.stdout.on("data", (d) => (stdout += String(d)));
    // Twenty polls (150 ms each) and more, then an entry that shows it still follows.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await tower(repo.root, ["lock", "config/x.py", "--agent", "A1"]);
    await waitFor(
      () => (stdout.includes("config/x.py") ? true : undefined),
      10_000,
      "the new entry",
    );
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(stderr).not.toContain("MaxListenersExceededWarning");
  });
});
