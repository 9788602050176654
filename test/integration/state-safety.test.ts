/**
 * The state directory holds only what Tower (and the protocol's helpers) put there: a symbolic
 * link, a FIFO or a folder where a state file should be is an error that names it, and nothing is
 * ever written (or recovered) through a link to somewhere else.
 */
import { execFile, execFileSync } from "node:child_process";
import { promises as fsp, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  cleanEnv,
  git,
  makeRepo,
  type RunResult,
  type TempRepo,
  tower,
} from "../helpers/repo.js";

let repo: TempRepo;
let outside: string;
beforeEach(async () => {
  repo = await makeRepo();
  outside = path.join(path.dirname(repo.root), "outside");
  mkdirSync(outside);
});
afterEach(() => repo.cleanup());

const state = (name: string) => path.join(repo.stateDir, name);

/** Every file below `dir` with its content, to show that nothing there changed. */
async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = await fsp.readFile(file, "utf8");
  }
  return out;
}

/** The CLI with a deadline: a command that hangs is killed and reported as such. */
function towerWithin(args: string[], timeoutMs = 20_000): Promise<RunResult & { hung: boolean }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: repo.root, env: cleanEnv(), timeout: timeoutMs, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const hung = error?.signal === "SIGKILL";
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr), hung });
      },
    );
  });
}

describe("symbolic links in the state directory", () => {
  it("file_locks.json linked to a file elsewhere: every command refuses, naming the link, and the target is untouched", async () => {
    expect((await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"])).code).toBe(0);
    const target = path.join(outside, "locks.json");
    writeFileSync(target, "");
    await fsp.rm(state("file_locks.json"));
    symlinkSync(target, state("file_locks.json"));
    for (const args of [
      ["check"],
      ["locks"],
      ["status", "--json"],
      ["lock", "b.py", "--agent", "A1"],
    ]) {
      const result = await tower(repo.root, args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toContain(
        `${state("file_locks.json")} is a symbolic link`,
      );
      expect(result.stderr, args.join(" ")).not.toContain("unexpected error");
      expect(readFileSync(target, "utf8"), args.join(" ")).toBe("");
    }
  });

  it("agent_activity.jsonl linked elsewhere: nothing is appended to the target and no lock is taken", async () => {
    const target = path.join(outside, "activity.jsonl");
    writeFileSync(target, "");
    await fsp.rm(state("agent_activity.jsonl"));
    symlinkSync(target, state("agent_activity.jsonl"));
    const before = readFileSync(state("file_locks.json"), "utf8");
    const result = await tower(repo.root, ["lock", "b.py", "--agent", "A1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${state("agent_activity.jsonl")} is a symbolic link`);
    expect(readFileSync(target, "utf8")).toBe("");
    expect(readFileSync(state("file_locks.json"), "utf8")).toBe(before);
  });

  for (const linked of [".claude/state", ".claude"]) {
    it(`${linked} linked to a folder elsewhere: nothing is written there`, async () => {
      const moved = path.join(outside, "moved");
      await fsp.rename(path.join(repo.root, linked), moved);
      symlinkSync(moved, path.join(repo.root, linked));
      const before = await contents(moved);
      for (const args of [["lock", "b.py", "--agent", "A1"], ["check"], ["init"]]) {
        const result = await tower(repo.root, args);
        expect(result.code, args.join(" ")).toBe(1);
        expect(result.stderr, args.join(" ")).toContain(
          `${path.join(repo.root, linked)} is a symbolic link`,
        );
        expect(await contents(moved), args.join(" ")).toEqual(before);
      }
    });
  }

  it("file_locks.json.bak linked elsewhere: a damaged file is not recovered from the link's target", async () => {
    expect((await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"])).code).toBe(0);
    const planted = JSON.stringify({
      locks: {
        "config/planted.py": {
          agent: "B1",
          stream: "B",
          acquired: "2030-01-01T00:00:00.000000",
          expires: "2030-01-01T01:00:00.000000",
          task: "",
        },
      },
      version: 1,
    });
    const target = path.join(outside, "bak.json");
    writeFileSync(target, planted);
    await fsp.rm(state("file_locks.json.bak"));
    symlinkSync(target, state("file_locks.json.bak"));
    writeFileSync(state("file_locks.json"), "{ garbage");
    for (const args of [
      ["locks", "--json"],
      ["lock", "b.py", "--agent", "A1"],
    ]) {
      const result = await tower(repo.root, args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stdout, args.join(" ")).not.toContain("planted");
      expect(result.stderr, args.join(" ")).toContain(
        `${state("file_locks.json.bak")} is a symbolic link`,
      );
    }
    expect(readFileSync(target, "utf8")).toBe(planted);
    expect(readFileSync(state("file_locks.json"), "utf8")).toBe("{ garbage");
  });

  it("logs/ linked elsewhere: a checkpoint's output is not written there", async () => {
    expect((await tower(repo.root, ["approve", "design_review"])).code).toBe(0);
    await fsp.rm(state("logs"), { recursive: true });
    symlinkSync(outside, state("logs"));
    const result = await tower(repo.root, ["checkpoint", "run", "tests_pass"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${state("logs")} is a symbolic link`);
    expect(await fsp.readdir(outside)).toEqual([]);
  });

  it("a stream worktree's .claude/state is Tower's link to the shared folder; a link elsewhere is refused", async () => {
    const linked = path.join(path.dirname(repo.root), "demo-stream-A");
    git(repo.root, "worktree", "add", "-q", "-b", "feature/stream-A-foundation", linked);
    mkdirSync(path.join(linked, ".claude"));
    // The link Tower makes in a stream worktree, used through TOWER_STATE_DIR: accepted.
    symlinkSync(repo.stateDir, path.join(linked, ".claude/state"));
    const through = await tower(linked, ["lock", "config/a.py", "--agent", "A1"], {
      TOWER_STATE_DIR: path.join(linked, ".claude/state"),
    });
    expect(through.code, through.stderr).toBe(0);
    expect(readFileSync(state("file_locks.json"), "utf8")).toContain("config/a.py");
    // The same link pointing anywhere else: refused, naming it and where it should point.
    await fsp.rm(path.join(linked, ".claude/state"));
    symlinkSync(outside, path.join(linked, ".claude/state"));
    const elsewhere = await tower(linked, ["lock", "config/b.py", "--agent", "A1"], {
      TOWER_STATE_DIR: path.join(linked, ".claude/state"),
    });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`${path.join(linked, ".claude/state")} is a symbolic link`);
    expect(await fsp.readdir(outside)).toEqual([]);
  });
});

describe("something other than a file where a state file should be", () => {
  it("a FIFO: an error that names it, not a hang", async () => {
    await fsp.rm(state("file_locks.json"));
    execFileSync("mkfifo", [state("file_locks.json")]);
    for (const args of [["locks"], ["lock", "a.py", "--agent", "A1"], ["check"]]) {
      const result = await towerWithin(args);
      expect(result.hung, args.join(" ")).toBe(false);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toContain(
        `${state("file_locks.json")} is a FIFO, not a file`,
      );
    }
  });

  it("a FIFO for the activity log: an error that names it, not a hang", async () => {
    await fsp.rm(state("agent_activity.jsonl"));
    execFileSync("mkfifo", [state("agent_activity.jsonl")]);
    for (const args of [["lock", "a.py", "--agent", "A1"], ["log"]]) {
      const result = await towerWithin(args);
      expect(result.hung, args.join(" ")).toBe(false);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toContain(
        `${state("agent_activity.jsonl")} is a FIFO, not a file`,
      );
    }
  });

  it("a folder: an error that names it, not a stack trace", async () => {
    await fsp.rm(state("file_locks.json"));
    mkdirSync(state("file_locks.json"));
    for (const args of [["locks"], ["lock", "a.py", "--agent", "A1"], ["check"]]) {
      const result = await tower(repo.root, args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toContain(
        `${state("file_locks.json")} is a folder, not a file`,
      );
      expect(result.stderr, args.join(" ")).not.toContain("unexpected error");
    }
  });
});

describe("deeply nested JSON in a state file", () => {
  const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

  it("a JSON file: a clear error naming the file, which is left as it is", async () => {
    const text = `{"locks": {}, "version": 1, "extra": ${deep(100_000)}}`;
    writeFileSync(state("file_locks.json"), text);
    for (const args of [["locks"], ["lock", "a.py", "--agent", "A1"], ["check"]]) {
      const result = await tower(repo.root, args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr, args.join(" ")).toContain(
        `${state("file_locks.json")}: JSON nested deeper than`,
      );
      expect(result.stderr, args.join(" ")).not.toContain("unexpected error");
    }
    expect(readFileSync(state("file_locks.json"), "utf8")).toBe(text);
  });

  it("a line of the activity log: skipped with a warning like any broken line", async () => {
    expect((await tower(repo.root, ["lock", "a.py", "--agent", "A1"])).code).toBe(0);
    await fsp.appendFile(
      state("agent_activity.jsonl"),
      `{"timestamp": "2025-01-01T00:00:00Z", "agent": "B1", "action": "x", "deep": ${deep(100_000)}}\n`,
    );
    const result = await tower(repo.root, ["log", "--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("agent_activity.jsonl:2: skipped a broken line");
    expect(result.stderr).not.toContain("unexpected error");
    expect(result.stdout).toContain('"file":"a.py"');
  });
});
