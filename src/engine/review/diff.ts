/**
 * A stream's work as a reviewer reads it: its worktree (committed, staged, unstaged and
 * untracked files together) against the merge base of its base branch, which is what merging it
 * would bring. One `git diff` for the tracked files, one `git ls-files` for the untracked ones.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { diffHeaderPath, git, mergeBase, unquoteGitPath } from "../git/index.js";

/** A added, M modified, D deleted, R renamed, ? untracked (shown as added). */
export type ReviewFileStatus = "A" | "M" | "D" | "R" | "?";

export interface ReviewLine {
  kind: "+" | "-" | " ";
  text: string;
  /** The line's number in the old file (context and removed lines). */
  oldLine?: number;
  /** The line's number in the new file (context and added lines). */
  newLine?: number;
}

export interface ReviewHunk {
  header: string;
  lines: ReviewLine[];
}

export interface ReviewFile {
  path: string;
  /** A renamed file's old path. */
  from?: string;
  status: ReviewFileStatus;
  added: number;
  removed: number;
  binary: boolean;
  /** The file's lines were left out: the diff was over its size limit (see DIFF_LIMITS). */
  omitted?: boolean;
  hunks: ReviewHunk[];
}

export interface ReviewDiff {
  /** The branch the stream merges into. */
  base: string;
  /** The commit the diff is taken against. */
  mergeBase: string;
  files: ReviewFile[];
}

/** An untracked file larger than this is listed without its lines. */
const UNTRACKED_LIMIT = 2 * 1024 * 1024;

/**
 * What a review carries at most: it travels to a remote control room in one protocol frame
 * (16 MiB at most), and nobody reads more. Past the budget, files are listed with their counts
 * but without their lines; a line longer than `lineChars` is cut.
 */
export const DIFF_LIMITS = { lines: 100_000, chars: 6_000_000, lineChars: 2_000 };

/** The worktree `worktree` against its merge base with `base`. */
export async function reviewDiff(worktree: string, base: string): Promise<ReviewDiff> {
  const from = await mergeBase(worktree, base, "HEAD");
  if (!from) throw new Error(`${worktree} shares no history with ${base}: nothing to compare`);
  const patch = await git(worktree, [
    "-c",
    "core.quotePath=false",
    "diff",
    "--find-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--ignore-submodules=all",
    from,
    "--",
  ]);
  const files = parseReviewPatch(patch);
  files.push(...(await untrackedFiles(worktree)));
  return { base, mergeBase: from, files: withinLimits(files) };
}

/** The files with lines cut to DIFF_LIMITS.lineChars and, past the budget, hunks left out. */
export function withinLimits(files: ReviewFile[], limits = DIFF_LIMITS): ReviewFile[] {
  let lines = 0;
  let chars = 0;
  for (const file of files) {
    const kept: ReviewHunk[] = [];
    for (const hunk of file.hunks) {
      if (lines + hunk.lines.length > limits.lines || chars > limits.chars) break;
      kept.push(hunk);
      lines += hunk.lines.length;
      for (const line of hunk.lines) {
        if (line.text.length > limits.lineChars)
          line.text = `${line.text.slice(0, limits.lineChars)}…`;
        chars += line.text.length;
      }
    }
    if (kept.length < file.hunks.length) {
      file.omitted = true;
      file.hunks = kept;
    }
  }
  return files;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** A path of a `--- a/P` or `+++ b/P` line, or undefined for /dev/null. */
function sidePath(line: string): string | undefined {
  const rest = line.slice(4);
  if (rest === "/dev/null") return undefined;
  const unquoted = unquoteGitPath(rest.replace(/\t$/, ""));
  return unquoted.slice(2);
}

/**
 * Parses `git diff --find-renames` output, with context. Hunk bodies are read by the counts in
 * their `@@` headers, so a removed line that looks like a header (`--- x`) cannot derail it.
 */
export function parseReviewPatch(text: string): ReviewFile[] {
  const files: ReviewFile[] = [];
  const all = text.split("\n");
  let current: ReviewFile | undefined;
  let i = 0;
  while (i < all.length) {
    const line = all[i] ?? "";
    i++;
    if (line.startsWith("diff --git ")) {
      current = {
        path: diffHeaderPath(line) ?? line.slice("diff --git ".length),
        status: "M",
        added: 0,
        removed: 0,
        binary: false,
        hunks: [],
      };
      files.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith("new file mode")) current.status = "A";
    else if (line.startsWith("deleted file mode")) current.status = "D";
    else if (line.startsWith("rename from ")) {
      current.status = "R";
      current.from = unquoteGitPath(line.slice("rename from ".length));
    } else if (line.startsWith("rename to ")) {
      current.path = unquoteGitPath(line.slice("rename to ".length));
    } else if (line.startsWith("Binary files ") || line === "GIT binary patch") {
      current.binary = true;
    } else if (line.startsWith("--- ") && current.hunks.length === 0) {
      const old = sidePath(line);
      if (old && current.status === "D") current.path = old;
    } else if (line.startsWith("+++ ") && current.hunks.length === 0) {
      const now = sidePath(line);
      if (now) current.path = now;
    } else if (line.startsWith("@@ ")) {
      const m = HUNK.exec(line);
      if (!m) continue;
      let oldLine = Number(m[1]);
      let newLine = Number(m[3]);
      let removed = m[2] === undefined ? 1 : Number(m[2]);
      let added = m[4] === undefined ? 1 : Number(m[4]);
      const hunk: ReviewHunk = { header: line, lines: [] };
      current.hunks.push(hunk);
      while (i < all.length && (removed > 0 || added > 0)) {
        const body = all[i] ?? "";
        if (body.startsWith("-") && removed > 0) {
          hunk.lines.push({ kind: "-", text: body.slice(1), oldLine: oldLine++ });
          removed--;
          current.removed++;
        } else if (body.startsWith("+") && added > 0) {
          hunk.lines.push({ kind: "+", text: body.slice(1), newLine: newLine++ });
          added--;
          current.added++;
        } else if ((body.startsWith(" ") || body === "") && removed > 0 && added > 0) {
          hunk.lines.push({
            kind: " ",
            text: body.slice(1),
            oldLine: oldLine++,
            newLine: newLine++,
          });
          removed--;
          added--;
        } else if (!body.startsWith("\\")) break;
        i++;
      }
      // "\ No newline at end of file" after the last line of a hunk.
      while (i < all.length && (all[i] ?? "").startsWith("\\")) i++;
    }
  }
  return files;
}

/** The worktree's untracked files (not ignored), each as a file of added lines. */
async function untrackedFiles(worktree: string): Promise<ReviewFile[]> {
  const out = await git(worktree, ["ls-files", "--others", "--exclude-standard", "-z"]);
  const files: ReviewFile[] = [];
  for (const file of out.split("\0").filter((p) => p !== "")) {
    const full = path.join(worktree, file);
    const stat = await fsp.lstat(full).catch(() => undefined);
    if (!stat?.isFile()) continue;
    const entry: ReviewFile = {
      path: file,
      status: "?",
      added: 0,
      removed: 0,
      binary: false,
      hunks: [],
    };
    files.push(entry);
    if (stat.size > UNTRACKED_LIMIT) {
      entry.binary = true;
      continue;
    }
    const content = await fsp.readFile(full);
    if (content.includes(0)) {
      entry.binary = true;
      continue;
    }
    const text = content.toString("utf8");
    if (text === "") continue;
    const rows = text.replace(/\n$/, "").split("\n");
    entry.added = rows.length;
    entry.hunks.push({
      header: `@@ -0,0 +1,${rows.length} @@ (untracked)`,
      lines: rows.map((row, n) => ({ kind: "+", text: row, newLine: n + 1 })),
    });
  }
  return files;
}
