import { describe, expect, it } from "vitest";
import {
  isExpired,
  LockPathError,
  locksOverlap,
  normalizeLockPath,
} from "../../src/engine/locks.js";

const root = "/work/repo";

describe("normalizeLockPath", () => {
  it("normalises to repository-relative POSIX keys", () => {
    expect(normalizeLockPath("./a//b.py", root)).toBe("a/b.py");
    expect(normalizeLockPath("a/./c/../b.py", root)).toBe("a/b.py");
    expect(normalizeLockPath("/work/repo/src/x.ts", root)).toBe("src/x.ts");
    expect(normalizeLockPath("x.ts", root, "/work/repo/src")).toBe("src/x.ts");
    expect(normalizeLockPath("../lib/y.ts", root, "/work/repo/src")).toBe("lib/y.ts");
  });

  it("keeps a trailing slash as a folder lock", () => {
    expect(normalizeLockPath("src/", root)).toBe("src/");
    expect(normalizeLockPath("./src//", root)).toBe("src/");
    expect(normalizeLockPath("..", root, "/work/repo/src/ui")).toBe("src/");
  });

  it("refuses paths outside the repository, the root itself and empty paths", () => {
    expect(() => normalizeLockPath("../x", root)).toThrow(
      '"../x" is outside the repository /work/repo',
    );
    expect(() => normalizeLockPath("/etc/passwd", root)).toThrow(LockPathError);
    expect(() => normalizeLockPath("/work/repository-other/a", root)).toThrow(LockPathError);
    expect(() => normalizeLockPath("a/../../x", root)).toThrow(LockPathError);
    expect(() => normalizeLockPath(".", root)).toThrow("the repository root itself");
    expect(() => normalizeLockPath("  ", root)).toThrow("an empty path cannot be locked");
  });
});

describe("locksOverlap", () => {
  it("matches the same key, and folders with what is inside them, both ways", () => {
    expect(locksOverlap("a/b.py", "a/b.py")).toBe(true);
    expect(locksOverlap("a/", "a/b.py")).toBe(true);
    expect(locksOverlap("a/b/c.py", "a/")).toBe(true);
    expect(locksOverlap("a/", "a/b/")).toBe(true);
    expect(locksOverlap("a", "a/b.py")).toBe(false);
    expect(locksOverlap("ab/", "a/b.py")).toBe(false);
    expect(locksOverlap("a/b.py", "a/b.pyc")).toBe(false);
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
  it("treats an unreadable expiry as expired, so the lock can be taken over", () => {
    expect(isExpired({ agent: "A1", expires: "soon" }, now)).toBe(true);
  });
});
