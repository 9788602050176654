import { describe, expect, it } from "vitest";
import { declaredNames, exportChanges } from "../../src/engine/exports-diff.js";

describe("declaredNames", () => {
  it("reads TS/JS export declarations and export lists", () => {
    expect(declaredNames("a.ts", "export function charge(a: number) {")).toEqual(["charge"]);
    expect(declaredNames("a.ts", "export default async function main() {")).toEqual(["main"]);
    expect(declaredNames("a.tsx", "export const Button = () => null;")).toEqual(["Button"]);
    expect(declaredNames("a.ts", "export interface Props {")).toEqual(["Props"]);
    expect(declaredNames("a.mjs", "export { a, b as c, type D };")).toEqual(["a", "c", "D"]);
    expect(declaredNames("a.ts", "const hidden = 1;")).toEqual([]);
    expect(declaredNames("a.ts", "  export function nested() {")).toEqual([]);
  });
  it("reads Python top-level def and class, skipping private names", () => {
    expect(declaredNames("m.py", "def load(path):")).toEqual(["load"]);
    expect(declaredNames("m.py", "async def fetch():")).toEqual(["fetch"]);
    expect(declaredNames("m.py", "class Settings(Base):")).toEqual(["Settings"]);
    expect(declaredNames("m.py", "    def method(self):")).toEqual([]);
    expect(declaredNames("m.py", "def _private():")).toEqual([]);
    expect(declaredNames("notes.md", "def load(path):")).toEqual([]);
  });
});

describe("exportChanges", () => {
  it("finds added names, removed names and changed signatures across files", () => {
    const diff = [
      "diff --git a/src/api.ts b/src/api.ts",
      "--- a/src/api.ts",
      "+++ b/src/api.ts",
      "@@ -1,2 +1,2 @@",
      "-export function charge(amount: number) {}",
      "-export const LIMIT = 5;",
      "+export function charge(amount: number, currency: string) {}",
      "+export class Refund {}",
      "diff --git a/old.py b/old.py",
      "deleted file mode 100644",
      "--- a/old.py",
      "+++ /dev/null",
      "@@ -1 +0,0 @@",
      "-def gone():",
      "diff --git a/new.py b/new.py",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/new.py",
      "@@ -0,0 +1 @@",
      "+class Fresh:",
    ].join("\n");
    expect(exportChanges(diff)).toEqual({
      added: ["src/api.ts: export class Refund {}", "new.py: class Fresh:"],
      breaking: [
        "src/api.ts: charge changed: export function charge(amount: number) {} -> export function charge(amount: number, currency: string) {}",
        "src/api.ts: LIMIT removed (was: export const LIMIT = 5;)",
        "old.py: gone removed (was: def gone():)",
      ],
    });
  });
});
