import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { specs } from "../../src/engine/state/formats.js";
import {
  backupPath,
  readJsonFile,
  StateFileError,
  snapshotGoodCopy,
  updateJsonFile,
} from "../../src/engine/state/json-file.js";
import { appendJsonl, parseJsonl, readJsonl } from "../../src/engine/state/jsonl.js";
import { appendStateFile, writeStateFile } from "../../src/engine/state/safe-fs.js";
import { StateStore } from "../../src/engine/state/store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tower-state-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lock = {
  agent: "A1",
  stream: "A",
  acquired: "2030-01-01T00:00:00.000000",
  expires: "2030-01-01T01:00:00.000000",
  task: "",
};

describe("JSON state files", () => {
  it("reads a missing file as its empty form without creating it", async () => {
    const file = path.join(dir, "file_locks.json");
    expect(await readJsonFile(file, specs.locks)).toEqual({ locks: {}, version: 1 });
    expect(() => readFileSync(file)).toThrow();
  });

  it("writes in place on the same inode, keeping what it wrote as the last good copy", async () => {
    const file = path.join(dir, "file_locks.json");
    await updateJsonFile(file, specs.locks, (v) => {
      v.locks["a.py"] = lock;
    });
    const { ino } = await import("node:fs").then((fs) => fs.statSync(file));
    const first = readFileSync(file, "utf8");
    await updateJsonFile(file, specs.locks, (v) => {
      v.locks["b.py"] = lock;
    });
    const fs = await import("node:fs");
    expect(fs.statSync(file).ino).toBe(ino);
    expect(first).not.toBe(readFileSync(file, "utf8"));
    expect(readFileSync(backupPath(file), "utf8")).toBe(readFileSync(file, "utf8"));
    expect(
      Object.keys((JSON.parse(readFileSync(file, "utf8")) as { locks: object }).locks),
    ).toEqual(["a.py", "b.py"]);
  });

  it("does not write when the change leaves the value as it was", async () => {
    const file = path.join(dir, "file_locks.json");
    writeFileSync(file, '{"locks":{},"version":1}');
    const result = await updateJsonFile(file, specs.locks, (v) => Object.keys(v.locks).length);
    expect(result).toBe(0);
    expect(readFileSync(file, "utf8")).toBe('{"locks":{},"version":1}');
  });

  it("leaves the file as it was when the change throws", async () => {
    const file = path.join(dir, "file_locks.json");
    writeFileSync(file, '{"locks":{},"version":1}');
    await expect(
      updateJsonFile(file, specs.locks, (v) => {
        v.locks["x"] = lock;
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(readFileSync(file, "utf8")).toBe('{"locks":{},"version":1}');
  });

  it("never writes through a link at the copy's name or where its temporary file used to be", async () => {
    const file = path.join(dir, "file_locks.json");
    const target = path.join(dir, "outside.json");
    writeFileSync(target, "outside");
    // The name the temporary copy had before (predictable: the pid).
    symlinkSync(target, `${backupPath(file)}.${process.pid}.tmp`);
    await updateJsonFile(file, specs.locks, (v) => {
      v.locks["a.py"] = lock;
    });
    expect(readFileSync(target, "utf8")).toBe("outside");
    const good = readFileSync(file, "utf8");
    rmSync(backupPath(file));
    symlinkSync(target, backupPath(file));
    await expect(
      updateJsonFile(file, specs.locks, (v) => {
        v.locks["b.py"] = lock;
      }),
    ).rejects.toThrow(`${backupPath(file)} is a symbolic link`);
    expect(readFileSync(target, "utf8")).toBe("outside");
    expect(readFileSync(file, "utf8")).toBe(good);
  });

  it("removes the copies that writers killed before their rename left, and nothing else", async () => {
    const file = path.join(dir, "file_locks.json");
    writeFileSync(file, '{"locks":{},"version":1}');
    const left = `${backupPath(file)}.4242.0123456789ab.tmp`;
    const other = `${backupPath(file)}.notes`;
    writeFileSync(left, '{"locks":{');
    writeFileSync(other, "mine");
    await updateJsonFile(file, specs.locks, (v) => {
      v.locks["a.py"] = lock;
    });
    expect(existsSync(left)).toBe(false);
    expect(readFileSync(other, "utf8")).toBe("mine");
  });

  it("a snapshot copies whole content of the right shape only, and never writes the file", async () => {
    const file = path.join(dir, "file_locks.json");
    expect(await snapshotGoodCopy(file, specs.locks)).toBe("missing");
    writeFileSync(file, '{"locks": {}, "version": 1}');
    expect(await snapshotGoodCopy(file, specs.locks)).toBe("copied");
    expect(readFileSync(backupPath(file), "utf8")).toBe('{"locks": {}, "version": 1}');
    expect(await snapshotGoodCopy(file, specs.locks)).toBe("unchanged");
    for (const bad of ['{"locks": [], "version": 1}', '{"locks": {', ""]) {
      writeFileSync(file, bad);
      expect(await snapshotGoodCopy(file, specs.locks), bad).toBe("damaged");
      expect(readFileSync(file, "utf8")).toBe(bad);
      expect(readFileSync(backupPath(file), "utf8")).toBe('{"locks": {}, "version": 1}');
    }
  });

  it("writes a file it creates even when the change leaves it empty, so other readers can parse it", async () => {
    const file = path.join(dir, "file_locks.json");
    await updateJsonFile(file, specs.locks, () => undefined);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ locks: {}, version: 1 });
  });

  it("names the file and the field when the shape is wrong", async () => {
    const file = path.join(dir, "handoffs.json");
    writeFileSync(file, '{"handoffs": [{"from_agent": 3}]}');
    const error = await readJsonFile(file, specs.handoffs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateFileError);
    expect((error as Error).message).toContain(
      `${file}: does not have the expected shape: "handoffs.0.from_agent"`,
    );
  });
});

describe("JSONL files", () => {
  it("appends complete lines and reads them back", async () => {
    const file = path.join(dir, "logs", "a.jsonl");
    await appendJsonl(file, { timestamp: "t", agent: "A1", action: "started" });
    await appendJsonl(file, { timestamp: "t", agent: "A1", action: "locked", file: "a.py" });
    expect(readFileSync(file, "utf8").split("\n")).toHaveLength(3);
    const schema = z.looseObject({ agent: z.string(), action: z.string() });
    const read = await readJsonl(file, schema);
    expect(read.entries.map((e) => e.action)).toEqual(["started", "locked"]);
    expect(read.warnings).toEqual([]);
  });

  it("skips broken lines with their numbers and leaves an unfinished last line for later", () => {
    const schema = z.looseObject({ n: z.number() });
    const text = '{"n":1}\n{"n":\n\n{"n":"x"}\n{"n":4}\n{"n":5';
    const read = parseJsonl(text, schema, "x.jsonl", 1, false);
    expect(read.entries).toEqual([{ n: 1 }, { n: 4 }]);
    expect(read.warnings.map((w) => w.line)).toEqual([2, 4]);
    expect(read.nextLine).toBe(6);
    expect(read.end).toBe(text.lastIndexOf("\n") + 1);
    const final = parseJsonl(text, schema, "x.jsonl");
    expect(final.warnings.map((w) => w.line)).toEqual([2, 4, 6]);
  });
});

describe("a repository removed under a writer", () => {
  // A writer that comes late (an agent's exit, a hook, a `tower lock` finishing after its room
  // was closed and its repository removed) must not make the repository again: Tower makes the
  // state folder inside a repository that exists, never the repository itself.
  const gone = () => path.join(dir, "repo");
  const stateOf = (root: string) => path.join(root, ".claude", "state");

  it("a store that knows the repository's root refuses to write, naming it, and makes nothing", async () => {
    const store = new StateStore(stateOf(gone()), { root: gone() });
    const refused = store.appendActivity({ agent: "A1", stream: "A", action: "released" });
    await expect(refused).rejects.toThrow(StateFileError);
    await expect(refused).rejects.toThrow(`${gone()}: the repository's folder does not exist`);
    await expect(store.update("locks", () => {})).rejects.toThrow(StateFileError);
    expect(existsSync(gone())).toBe(false);
  });

  it("makes the state folder inside a repository that exists", async () => {
    mkdirSync(gone());
    const store = new StateStore(stateOf(gone()), { root: gone() });
    await store.appendActivity({ agent: "A1", stream: "A", action: "released" });
    expect(readFileSync(path.join(stateOf(gone()), "agent_activity.jsonl"), "utf8")).toContain(
      '"released"',
    );
  });

  it("a store without the root (an agent's TOWER_STATE_DIR) makes at most .claude/state", async () => {
    const store = new StateStore(stateOf(gone()));
    await expect(
      store.appendActivity({ agent: "A1", stream: "A", action: "released" }),
    ).rejects.toThrow(StateFileError);
    expect(existsSync(gone())).toBe(false);
  });

  it("the files' own writers make one missing folder, not a path of them", async () => {
    const deep = path.join(gone(), "state");
    await expect(appendJsonl(path.join(deep, "a.jsonl"), { n: 1 })).rejects.toThrow();
    await expect(
      updateJsonFile(path.join(deep, "file_locks.json"), specs.locks, () => {}),
    ).rejects.toThrow();
    expect(existsSync(gone())).toBe(false);
  });
});

describe("the folders Tower makes in the state directory, and the files it writes whole", () => {
  let state: string;
  let outside: string;
  beforeEach(() => {
    state = path.join(dir, "state");
    outside = path.join(dir, "outside");
    mkdirSync(state);
    mkdirSync(outside);
    writeFileSync(path.join(outside, "victim"), "theirs\n");
  });
  const untouched = () => {
    expect(readdirSync(outside)).toEqual(["victim"]);
    expect(readFileSync(path.join(outside, "victim"), "utf8")).toBe("theirs\n");
  };

  it("makes a folder and the ones above it, one at a time, as real folders", async () => {
    const store = new StateStore(state);
    expect(await store.folder("launch", "A1")).toBe(path.join(state, "launch", "A1"));
    expect(lstatSync(path.join(state, "launch", "A1")).isDirectory()).toBe(true);
    expect(await store.folder("launch", "A1")).toBe(path.join(state, "launch", "A1"));
  });

  it("refuses a link or a file where one of them should be, naming it, and makes nothing through it", async () => {
    for (const name of ["git-hooks", "handoffs", "launch"]) {
      symlinkSync(outside, path.join(state, name));
      const store = new StateStore(state);
      // Every use of the store checks them, as it checks its files.
      await expect(store.read("locks"), name).rejects.toThrow(
        `${path.join(state, name)} is a symbolic link (to ${outside})`,
      );
      await expect(store.folder(name, "A1"), name).rejects.toThrow(StateFileError);
      rmSync(path.join(state, name));
      writeFileSync(path.join(state, name), "");
      await expect(store.folder(name), name).rejects.toThrow(
        `${path.join(state, name)} is a file, not a folder`,
      );
      rmSync(path.join(state, name));
    }
    mkdirSync(path.join(state, "launch"));
    symlinkSync(outside, path.join(state, "launch", "A1"));
    await expect(new StateStore(state).folder("launch", "A1")).rejects.toThrow(
      `${path.join(state, "launch", "A1")} is a symbolic link`,
    );
    untouched();
  });

  it.skipIf(process.getuid?.() !== 0)("refuses a folder of another user's, naming it", async () => {
    mkdirSync(path.join(state, "launch"));
    chownSync(path.join(state, "launch"), 12345, 12345);
    await expect(new StateStore(state).folder("launch", "A1")).rejects.toThrow(
      `${path.join(state, "launch")} belongs to another user (uid 12345)`,
    );
    expect(existsSync(path.join(state, "launch", "A1"))).toBe(false);
  });

  it("writes a file whole and renames it into place, never through a link at its name", async () => {
    const file = path.join(state, "settings.json");
    await writeStateFile(file, "one\n");
    await writeStateFile(file, "two\n", 0o600);
    expect(readFileSync(file, "utf8")).toBe("two\n");
    symlinkSync(path.join(outside, "victim"), path.join(state, "linked.json"));
    const linked = writeStateFile(path.join(state, "linked.json"), "mine\n");
    await expect(linked).rejects.toThrow(StateFileError);
    await expect(linked).rejects.toThrow(`${path.join(state, "linked.json")} is a symbolic link`);
    await expect(appendStateFile(path.join(state, "linked.json"), "mine\n")).rejects.toThrow(
      `${path.join(state, "linked.json")} is a symbolic link`,
    );
    // No temporary file left, nothing written outside.
    expect(readdirSync(state).sort()).toEqual(["linked.json", "settings.json"]);
    untouched();
  });
});
