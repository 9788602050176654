/**
 * Damaged state files: recovered from the last good copy when there is one, reported and left
 * untouched when there is not. Nothing is ever overwritten with defaults.
 */
import { promises as fsp, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeRepo, readJson, readJsonlFile, type TempRepo, tower } from "../helpers/repo.js";

let repo: TempRepo;
beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(() => repo.cleanup());

const locksFile = () => path.join(repo.stateDir, "file_locks.json");
const backup = () => `${locksFile()}.bak`;

/** Two locks taken, so that the last good copy holds the first. */
async function twoLocks(): Promise<string> {
  await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
  const good = await fsp.readFile(locksFile(), "utf8");
  await tower(repo.root, ["lock", "config/b.py", "--agent", "A1"]);
  expect(await fsp.readFile(backup(), "utf8")).toBe(good);
  return good;
}

describe("damaged JSON state files", () => {
  const damages: [string, (good: string) => string][] = [
    ["garbage", () => "}{ not json at all"],
    ["truncated", (good) => good.slice(0, Math.floor(good.length / 2))],
    ["empty", () => ""],
  ];
  for (const [kind, damage] of damages) {
    it(`recovers a ${kind} file from its last good copy, with a warning in the activity log`, async () => {
      await twoLocks();
      const current = await fsp.readFile(locksFile(), "utf8");
      const good = await fsp.readFile(backup(), "utf8");
      writeFileSync(locksFile(), damage(current));
      const result = await tower(repo.root, ["locks", "--json"]);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /warning: file_locks\.json .*recovered it from its last good copy/,
      );
      expect((JSON.parse(result.stdout) as { path: string }[]).map((l) => l.path)).toEqual([
        "config/a.py",
      ]);
      expect(await fsp.readFile(locksFile(), "utf8")).toBe(good);
      const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
      expect(log.at(-1)).toMatchObject({
        agent: "tower",
        action: "warning",
        file: "file_locks.json",
      });
      // Writers go on from the recovered content.
      expect((await tower(repo.root, ["lock", "config/c.py", "--agent", "A1"])).code).toBe(0);
      expect(
        Object.keys(((await readJson(locksFile())) as { locks: object }).locks).sort(),
      ).toEqual(["config/a.py", "config/c.py"]);
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
