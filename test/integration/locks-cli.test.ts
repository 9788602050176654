import { promises as fsp, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { git, makeRepo, readJson, readJsonlFile, type TempRepo, tower } from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

const locksFile = () => path.join(repo.stateDir, "file_locks.json");
const activity = () => readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
const NAIVE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

describe("tower lock / unlock / locks", () => {
  it("takes a lock in the protocol's format, with naive local times and an activity entry", async () => {
    const result = await tower(repo.root, [
      "lock",
      "./config//settings.py",
      "--agent",
      "A1",
      "--task",
      "Consolidate",
      "--ttl",
      "30m",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^locked config\/settings\.py for A1 until /);
    const file = (await readJson(locksFile())) as {
      locks: Record<string, Record<string, string>>;
      version: number;
    };
    expect(file.version).toBe(1);
    const entry = file.locks["config/settings.py"];
    expect(entry).toMatchObject({ agent: "A1", stream: "A", task: "Consolidate" });
    expect(entry?.acquired).toMatch(NAIVE);
    expect(entry?.expires).toMatch(NAIVE);
    const minutes = (Date.parse(entry!.expires!) - Date.parse(entry!.acquired!)) / 60_000;
    expect(minutes).toBeCloseTo(30, 5);
    const log = await activity();
    expect(log.at(-1)).toMatchObject({
      agent: "A1",
      stream: "A",
      action: "locked",
      file: "config/settings.py",
    });
    expect(String(log.at(-1)?.timestamp)).toMatch(/Z$/);
  });

  it("refuses a lock held by another agent with exit 3, naming holder, stream, task and expiry", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1", "--task", "Consolidate"]);
    const before = await fsp.readFile(locksFile(), "utf8");
    const result = await tower(repo.root, ["lock", "config/a.py", "config/b.py", "--agent", "B1"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      'config/a.py is locked by A1 (stream A) for "Consolidate" until',
    );
    expect(result.stderr).toContain("nothing was locked");
    expect(await fsp.readFile(locksFile(), "utf8")).toBe(before);
  });

  it("renews the holder's own lock, keeping when it was first acquired", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1", "--ttl", "1m"]);
    const first = (
      (await readJson(locksFile())) as {
        locks: Record<string, { acquired: string; expires: string }>;
      }
    ).locks["config/a.py"]!;
    const result = await tower(repo.root, ["lock", "config/a.py", "--agent", "A1", "--ttl", "2h"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^renewed config\/a\.py/);
    const second = (
      (await readJson(locksFile())) as {
        locks: Record<string, { acquired: string; expires: string }>;
      }
    ).locks["config/a.py"]!;
    expect(second.acquired).toBe(first.acquired);
    expect(Date.parse(second.expires)).toBeGreaterThan(Date.parse(first.expires));
    expect((await activity()).at(-1)).toMatchObject({ action: "locked", renewed: true });
  });

  it("takes over an expired lock and names the previous holder in the activity log", async () => {
    writeFileSync(
      locksFile(),
      JSON.stringify({
        locks: {
          "config/a.py": {
            agent: "A2",
            stream: "A",
            acquired: "2020-01-01T10:00:00.000000",
            expires: "2020-01-01T11:00:00.000000",
            task: "old",
          },
        },
        version: 1,
      }),
    );
    const result = await tower(repo.root, ["lock", "config/a.py", "--agent", "B1"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("took over config/a.py for B1");
    expect(result.stdout).toContain("expired lock of A2");
    const file = (await readJson(locksFile())) as { locks: Record<string, { agent: string }> };
    expect(file.locks["config/a.py"]?.agent).toBe("B1");
    expect((await activity()).at(-1)).toMatchObject({
      agent: "B1",
      action: "locked",
      taken_over_from: "A2",
    });
  });

  it("makes a folder lock conflict both ways with locks on files inside it", async () => {
    expect((await tower(repo.root, ["lock", "models/", "--agent", "E1"])).code).toBe(0);
    const inside = await tower(repo.root, ["lock", "models/risk/chain.py", "--agent", "A1"]);
    expect(inside.code).toBe(3);
    expect(inside.stderr).toContain("cannot lock models/risk/chain.py: models/ is locked by E1");
    expect((await tower(repo.root, ["lock", "modelsX.py", "--agent", "A1"])).code).toBe(0);
    expect((await tower(repo.root, ["lock", "config/x.py", "--agent", "A1"])).code).toBe(0);
    // A name locked before it is a folder (no slash) still covers what goes in it: a file has
    // no files inside it, so the lock can only be the folder's. Both spellings are refused.
    for (const key of ["config", "config/"]) {
      const outer = await tower(repo.root, ["lock", key, "--agent", "B1"]);
      expect(outer.code, key).toBe(3);
      expect(outer.stderr, key).toContain("config/x.py is locked by A1");
    }
    expect((await tower(repo.root, ["lock", "shared/newpkg", "--agent", "B1"])).code).toBe(0);
    await fsp.mkdir(path.join(repo.root, "shared/newpkg"), { recursive: true });
    const under = await tower(repo.root, ["lock", "shared/newpkg/mod.py", "--agent", "A1"]);
    expect(under.code).toBe(3);
    expect(under.stderr).toContain(
      "cannot lock shared/newpkg/mod.py: shared/newpkg is locked by B1",
    );
  });

  it("refuses paths outside the repository and changes nothing", async () => {
    const before = await fsp.readFile(locksFile(), "utf8");
    for (const bad of ["../x.py", "/etc/passwd", "config/../../x", "."]) {
      const result = await tower(repo.root, ["lock", bad, "--agent", "A1"]);
      expect(result.code, bad).toBe(1);
      expect(result.stderr, bad).toMatch(/outside the repository|repository root itself/);
    }
    expect(await fsp.readFile(locksFile(), "utf8")).toBe(before);
  });

  it("resolves paths from a subfolder to repository-relative keys", async () => {
    await fsp.mkdir(path.join(repo.root, "config"));
    const result = await tower(path.join(repo.root, "config"), ["lock", "a.py", "--agent", "A1"]);
    expect(result.code).toBe(0);
    expect(Object.keys(((await readJson(locksFile())) as { locks: object }).locks)).toEqual([
      "config/a.py",
    ]);
  });

  it("needs an agent, and knows the plan's agents", async () => {
    const none = await tower(repo.root, ["lock", "a.py"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("pass --agent ID or set TOWER_AGENT_ID");
    const unknown = await tower(repo.root, ["lock", "a.py", "--agent", "Z9"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'unknown agent "Z9" (known: A1, A2, B1, B2, C1, C2, D1, D2, E1, human)',
    );
    const fromEnv = await tower(repo.root, ["lock", "a.py"], {
      TOWER_AGENT_ID: "C2",
      TOWER_STREAM: "C",
    });
    expect(fromEnv.code).toBe(0);
    expect((await readJson(locksFile())) as object).toMatchObject({
      locks: { "a.py": { agent: "C2", stream: "C" } },
    });
    const badTtl = await tower(repo.root, ["lock", "b.py", "--agent", "A1", "--ttl", "soon"]);
    expect(badTtl.code).toBe(2);
    expect(badTtl.stderr).toContain("--ttl");
  });

  it("releases only the holder's lock unless forced, and logs a forced release", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    const other = await tower(repo.root, ["unlock", "config/a.py", "--agent", "B1"]);
    expect(other.code).toBe(3);
    expect(other.stderr).toContain("only the holder can release a lock");
    const forced = await tower(repo.root, ["unlock", "config/a.py", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("released config/a.py (held by A1, forced)");
    expect((await activity()).at(-1)).toMatchObject({
      agent: "human",
      action: "released",
      file: "config/a.py",
      forced: true,
      holder: "A1",
    });
    await tower(repo.root, ["lock", "config/b.py", "--agent", "A1"]);
    const own = await tower(repo.root, ["unlock", "config/b.py", "--agent", "A1"]);
    expect(own.code).toBe(0);
    expect(((await readJson(locksFile())) as { locks: object }).locks).toEqual({});
    const missing = await tower(repo.root, ["unlock", "config/b.py", "--agent", "A1"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("not locked: config/b.py");
  });

  // An agent could release (or take) another agent's lock by naming it: `tower unlock x --agent
  // B1` from agent A1's terminal released B1's lock, logged as B1's own release.
  it("lets an agent lock and release only as itself, in its own stream", async () => {
    expect((await tower(repo.root, ["lock", "shared/x.py", "--agent", "B1"])).code).toBe(0);
    const asA1 = { TOWER_AGENT_ID: "A1" };
    const release = await tower(repo.root, ["unlock", "shared/x.py", "--agent", "B1"], asA1);
    expect(release.code).toBe(3);
    expect(release.stderr).toContain("this looks like agent A1 (TOWER_AGENT_ID is set)");
    const take = await tower(repo.root, ["lock", "other.py", "--agent", "B1"], asA1);
    expect(take.code).toBe(3);
    expect(Object.keys(((await readJson(locksFile())) as { locks: object }).locks)).toEqual([
      "shared/x.py",
    ]);
    const stream = await tower(repo.root, ["lock", "other.py", "--agent", "A1", "--stream", "B"]);
    expect(stream.code).toBe(1);
    expect(stream.stderr).toContain("agent A1 is in stream A, not B");
    // Its own, as itself: as before.
    expect((await tower(repo.root, ["lock", "mine.py"], asA1)).code).toBe(0);
    expect((await tower(repo.root, ["unlock", "mine.py"], asA1)).code).toBe(0);
  });

  it("lists locks as JSON in the documented shape, expired ones marked", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1", "--task", "t"]);
    const file = (await readJson(locksFile())) as { locks: Record<string, unknown> };
    file.locks["old.py"] = {
      agent: "B1",
      stream: "B",
      acquired: "2020-01-01T10:00:00.000000",
      expires: "2020-01-01T11:00:00Z",
      task: "",
    };
    writeFileSync(locksFile(), JSON.stringify(file));
    const result = await tower(repo.root, ["locks", "--json"]);
    expect(result.code).toBe(0);
    const locks = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(locks.map((l) => Object.keys(l).sort())).toEqual([
      ["acquired", "agent", "expired", "expires", "path", "stream", "task"],
      ["acquired", "agent", "expired", "expires", "path", "stream", "task"],
    ]);
    expect(locks.map((l) => [l.path, l.expired])).toEqual([
      ["config/a.py", false],
      ["old.py", true],
    ]);
    const text = await tower(repo.root, ["locks"]);
    expect(text.stdout).toMatch(/old\.py\s+B1\s+B\s+\S+ \S+ \(expired\)/);
  });

  it("shares one state directory between the main worktree and linked worktrees", async () => {
    const linked = path.join(path.dirname(repo.root), "repo-stream-A");
    git(repo.root, "worktree", "add", "-q", "-b", "feature/stream-A-foundation", linked);
    const result = await tower(linked, ["lock", "config/a.py", "--agent", "A1"]);
    expect(result.code).toBe(0);
    expect(((await readJson(locksFile())) as { locks: object }).locks).toHaveProperty(
      "config/a.py",
    );
    const fromMain = await tower(repo.root, ["locks", "--json"]);
    expect(JSON.parse(fromMain.stdout)).toHaveLength(1);
  });

  it("honours TOWER_STATE_DIR", async () => {
    const elsewhere = path.join(path.dirname(repo.root), "state-elsewhere");
    const result = await tower(repo.root, ["lock", "a.py", "--agent", "A1"], {
      TOWER_STATE_DIR: elsewhere,
    });
    expect(result.code).toBe(0);
    expect(
      ((await readJson(path.join(elsewhere, "file_locks.json"))) as { locks: object }).locks,
    ).toHaveProperty("a.py");
    expect(((await readJson(locksFile())) as { locks: object }).locks).toEqual({});
  });
});
