/** The pure parts of the conflict scanner's git reading: diffs, status, merge-tree output. */
import { describe, expect, it } from "vitest";
import {
  diffHeaderPath,
  parseMergeTree,
  parseStatusZ,
  parseUnifiedDiff,
  unquoteGitPath,
} from "../../src/engine/git/index.js";

describe("parseUnifiedDiff", () => {
  it("reads -U0 hunks in old-side numbers, with the default count of 1, and the added lines", () => {
    const patch = [
      "diff --git a/src/a.ts b/src/a.ts",
      "index 1111111..2222222 100644",
      "--- a/src/a.ts",
      "+++ b/src/a.ts",
      "@@ -3 +3 @@ export const x = 1;",
      "-old three",
      "+new three",
      "@@ -10,2 +9,0 @@",
      "-ten",
      "-eleven",
      "@@ -20,0 +19,2 @@",
      '+import { y } from "./y.js";',
      "+two",
      "",
    ].join("\n");
    expect(parseUnifiedDiff(patch)).toEqual([
      {
        path: "src/a.ts",
        status: "modified",
        binary: false,
        hunks: [
          { oldStart: 3, oldCount: 1, newStart: 3, newCount: 1 },
          { oldStart: 10, oldCount: 2, newStart: 9, newCount: 0 },
          { oldStart: 20, oldCount: 0, newStart: 19, newCount: 2 },
        ],
        added: ["new three", 'import { y } from "./y.js";', "two"],
      },
    ]);
  });

  it("reads hunk bodies by count, so removed lines that look like headers do not derail it", () => {
    const patch = [
      "diff --git a/x.md b/x.md",
      "--- a/x.md",
      "+++ b/x.md",
      "@@ -1,2 +1 @@",
      "--- a/not-a-file",
      "-diff --git a/y b/y",
      "+++ b/also-content",
      "\\ No newline at end of file",
      "diff --git a/z.py b/z.py",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/z.py",
      "@@ -0,0 +1 @@",
      "+import os",
      "",
    ].join("\n");
    const files = parseUnifiedDiff(patch);
    expect(files.map((f) => [f.path, f.status, f.hunks.length, f.added])).toEqual([
      ["x.md", "modified", 1, ["++ b/also-content"]],
      ["z.py", "added", 1, ["import os"]],
    ]);
  });

  it("marks binary and deleted files, and reads quoted paths and paths with spaces", () => {
    const patch = [
      "diff --git a/img/logo.png b/img/logo.png",
      "new file mode 100644",
      "index 0000000..8352675",
      "Binary files /dev/null and b/img/logo.png differ",
      "diff --git a/old file.txt b/old file.txt",
      "deleted file mode 100644",
      "--- a/old file.txt",
      "+++ /dev/null",
      "@@ -1 +0,0 @@",
      "-x",
      'diff --git "a/tab\\tname.txt" "b/tab\\tname.txt"',
      "--- /dev/null",
      '+++ "b/tab\\tname.txt"',
      "@@ -0,0 +1 @@",
      "+q",
      "",
    ].join("\n");
    const files = parseUnifiedDiff(patch);
    expect(files.map((f) => [f.path, f.status, f.binary])).toEqual([
      ["img/logo.png", "added", true],
      ["old file.txt", "deleted", false],
      ["tab\tname.txt", "modified", false],
    ]);
  });

  it("finds the path of a header whose path contains ' b/'", () => {
    expect(diffHeaderPath("diff --git a/x b/y.ts b/x b/y.ts")).toBe("x b/y.ts");
    expect(diffHeaderPath("diff --git a/a.ts b/b.ts")).toBeUndefined();
    expect(unquoteGitPath('"caf\\303\\251.txt"')).toBe("café.txt");
    expect(unquoteGitPath('"a\\"b\\\\c"')).toBe('a"b\\c');
    expect(unquoteGitPath("plain.txt")).toBe("plain.txt");
  });
});

describe("parseStatusZ", () => {
  it("reads staged, unstaged and untracked entries", () => {
    const text = [
      "M  staged.ts",
      " M unstaged.ts",
      "MM both.ts",
      "?? new dir/file.py",
      "A  added.ts",
      "",
    ].join("\0");
    expect(parseStatusZ(text)).toEqual([
      { path: "staged.ts", staged: true, unstaged: false, untracked: false },
      { path: "unstaged.ts", staged: false, unstaged: true, untracked: false },
      { path: "both.ts", staged: true, unstaged: true, untracked: false },
      { path: "new dir/file.py", staged: false, unstaged: false, untracked: true },
      { path: "added.ts", staged: true, unstaged: false, untracked: false },
    ]);
  });
});

describe("parseMergeTree", () => {
  const tree = "979e45d01b308aea63e8e88ec04d2897d9e802ea";
  it("reads a clean merge and a conflict (exit 1), each conflicted path once", () => {
    expect(parseMergeTree(`${tree}\0`, 0)).toEqual({ clean: true, tree, conflicts: [] });
    expect(parseMergeTree(`${tree}\0b.txt\0a.txt\0b.txt\0`, 1)).toEqual({
      clean: false,
      tree,
      conflicts: ["a.txt", "b.txt"],
    });
  });
});
