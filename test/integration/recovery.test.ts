/**
 * Damaged state files: recovered from the last good copy when there is one, reported and left
 * untouched when there is not. Nothing is ever overwritten with defaults.
 */
import { promises as fsp, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { snapshotGoodCopy } from "../../src/engine/state/index.js";
import { PythonWriter } from "../helpers/python-writer.js";
import { makeRepo, readJson, readJsonlFile, type TempRepo, tower } from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

const locksFile = () => path.join(repo.stateDir, "file_locks.json");
const backup = () => `${locksFile()}.bak`;

/** Two locks taken by Tower: its last good copy is the file as Tower left it. */
async function twoLocks(): Promise<string> {
  await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
  await tower(repo.root, ["lock", "config/b.py", "--agent", "A1"]);
  const good = await fsp.readFile(locksFile(), "utf8");
  expect(await fsp.readFile(backup(), "utf8")).toBe(good);
  return good;
}

const lockedPaths = (stdout: string) =>
  (JSON.parse(stdout) as { path: string }[]).map((l) => l.path).sort();

describe("damaged JSON state files", () => {
  const damages: [string, (good: string) => string][] = [
    ["garbage", () => "}{ not json at all"],
    ["truncated", (good) => good.slice(0, Math.floor(good.length / 2))],
    ["empty", () => ""],
  ];
  for (const [kind, damage] of damages) {
    it(`reads a ${kind} file from what remains of it and its last good copy, and the next writer writes it back`, async () => {
      const good = await twoLocks();
      const damaged = damage(good);
      writeFileSync(locksFile(), damaged);
      const result = await tower(repo.root, ["locks", "--json"]);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/warning: file_locks\.json .*last good copy/);
      expect(lockedPaths(result.stdout)).toEqual(["config/a.py", "config/b.py"]);
      // A read-only command reports the damage and leaves every file as it was.
      expect(await fsp.readFile(locksFile(), "utf8")).toBe(damaged);
      expect(await fsp.readFile(backup(), "utf8")).toBe(good);
      // The next writer writes the recovered content back, and says so in the activity log.
      expect((await tower(repo.root, ["lock", "config/c.py", "--agent", "A1"])).code).toBe(0);
      expect(
        Object.keys(((await readJson(locksFile())) as { locks: object }).locks).sort(),
      ).toEqual(["config/a.py", "config/b.py", "config/c.py"]);
      const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
      expect(log.at(-2)).toMatchObject({
        agent: "tower",
        action: "warning",
        file: "file_locks.json",
      });
      expect(log.at(-1)).toMatchObject({ action: "locked", file: "config/c.py" });
    });
  }

  it("reports a garbage file without a good copy, naming it, and leaves it untouched", async () => {
    writeFileSync(locksFile(), "{ garbage");
    for (const args of [["locks"], ["lock", "x.py", "--agent", "A1"], ["status", "--json"]]) {
      const result = await tower(repo.root, args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain(`${locksFile()} is not valid JSON`);
      expect(result.stderr).toContain("Tower left it untouched");
    }
    const check = await tower(repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(locksFile());
    expect(await fsp.readFile(locksFile(), "utf8")).toBe("{ garbage");
  });

  it("reports a truncated file without a good copy and leaves it untouched", async () => {
    const truncated = '{"locks": {"a.py": {"agent": "A1", "expi';
    writeFileSync(locksFile(), truncated);
    const result = await tower(repo.root, ["lock", "b.py", "--agent", "A1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "there is no good copy to recover it from (file_locks.json.bak)",
    );
    expect(await fsp.readFile(locksFile(), "utf8")).toBe(truncated);
  });

  it("reads an empty file without a good copy as empty (there is nothing in it to lose)", async () => {
    writeFileSync(locksFile(), "");
    const listed = await tower(repo.root, ["locks", "--json"]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
    expect(await fsp.readFile(locksFile(), "utf8")).toBe("");
    expect((await tower(repo.root, ["lock", "b.py", "--agent", "A1"])).code).toBe(0);
    expect(((await readJson(locksFile())) as { locks: object }).locks).toHaveProperty("b.py");
  });

  it("refuses a file of the wrong shape, naming the field, without touching it", async () => {
    const wrong = JSON.stringify({ locks: [], version: 1 });
    writeFileSync(locksFile(), wrong);
    const result = await tower(repo.root, ["lock", "b.py", "--agent", "A1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${locksFile()}: does not have the expected shape: "locks"`);
    expect(await fsp.readFile(locksFile(), "utf8")).toBe(wrong);
  });

  it("keeps fields it does not know, written by other tools", async () => {
    writeFileSync(
      locksFile(),
      JSON.stringify({
        locks: {
          "x.py": {
            agent: "B1",
            stream: "B",
            acquired: "2030-01-01T00:00:00.000000",
            expires: "2030-01-01T01:00:00.000000",
            task: "",
            pid: 42,
          },
        },
        version: 1,
        owner: "python-helper",
      }),
    );
    expect((await tower(repo.root, ["lock", "y.py", "--agent", "A1"])).code).toBe(0);
    const file = (await readJson(locksFile())) as {
      owner: string;
      locks: Record<string, { pid?: number }>;
    };
    expect(file.owner).toBe("python-helper");
    expect(file.locks["x.py"]?.pid).toBe(42);
  });

  it("recovers other state files the same way (checkpoints.json)", async () => {
    expect((await tower(repo.root, ["approve", "design_review"])).code).toBe(0);
    expect((await tower(repo.root, ["reject", "final_review", "--reason", "not yet"])).code).toBe(
      0,
    );
    const cp = path.join(repo.stateDir, "checkpoints.json");
    writeFileSync(cp, '{"checkpoints": {"design');
    const status = await tower(repo.root, ["status", "--json"]);
    expect(status.code).toBe(0);
    expect(status.stderr).toContain("checkpoints.json is not valid JSON");
    const report = JSON.parse(status.stdout) as { checkpoints: { id: string; status: string }[] };
    expect(report.checkpoints.find((c) => c.id === "design_review")?.status).toBe("approved");
  });
});

describe("the protocol's Python writer killed in the middle of its rewrite", () => {
  let writer: PythonWriter | undefined;
  afterEach(async () => {
    await writer?.kill();
    writer = undefined;
  });

  const listed = async () => {
    const result = await tower(repo.root, ["locks", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    return lockedPaths(result.stdout);
  };

  /** Starts a rewrite that stops at `stall`, then kills the writer there. */
  async function killMidRewrite(stall: string): Promise<string> {
    writer = new PythonWriter(locksFile());
    expect(await writer.ask(stall)).toBe("stalled");
    await writer.kill();
    return fsp.readFile(locksFile(), "utf8");
  }

  it("killed between truncate and its first flush: every lock Tower granted is kept", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    await tower(repo.root, ["lock", "config/b.py", "--agent", "A1"]);
    expect(await killMidRewrite("stall-empty py/x")).toBe("");
    expect(await listed()).toEqual(["config/a.py", "config/b.py"]);
  });

  it("the locks it granted before are kept once Tower wrote the file after them", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    const py = new PythonWriter(locksFile());
    expect(await py.ask("grant py/1 3600")).toBe("granted py/1");
    expect(await py.ask("grant py/2 3600")).toBe("granted py/2");
    await py.close();
    await tower(repo.root, ["lock", "config/b.py", "--agent", "A1"]);
    expect(await killMidRewrite("stall-empty py/x")).toBe("");
    expect(await listed()).toEqual(["config/a.py", "config/b.py", "py/1", "py/2"]);
  });

  it("the locks it granted before are kept once a watcher took a snapshot of them", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    const py = new PythonWriter(locksFile());
    expect(await py.ask("grant py/1 3600")).toBe("granted py/1");
    expect(await py.ask("grant py/2 3600")).toBe("granted py/2");
    await py.close();
    expect(await snapshotGoodCopy(locksFile())).toBe("copied");
    expect(await snapshotGoodCopy(locksFile())).toBe("unchanged");
    expect(await killMidRewrite("stall-empty py/x")).toBe("");
    expect(await listed()).toEqual(["config/a.py", "py/1", "py/2"]);
  });

  it("killed after flushing part of the new content: its complete entries are kept with the last good copy", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    const py = new PythonWriter(locksFile());
    expect(await py.ask("grant py/1 3600")).toBe("granted py/1");
    expect(await py.ask("grant py/2 3600")).toBe("granted py/2");
    await py.close();
    // Cut 30 characters into the entry of py/3, which was never granted.
    const damaged = await killMidRewrite("stall-prefix py/3 30");
    expect(damaged).toContain('"py/2": {');
    expect(() => JSON.parse(damaged)).toThrow();
    expect(await listed()).toEqual(["config/a.py", "py/1", "py/2"]);
  });

  it("read-only commands report the recovery and change no file; the next writer writes it back", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    await tower(repo.root, ["lock", "config/b.py", "--agent", "A1"]);
    const good = await fsp.readFile(backup(), "utf8");
    await killMidRewrite("stall-prefix config/b.py 10");
    const damaged = await fsp.readFile(locksFile(), "utf8");
    for (const args of [["locks"], ["status", "--json"], ["check"], ["conflicts", "--json"]]) {
      const result = await tower(repo.root, args);
      expect(result.stderr, args.join(" ")).toContain("file_locks.json is not valid JSON");
      expect(result.stderr, args.join(" ")).toContain("last good copy");
      expect(await fsp.readFile(locksFile(), "utf8"), args.join(" ")).toBe(damaged);
      expect(await fsp.readFile(backup(), "utf8"), args.join(" ")).toBe(good);
    }
    expect((await tower(repo.root, ["lock", "config/c.py", "--agent", "A1"])).code).toBe(0);
    expect(await listed()).toEqual(["config/a.py", "config/b.py", "config/c.py"]);
  });

  it("a snapshot waits for the writer's lock and never copies a half-written file", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    const good = await fsp.readFile(backup(), "utf8");
    writer = new PythonWriter(locksFile());
    expect(await writer.ask("stall-prefix config/a.py 10")).toBe("stalled");
    let settled = false;
    const snapshot = snapshotGoodCopy(locksFile()).finally(() => {
      settled = true;
    });
    // Give it every chance to (wrongly) read while the writer holds LOCK_EX.
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    await writer.kill();
    expect(await snapshot).toBe("damaged");
    expect(await fsp.readFile(backup(), "utf8")).toBe(good);
  });
});

describe("JSONL logs", () => {
  it("skips a broken line with a warning naming the line, and goes on", async () => {
    await tower(repo.root, ["lock", "a.py", "--agent", "A1"]);
    const file = path.join(repo.stateDir, "agent_activity.jsonl");
    await fsp.appendFile(
      file,
      '{"timestamp": "2025-01-01T00:00:00Z", "agent": "B1", "act\nnot json either\n',
    );
    await tower(repo.root, ["lock", "b.py", "--agent", "B1"]);
    const log = await tower(repo.root, ["log", "--json"]);
    expect(log.code).toBe(0);
    expect(log.stderr).toContain("warning: agent_activity.jsonl:2: skipped a broken line");
    expect(log.stderr).toContain("warning: agent_activity.jsonl:3: skipped a broken line");
    const entries = log.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { file: string });
    expect(entries.map((e) => e.file)).toEqual(["a.py", "b.py"]);
    const check = await tower(repo.root, ["check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("agent_activity.jsonl:2: skipped a broken line");
  });
});
