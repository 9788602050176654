/**
 * The review's pieces on real files: comments kept in `<state_dir>/reviews/<stream>.json` (a
 * broken file is an error naming it, never overwritten), the patch parser on renames, deletions
 * and lines that look like headers, and the size limits of what a review carries.
 */
import { promises as fsp, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  addComment,
  parseReviewPatch,
  readReview,
  removeComments,
  reviewPrompt,
  withinLimits,
} from "../../src/engine/review/index.js";

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const stateDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-review-state-"));
  temps.push(dir);
  return dir;
};

describe("review comments", () => {
  it("are kept per stream until removed, then the file goes", async () => {
    const dir = stateDir();
    const where = { file: "a.ts", line: 3, side: "new" as const, code: "x = 1" };
    await addComment(dir, "A", { ...where, text: "why 1?" });
    const [first, second] = await Promise.all([
      addComment(dir, "A", { ...where, text: "two" }),
      addComment(dir, "A", { ...where, text: "three" }),
    ]);
    expect(first).toHaveLength(2);
    expect(second).toHaveLength(3);
    const kept = await readReview(dir, "A");
    expect(kept.map((c) => c.text)).toEqual(["why 1?", "two", "three"]);
    expect(await readReview(dir, "B")).toEqual([]);
    expect(reviewPrompt("A", "main", kept.slice(0, 1))).toBe(
      [
        "Review of your work on stream A (the diff against main): 1 comment. Please address each one.",
        "",
        "1. a.ts, line 3:",
        "   > x = 1",
        "   why 1?",
      ].join("\n"),
    );
    expect(
      await removeComments(
        dir,
        "A",
        kept.map((c) => c.id),
      ),
    ).toEqual([]);
    await expect(fsp.access(path.join(dir, "reviews", "A.json"))).rejects.toThrow();
  });

  it("a broken review file is an error that names it, and is left as it is", async () => {
    const dir = stateDir();
    const file = path.join(dir, "reviews", "A.json");
    await fsp.mkdir(path.dirname(file));
    await fsp.writeFile(file, '{"version": 1, "stream": "A", "comments": [{"id": "x"}]}');
    await expect(readReview(dir, "A")).rejects.toThrow(`${file}: comments.0.file`);
    await expect(
      addComment(dir, "A", { file: "a", line: 1, side: "new", code: "", text: "t" }),
    ).rejects.toThrow(file);
    expect(await fsp.readFile(file, "utf8")).toContain('"id": "x"');
    await fsp.writeFile(file, "{");
    await expect(readReview(dir, "A")).rejects.toThrow(`${file} is not valid JSON`);
    await expect(readReview(dir, "../x")).rejects.toThrow('"../x" is not a stream id');
  });
});

describe("the review's patch", () => {
  it("reads renames, deletions, and removed lines that look like headers", () => {
    const files = parseReviewPatch(
      [
        "diff --git a/old.ts b/new.ts",
        "similarity index 90%",
        "rename from old.ts",
        "rename to new.ts",
        "--- a/old.ts",
        "+++ b/new.ts",
        "@@ -1,2 +1,2 @@",
        " keep",
        "--- not a header",
        "+++ not one either",
        "diff --git a/gone.ts b/gone.ts",
        "deleted file mode 100644",
        "--- a/gone.ts",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-bye",
        "",
      ].join("\n"),
    );
    expect(files.map((f) => [f.path, f.from, f.status, f.added, f.removed])).toEqual([
      ["new.ts", "old.ts", "R", 1, 1],
      ["gone.ts", undefined, "D", 0, 1],
    ]);
    expect(files[0]?.hunks[0]?.lines).toEqual([
      { kind: " ", text: "keep", oldLine: 1, newLine: 1 },
      { kind: "-", text: "-- not a header", oldLine: 2 },
      { kind: "+", text: "++ not one either", newLine: 2 },
    ]);
  });

  it("leaves out hunks past its budget and cuts very long lines", () => {
    const hunk = (n: number) => ({
      header: "@@",
      lines: Array.from({ length: n }, (_, i) => ({
        kind: "+" as const,
        text: `l${i}`,
        newLine: i + 1,
      })),
    });
    const file = (p: string, ...hunks: ReturnType<typeof hunk>[]) => ({
      path: p,
      status: "A" as const,
      added: 0,
      removed: 0,
      binary: false,
      hunks,
    });
    const long = file("long.txt", {
      header: "@@",
      lines: [{ kind: "+", text: "x".repeat(50), newLine: 1 }],
    });
    const out = withinLimits([long, file("a", hunk(5), hunk(5)), file("b", hunk(5))], {
      lines: 8,
      chars: 1000,
      lineChars: 10,
    });
    expect(out[0]?.hunks[0]?.lines[0]?.text).toBe(`${"x".repeat(10)}…`);
    expect(out[1]?.hunks).toHaveLength(1);
    expect(out[1]?.omitted).toBe(true);
    expect(out[2]?.hunks).toHaveLength(0);
    expect(out[2]?.omitted).toBe(true);
  });
});
