/**
 * Lock paths and lock times at their edges: symbolic links, a trailing slash, names that are
 * special to JavaScript objects, unreadable or out-of-range times, several time zones, and the
 * activity log written only for what was stored.
 */
import { promises as fsp, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  makeRepo,
  readJson,
  readJsonlFile,
  run,
  type TempRepo,
  tower,
} from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

const locksFile = () => path.join(repo.stateDir, "file_locks.json");
const activity = () => readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
const lockKeys = async () =>
  Object.keys(((await readJson(locksFile())) as { locks: object }).locks).sort();

describe("lock paths", () => {
  it("refuses a path through a symbolic link that leads out of the repository", async () => {
    const outside = path.join(path.dirname(repo.root), "outside");
    mkdirSync(outside);
    writeFileSync(path.join(outside, "passwd"), "x");
    symlinkSync(outside, path.join(repo.root, "outlink"));
    symlinkSync(path.join(outside, "passwd"), path.join(repo.root, "filelink"));
    for (const bad of ["outlink/passwd", "outlink/", "outlink/new.txt", "filelink"]) {
      const result = await tower(repo.root, ["lock", bad, "--agent", "A1"]);
      expect(result.code, bad).toBe(1);
      expect(result.stderr, bad).toContain("symbolic link");
      expect(result.stderr, bad).toContain("outside the repository");
    }
    expect(await lockKeys()).toEqual([]);
  });

  it("locks the file a link inside the repository points to, so both names conflict", async () => {
    mkdirSync(path.join(repo.root, "src"));
    writeFileSync(path.join(repo.root, "src/a.py"), "");
    symlinkSync("src", path.join(repo.root, "lib"));
    const viaLink = await tower(repo.root, ["lock", "lib/a.py", "--agent", "A1"]);
    expect(viaLink.code, viaLink.stderr).toBe(0);
    expect(viaLink.stdout).toContain("locked src/a.py");
    const direct = await tower(repo.root, ["lock", "src/a.py", "--agent", "B1"]);
    expect(direct.code).toBe(3);
    expect(direct.stderr).toContain("src/a.py is locked by A1");
  });

  it("where the file system takes names that differ only in case for one file (git's core.ignorecase), so do locks", async () => {
    mkdirSync(path.join(repo.root, "src"));
    writeFileSync(path.join(repo.root, "src/api.ts"), "");
    expect((await tower(repo.root, ["lock", "src/api.ts", "--agent", "B1"])).code).toBe(0);
    // Where names are told apart by case (as here), another name is another file.
    const apart = await tower(repo.root, ["lock", "src/API.ts", "--agent", "A1"]);
    expect(apart.code, apart.stderr).toBe(0);
    expect((await tower(repo.root, ["unlock", "src/API.ts", "--agent", "A1"])).code).toBe(0);
    // Where they are not (macOS, Windows), src/API.ts is src/api.ts, which B1 holds.
    run("git", ["config", "core.ignorecase", "true"], repo.root);
    const same = await tower(repo.root, ["lock", "src/API.ts", "--agent", "A1"]);
    expect(same.code).toBe(3);
    expect(same.stderr).toContain("cannot lock src/API.ts: src/api.ts is locked by B1");
    expect(await lockKeys()).toEqual(["src/api.ts"]);
  });

  it("a trailing slash does not make a second key for the same file", async () => {
    mkdirSync(path.join(repo.root, "src"));
    writeFileSync(path.join(repo.root, "src/b.txt"), "");
    const slash = await tower(repo.root, ["lock", "src/b.txt/", "--agent", "A1"]);
    expect(slash.code).toBe(1);
    expect(slash.stderr).toContain("src/b.txt is a file, not a folder");
    expect((await tower(repo.root, ["lock", "src/b.txt", "--agent", "A1"])).code).toBe(0);
    // A path that does not exist yet: as a folder and as a file, the same name conflicts.
    expect((await tower(repo.root, ["lock", "src/new/", "--agent", "A1"])).code).toBe(0);
    const file = await tower(repo.root, ["lock", "src/new", "--agent", "B1"]);
    expect(file.code).toBe(3);
    expect(file.stderr).toContain("src/new/ is locked by A1");
    expect((await tower(repo.root, ["lock", "src/later", "--agent", "B1"])).code).toBe(0);
    const folder = await tower(repo.root, ["lock", "src/later/", "--agent", "A1"]);
    expect(folder.code).toBe(3);
    expect(folder.stderr).toContain("src/later is locked by B1");
  });

  it("an existing folder named without its slash is locked as a folder", async () => {
    mkdirSync(path.join(repo.root, "models"));
    const result = await tower(repo.root, ["lock", "models", "--agent", "E1"]);
    expect(result.code).toBe(0);
    expect(await lockKeys()).toEqual(["models/"]);
  });

  it("a path named __proto__ is a lock like any other", async () => {
    const first = await tower(repo.root, ["lock", "__proto__", "--agent", "A1"]);
    expect(first.code, first.stderr).toBe(0);
    expect(await lockKeys()).toEqual(["__proto__"]);
    const second = await tower(repo.root, ["lock", "__proto__", "--agent", "B1"]);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain("__proto__ is locked by A1");
    const listed = JSON.parse((await tower(repo.root, ["locks", "--json"])).stdout) as {
      path: string;
    }[];
    expect(listed.map((l) => l.path)).toEqual(["__proto__"]);
    expect((await tower(repo.root, ["unlock", "__proto__", "--agent", "A1"])).code).toBe(0);
    expect(await lockKeys()).toEqual([]);
  });

  it("keeps entries named __proto__ that other tools wrote in the state files", async () => {
    const entry = (agent: string) => ({
      agent,
      stream: "P",
      acquired: "2030-01-01T00:00:00.000000",
      expires: "2030-01-01T01:00:00.000000",
      task: "",
    });
    writeFileSync(
      locksFile(),
      `{"locks": {"__proto__": ${JSON.stringify(entry("py"))}}, "version": 1}`,
    );
    const checkpoints = path.join(repo.stateDir, "checkpoints.json");
    writeFileSync(
      checkpoints,
      '{"checkpoints": {"__proto__": {"status": "approved", "by": "py"}}, "version": 1}',
    );
    expect((await tower(repo.root, ["lock", "a.py", "--agent", "A1"])).code).toBe(0);
    expect(await lockKeys()).toEqual(["__proto__", "a.py"]);
    expect((await tower(repo.root, ["approve", "design_review"])).code).toBe(0);
    const text = await fsp.readFile(checkpoints, "utf8");
    expect(text).toContain('"__proto__"');
    expect(text).toContain('"design_review"');
  });

  it('"..foo" is a file name inside the repository', async () => {
    const result = await tower(repo.root, ["lock", "..foo", "config/..bar", "--agent", "A1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(await lockKeys()).toEqual(["..foo", "config/..bar"]);
  });
});

describe("lock times", () => {
  const foreign = (expires: string) =>
    JSON.stringify({
      locks: {
        "x.py": {
          agent: "B1",
          stream: "B",
          acquired: "2025-01-01T10:00:00.000000",
          expires,
          task: "",
        },
      },
      version: 1,
    });

  it("an unreadable expires is an error naming the file and the lock, not a lock anyone can take", async () => {
    writeFileSync(locksFile(), foreign("next tuesday"));
    const result = await tower(repo.root, ["lock", "x.py", "--agent", "A1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(locksFile());
    expect(result.stderr).toContain('lock on "x.py" held by B1');
    expect(result.stderr).toContain('"next tuesday"');
    expect(result.stderr).not.toContain("unexpected error");
    expect(await fsp.readFile(locksFile(), "utf8")).toBe(foreign("next tuesday"));
    // Others paths are not held up by it; the listing shows it and says what is wrong.
    expect((await tower(repo.root, ["lock", "y.py", "--agent", "A1"])).code).toBe(0);
    const listed = await tower(repo.root, ["locks"]);
    expect(listed.stdout).toMatch(/x\.py\s+B1\s+B\s+next tuesday \(unreadable\)/);
    expect(listed.stderr).toContain('lock on "x.py" held by B1');
    const check = await tower(repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('lock on "x.py" held by B1');
    // Its holder, or a forced release, can still remove it.
    expect((await tower(repo.root, ["unlock", "x.py", "--force"])).code).toBe(0);
  });

  it("Tower processes in different time zones do not take each other's fresh locks", async () => {
    for (const [first, second] of [
      ["America/Los_Angeles", "Asia/Tokyo"],
      ["Asia/Tokyo", "America/Los_Angeles"],
    ] as const) {
      const key = `tz-${first.split("/")[1]}.py`;
      const taken = await tower(repo.root, ["lock", key, "--agent", "A1", "--ttl", "1h"], {
        TZ: first,
      });
      expect(taken.code).toBe(0);
      const other = await tower(repo.root, ["lock", key, "--agent", "B1"], { TZ: second });
      expect(other.code, `${first} then ${second}`).toBe(3);
      const listed = JSON.parse(
        (await tower(repo.root, ["locks", "--json"], { TZ: second })).stdout,
      ) as { path: string; expired: boolean }[];
      expect(listed.find((l) => l.path === key)?.expired).toBe(false);
    }
    const entries = (
      (await readJson(locksFile())) as {
        locks: Record<string, { utc_offset?: string; expires: string }>;
      }
    ).locks;
    expect(entries["tz-Los_Angeles.py"]?.utc_offset).toMatch(/^-0[78]:00$/);
    expect(entries["tz-Tokyo.py"]?.utc_offset).toBe("+09:00");
  });

  it("a lock time too far away is refused with the valid range", async () => {
    for (const ttl of ["99999999h", "9999999999999999h"]) {
      const result = await tower(repo.root, ["lock", "a.py", "--agent", "A1", "--ttl", ttl]);
      expect(result.code, ttl).toBe(2);
      expect(result.stderr, ttl).toContain("--ttl");
      expect(result.stderr, ttl).toContain("between 1s and");
      expect(result.stderr, ttl).not.toContain("unexpected error");
    }
    expect(await lockKeys()).toEqual([]);
  });
});

describe("the activity log and the lock file", () => {
  it("a write that fails before the lock is stored leaves no 'locked' entry", async () => {
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) {
      many[`pad/${i}.py`] = {
        agent: "B1",
        stream: "B",
        acquired: "2030-01-01T00:00:00.000000",
        expires: "2030-01-01T01:00:00.000000",
        task: "padding",
      };
    }
    writeFileSync(locksFile(), JSON.stringify({ locks: many, version: 1 }));
    expect((await tower(repo.root, ["lock", "first.py", "--agent", "A1"])).code).toBe(0);
    // The lock file (about 80 KB) is larger than what the next writer may write (ulimit -f, in
    // 512-byte blocks): its in-place write fails half-way, after the truncate.
    const result = await run(
      "sh",
      ["-c", 'ulimit -f 80; exec node "$CLI" lock late.py --agent A1'],
      repo.root,
      { CLI },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`could not write ${locksFile()}`);
    expect(result.stderr).not.toContain("unexpected error");
    expect((await activity()).filter((e) => e.file === "late.py")).toEqual([]);
    // What the failed write left is read whole by the next command, without late.py.
    const listed = await tower(repo.root, ["locks", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const paths = (JSON.parse(listed.stdout) as { path: string }[]).map((l) => l.path);
    expect(paths).toHaveLength(401);
    expect(paths).not.toContain("late.py");
  });
});
