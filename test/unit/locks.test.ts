import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isExpired,
  LockPathError,
  lockExpiry,
  locksOverlap,
  normalizeLockPath,
} from "../../src/engine/locks.js";

let root: string;
beforeAll(() => {
  root = path.join(mkdtempSync(path.join(os.tmpdir(), "tower-locks-")), "repo");
  mkdirSync(path.join(root, "src/ui"), { recursive: true });
});
afterAll(() => rmSync(path.dirname(root), { recursive: true, force: true }));

describe("normalizeLockPath", () => {
  it("normalises to repository-relative POSIX keys", async () => {
    expect(await normalizeLockPath("./a//b.py", root)).toBe("a/b.py");
    expect(await normalizeLockPath("a/./c/../b.py", root)).toBe("a/b.py");
    expect(await normalizeLockPath(`${root}/src/x.ts`, root)).toBe("src/x.ts");
    expect(await normalizeLockPath("x.ts", root, `${root}/src`)).toBe("src/x.ts");
    expect(await normalizeLockPath("../lib/y.ts", root, `${root}/src`)).toBe("lib/y.ts");
    expect(await normalizeLockPath("..foo", root)).toBe("..foo");
    expect(await normalizeLockPath("__proto__", root)).toBe("__proto__");
  });

  it("keeps a trailing slash as a folder lock, and an existing folder is one", async () => {
    expect(await normalizeLockPath("lib/", root)).toBe("lib/");
    expect(await normalizeLockPath("./lib//", root)).toBe("lib/");
    expect(await normalizeLockPath("..", root, `${root}/src/ui`)).toBe("src/");
    expect(await normalizeLockPath("src", root)).toBe("src/");
  });

  it("refuses paths outside the repository, the root itself and empty paths", async () => {
    await expect(normalizeLockPath("../x", root)).rejects.toThrow(
      `"../x" is outside the repository ${root}`,
    );
    await expect(normalizeLockPath("/etc/passwd", root)).rejects.toThrow(LockPathError);
    await expect(normalizeLockPath(`${root}sitory-other/a`, root)).rejects.toThrow(LockPathError);
    await expect(normalizeLockPath("a/../../x", root)).rejects.toThrow(LockPathError);
    await expect(normalizeLockPath(".", root)).rejects.toThrow("the repository root itself");
    await expect(normalizeLockPath("  ", root)).rejects.toThrow("an empty path cannot be locked");
  });
});

describe("locksOverlap", () => {
  it("matches the same key, and folders with what is inside them, both ways", () => {
    expect(locksOverlap("a/b.py", "a/b.py")).toBe(true);
    expect(locksOverlap("a/", "a/b.py")).toBe(true);
    expect(locksOverlap("a/b/c.py", "a/")).toBe(true);
    expect(locksOverlap("a/", "a/b/")).toBe(true);
    // A key without a slash covers what is inside that name too: a file has nothing inside it,
    // so a path below it means the name is (or became) a folder.
    expect(locksOverlap("a", "a/b.py")).toBe(true);
    expect(locksOverlap("a/b/c.py", "a/b")).toBe(true);
    // A trailing slash does not make a second key for one name.
    expect(locksOverlap("a/b.py/", "a/b.py")).toBe(true);
    expect(locksOverlap("a", "a/")).toBe(true);
    expect(locksOverlap("ab/", "a/b.py")).toBe(false);
    expect(locksOverlap("a/b.py", "a/b.pyc")).toBe(false);
  });

  it("takes names that differ only in case or in Unicode normalization for one where the file system does (macOS, Windows: git's core.ignorecase)", () => {
    expect(locksOverlap("src/api.ts", "src/API.ts")).toBe(false);
    expect(locksOverlap("src/api.ts", "src/API.ts", true)).toBe(true);
    expect(locksOverlap("Src/", "src/Api.ts", true)).toBe(true);
    expect(locksOverlap("src/API.ts", "src/api.tsx", true)).toBe(false);
    // é as one code point (NFC) and as e with its accent (NFD, as HFS+ stored names).
    expect(locksOverlap("docs/caf\u00e9.md", "docs/cafe\u0301.md", true)).toBe(true);
    expect(locksOverlap("docs/CAF\u00c9.md", "docs/cafe\u0301.md", true)).toBe(true);
  });
});

describe("isExpired", () => {
  const now = new Date(2025, 0, 1, 12, 0, 0);
  it("compares naive local and UTC expiry times with now", () => {
    expect(isExpired({ agent: "A1", expires: "2025-01-01T12:00:01.000000" }, now)).toBe(false);
    expect(isExpired({ agent: "A1", expires: "2025-01-01T11:59:59.999999" }, now)).toBe(true);
    expect(
      isExpired({ agent: "A1", expires: new Date(now.getTime() + 1000).toISOString() }, now),
    ).toBe(false);
  });
  it("reads a naive time at the writer's utc_offset when it recorded one", () => {
    const utc = Date.UTC(2025, 0, 1, 12, 0, 0);
    const entry = (expires: string, utc_offset: string) => ({ agent: "A1", expires, utc_offset });
    expect(lockExpiry(entry("2025-01-01T21:00:00.000000", "+09:00"))).toEqual({
      at: new Date(utc),
    });
    expect(lockExpiry(entry("2025-01-01T04:00:00.000000", "-08:00"))).toEqual({
      at: new Date(utc),
    });
    expect(isExpired(entry("2025-01-01T21:00:01.000000", "+09:00"), new Date(utc))).toBe(false);
    expect(isExpired(entry("2025-01-01T20:59:59.000000", "+09:00"), new Date(utc))).toBe(true);
  });
  it("never treats an unreadable time as expired: it is a problem to report", () => {
    expect(isExpired({ agent: "A1", expires: "soon" }, now)).toBe(false);
    expect(lockExpiry({ agent: "A1", expires: "soon" })).toEqual({
      problem: 'has an unreadable expires "soon" (valid: a time like 2025-12-06T10:00:00.123456)',
    });
    expect(lockExpiry({ agent: "A1", expires: "2025-01-01T12:00:00", utc_offset: "CET" })).toEqual({
      problem: 'has an unreadable utc_offset "CET" (valid: like +01:00)',
    });
  });
});
