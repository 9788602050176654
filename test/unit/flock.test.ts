/**
 * flock waits on the state files: never on libuv's thread pool, so that waits for a lock this
 * same process holds cannot take every pool thread from the holder's own file writes.
 */
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  LockTimeoutError,
  lockExclusive,
  lockShared,
  tryLockExclusive,
  unlock,
} from "../../src/engine/state/flock.js";

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

  it("gives up after its timeout with LockTimeoutError naming the file, and closes the descriptor", async () => {
    const { file, holder } = lockedFile();
    const fd = openSync(file, "r+");
    const started = Date.now();
    const error = await lockExclusive(fd, file, 150).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(String(error)).toContain(file);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
    unlock(holder);
    closeSync(holder);
  });
});
