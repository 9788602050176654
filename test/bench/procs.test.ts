/** What the benchmarks read of a process's descriptors, to name the ones a leak check found. */
import { closeSync, openSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addedTargets, openFds, openFdTargets } from "../../bench/lib/procs.js";

describe("open descriptors", () => {
  it("lists what they point at with numbers masked, and names the ones opened since", () => {
    const before = openFdTargets(process.pid);
    expect(before.filter((target) => /\d/.test(target))).toEqual([]);
    expect(before.length).toBeGreaterThanOrEqual(openFds(process.pid) - 1); // less the listing's own
    const opened = [openSync("/dev/null", "r"), openSync("/dev/null", "r")];
    try {
      expect(addedTargets(before, openFdTargets(process.pid))).toBe("/dev/null x2");
    } finally {
      for (const fd of opened) closeSync(fd);
    }
    expect(addedTargets(before, openFdTargets(process.pid))).toBe("");
    expect(addedTargets(["pipe:[N]"], ["pipe:[N]", "pipe:[N]", "anon_inode:[eventfd]"])).toBe(
      "pipe:[N], anon_inode:[eventfd]",
    );
    expect(openFdTargets(2 ** 22 + 1)).toEqual([]);
  });
});
