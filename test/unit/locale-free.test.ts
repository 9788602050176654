/**
 * Tower's processes never touch the locale machinery (ICU): `localeCompare`, `Intl`,
 * `toLocaleString`. Its first use in a process loads and builds a collator or a number format,
 * which held the server's one thread 79 ms in a profile of its first seconds (the first conflict
 * scan sorting three stream ids), and a keystroke typed then waited for it; the control room's
 * first "line 1,204 of 5,000" in copy mode cost 25 ms the same way. Ids, paths and times sort by
 * code unit instead (as git and `LC_ALL=C ls` do), the same on every machine whatever its locale.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listLocks } from "../../src/engine/locks.js";
import { byCodeUnit, thousands } from "../../src/engine/order.js";
import { PROJECT_ROOT } from "../helpers/repo.js";

const SOURCES = path.join(PROJECT_ROOT, "src");

describe("no locale machinery in Tower's processes", () => {
  it("no localeCompare, Intl or toLocale… anywhere in src", () => {
    const found: string[] = [];
    for (const file of readdirSync(SOURCES, { recursive: true, encoding: "utf8" })) {
      if (!/\.tsx?$/.test(file)) continue;
      const lines = readFileSync(path.join(SOURCES, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (/\.localeCompare\(|\bIntl\.[A-Z]|\.toLocale\w*\(/.test(line))
          found.push(`src/${file}:${i + 1}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("byCodeUnit orders as git does: capitals before small letters, shorter first", () => {
    expect(["b", "B1", "a", "A", "a/b", "a.ts", "ab", "é", "z"].sort(byCodeUnit)).toEqual([
      "A",
      "B1",
      "a",
      "a.ts",
      "a/b",
      "ab",
      "b",
      "z",
      "é",
    ]);
    expect(byCodeUnit("same", "same")).toBe(0);
  });

  it("locks are listed by path in code-unit order", () => {
    const entry = (agent: string) => ({ agent, expires: "2026-12-02T11:00:00Z" });
    const file = {
      locks: { "src/b.ts": entry("A1"), "src/Z.ts": entry("B1"), "src/a.ts": entry("C1") },
    };
    expect(listLocks(file).map((l) => l.path)).toEqual(["src/Z.ts", "src/a.ts", "src/b.ts"]);
  });

  it("thousands groups digits with commas, as less's line numbers", () => {
    expect([0, 7, 999, 1000, 1204, 5000, 12345, 1234567, -4321].map(thousands)).toEqual([
      "0",
      "7",
      "999",
      "1,000",
      "1,204",
      "5,000",
      "12,345",
      "1,234,567",
      "-4,321",
    ]);
  });
});
