/**
 * flock waits on the state files: never on libuv's thread pool, so that waits for a lock this
 * same process holds cannot take every pool thread from the holder's own file writes.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { withMergeLock } from "../../src/engine/orchestrator/merge-lock.js";
import { openProject } from "../../src/engine/project.js";
import {
  LockTimeoutError,
  lockExclusive,
  lockShared,
  tryLockExclusive,
  unlock,
} from "../../src/engine/state/flock.js";
import { specs } from "../../src/engine/state/formats.js";
import { MERGE_LOCK_FILE } from "../../src/engine/state/index.js";
import { updateJsonFile } from "../../src/engine/state/json-file.js";
import { makeRepo, TEST_PLAN } from "../helpers/repo.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function lockedFile(): { file: string; holder: number; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-flock-"));
  dirs.push(dir);
  const file = path.join(dir, "agents.json");
  const holder = openSync(file, "w");
  expect(tryLockExclusive(holder)).toBe(true);
  return { file, holder, dir };
}

describe("flock waits", () => {
  it("more waits than the thread pool has threads leave the pool free for the holder's writes", async () => {
    const { file, holder, dir } = lockedFile();
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    const fds = Array.from({ length: threads + 4 }, () => openSync(file, "r+"));
    const order: number[] = [];
    const waits = fds.map((fd, i) =>
      (i % 2 === 0 ? lockExclusive(fd, file) : lockShared(fd, file)).then(() => {
        order.push(i);
        unlock(fd);
        closeSync(fd);
      }),
    );
    // The holder writes (through the pool) while every wait is pending.
    const wrote = fsp.writeFile(path.join(dir, "agents.json.bak.tmp"), "backup");
    const done = await Promise.race([
      wrote.then(() => "written"),
      new Promise((resolve) => setTimeout(() => resolve("stuck"), 5_000)),
    ]);
    expect(done).toBe("written");
    expect(order).toEqual([]);
    unlock(holder);
    closeSync(holder);
    await Promise.all(waits);
    expect([...order].sort((a, b) => a - b)).toEqual(fds.map((_, i) => i));
  });

  it("gives up after its timeout with LockTimeoutError naming the file, and leaves the descriptor to its owner", async () => {
    const { file, holder } = lockedFile();
    const fd = openSync(file, "r+");
    const started = Date.now();
    const error = await lockExclusive(fd, file, 150).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(String(error)).toContain(file);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(fstatSync(fd).isFile()).toBe(true);
    closeSync(fd);
    unlock(holder);
    closeSync(holder);
  });
});

/** A full garbage collection, and the turns its finalisers take. */
async function collectGarbage(): Promise<void> {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("a lock given up on (timeout)", () => {
  // The wait used to close the descriptor itself, under its FileHandle: the handle, never
  // closed, closed the same number again when it was collected, by then another file's (a
  // state file holding its lock, whose lock went with it); withMergeLock closed it twice at
  // once (EBADF instead of the timeout's message).
  it("a state file's writer: its file is closed once, and a file opened since keeps its descriptor", async () => {
    const { file, holder } = lockedFile();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    try {
      const error = await updateJsonFile(file, specs.agents, () => {}, {
        lockTimeoutMs: 100,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockTimeoutError);
      // Another file now, most likely under the number the writer's file had.
      const other = openSync(path.join(path.dirname(file), "other"), "w");
      await collectGarbage();
      expect(fstatSync(other).isFile()).toBe(true);
      closeSync(other);
      expect(warnings.filter((w) => /Closing file descriptor/.test(w))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      unlock(holder);
      closeSync(holder);
    }
  });

  it("a merge waiting for another merge: LockTimeoutError, naming merge.lock", async () => {
    const repo = await makeRepo({ plan: TEST_PLAN });
    try {
      const project = await openProject(repo.root);
      const file = project.store.path(MERGE_LOCK_FILE);
      const holder = openSync(file, "a");
      expect(tryLockExclusive(holder)).toBe(true);
      try {
        const error = await withMergeLock(project, async () => "merged", 100).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(LockTimeoutError);
        expect(String(error)).toContain("merge.lock");
      } finally {
        unlock(holder);
        closeSync(holder);
      }
      expect(await withMergeLock(project, async () => "merged", 100)).toBe("merged");
    } finally {
      repo.cleanup();
    }
  });
});
