/**
 * What a branch or a worktree changed: file lists and changed line ranges, one git call each
 * (never one per file). Paths are repository-relative POSIX paths, exactly as git stores them.
 */
import { existsSync } from "node:fs";
import { git, lines, runGit } from "./run.js";

/** The best common ancestor of two commits, or undefined when they share no history. */
export async function mergeBase(cwd: string, a: string, b: string): Promise<string | undefined> {
  const result = await runGit(cwd, ["merge-base", "--end-of-options", a, b]);
  if (result.exitCode === 1) return undefined;
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split("\n")[0] || `exit code ${result.exitCode}`;
    throw new Error(`git merge-base ${a} ${b} failed in ${cwd}: ${detail}`);
  }
  return lines(result.stdout)[0];
}

/** Files that differ between two commits (`git diff --name-only -z --no-renames`). */
export async function changedFilesBetween(
  cwd: string,
  from: string,
  to: string,
): Promise<string[]> {
  const out = await git(cwd, ["diff", "--name-only", "-z", "--no-renames", from, to, "--"]);
  return out.split("\0").filter((p) => p !== "");
}

export interface StatusEntry {
  path: string;
  /** Changed in the index against HEAD. */
  staged: boolean;
  /** Changed in the working tree against the index. */
  unstaged: boolean;
  /** Not tracked and not ignored (`--exclude-standard` rules). */
  untracked: boolean;
}

/** Parses `git status --porcelain=v1 -z --no-renames`. */
export function parseStatusZ(text: string): StatusEntry[] {
  const entries: StatusEntry[] = [];
  for (const record of text.split("\0")) {
    if (record.length < 4) continue;
    const x = record[0] ?? " ";
    const y = record[1] ?? " ";
    const path = record.slice(3);
    if (x === "!") continue;
    if (x === "?") {
      entries.push({ path, staged: false, unstaged: false, untracked: true });
      continue;
    }
    entries.push({ path, staged: x !== " ", unstaged: y !== " ", untracked: false });
  }
  return entries;
}

/** Staged, unstaged and untracked files of a worktree (untracked as single files). */
export async function worktreeStatus(cwd: string): Promise<StatusEntry[]> {
  const out = await git(cwd, [
    "status",
    "--porcelain=v1",
    "-z",
    "--no-renames",
    "--untracked-files=all",
    "--ignore-submodules=all",
  ]);
  return parseStatusZ(out);
}

/**
 * The files changed and not committed in a worktree (staged, unstaged, untracked), repository
 * paths; none when the worktree is gone (merged and removed); undefined when git cannot say.
 */
export async function uncommittedIn(worktree: string): Promise<string[] | undefined> {
  if (!existsSync(worktree)) return [];
  try {
    return (await worktreeStatus(worktree)).map((entry) => entry.path);
  } catch {
    return undefined;
  }
}

/**
 * One hunk of a `-U0` diff. `oldCount` 0 is an insertion after line `oldStart` (0: at the top);
 * `newCount` 0 is a deletion.
 */
export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

export interface FileDiff {
  path: string;
  status: "added" | "deleted" | "modified";
  /** Binary content: no hunks, the whole file counts as changed. */
  binary: boolean;
  hunks: Hunk[];
  /** The lines the change adds (the `+` lines), in order. */
  added: string[];
}

const C_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': 34,
  "\\": 92,
};

/** Undoes git's C-style quoting of a path (`"tab\tx.txt"`, octal escapes for bytes). */
export function unquoteGitPath(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return text;
  const body = text.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? "";
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = body[i + 1] ?? "";
    if (/[0-7]/.test(next)) {
      const octal = body.slice(i + 1, i + 4);
      bytes.push(Number.parseInt(octal, 8));
      i += 3;
      continue;
    }
    bytes.push(C_ESCAPES[next] ?? next.charCodeAt(0));
    i += 1;
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * The path of a `diff --git a/P b/P` header. With `--no-renames` both sides name the same path,
 * so the header is `a/` + P + ` b/` + P (each side C-quoted when P needs it) and P is read
 * without guessing where the separating space is.
 */
export function diffHeaderPath(header: string): string | undefined {
  const rest = header.slice("diff --git ".length);
  if (rest.startsWith('"')) {
    // "a/P" "b/P" or "a/P" b/P: the first quoted token ends at an unescaped quote.
    for (let i = 1; i < rest.length; i++) {
      if (rest[i] === "\\") {
        i++;
        continue;
      }
      if (rest[i] === '"') return unquoteGitPath(rest.slice(0, i + 1)).slice(2);
    }
    return undefined;
  }
  if ((rest.length - 5) % 2 !== 0 || !rest.startsWith("a/")) return undefined;
  const half = (rest.length - 5) / 2;
  const path = rest.slice(2, 2 + half);
  return rest.slice(2 + half) === ` b/${path}` ? path : undefined;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parses a `git diff -U0 --no-renames` patch. Hunk bodies are read by the counts in their `@@`
 * headers, so a removed line that looks like a header (`--- x`) cannot derail the parse.
 */
export function parseUnifiedDiff(text: string): FileDiff[] {
  const files: FileDiff[] = [];
  const all = text.split("\n");
  let current: FileDiff | undefined;
  let i = 0;
  while (i < all.length) {
    const line = all[i] ?? "";
    i++;
    if (line.startsWith("diff --git ")) {
      const path = diffHeaderPath(line);
      current =
        path === undefined
          ? undefined
          : { path, status: "modified", binary: false, hunks: [], added: [] };
      if (current) files.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith("new file mode")) current.status = "added";
    else if (line.startsWith("deleted file mode")) current.status = "deleted";
    else if (line.startsWith("Binary files ") || line === "GIT binary patch") current.binary = true;
    else if (line.startsWith("@@ ")) {
      const m = HUNK.exec(line);
      if (!m) continue;
      const hunk: Hunk = {
        oldStart: Number(m[1]),
        oldCount: m[2] === undefined ? 1 : Number(m[2]),
        newStart: Number(m[3]),
        newCount: m[4] === undefined ? 1 : Number(m[4]),
      };
      current.hunks.push(hunk);
      let removed = hunk.oldCount;
      let added = hunk.newCount;
      while (i < all.length && (removed > 0 || added > 0)) {
        const body = all[i] ?? "";
        if (body.startsWith("-") && removed > 0) removed--;
        else if (body.startsWith("+") && added > 0) {
          added--;
          current.added.push(body.slice(1));
        } else if (!body.startsWith("\\")) break;
        i++;
      }
      // "\ No newline at end of file" after the last line of a hunk.
      while (i < all.length && (all[i] ?? "").startsWith("\\")) i++;
    }
  }
  return files;
}

/**
 * The working tree of `cwd` (committed, staged and unstaged changes together; untracked files
 * excluded) against `from`, as `-U0` hunks in `from`'s line numbers plus the added lines.
 */
export async function diffWorktreeLines(cwd: string, from: string): Promise<FileDiff[]> {
  const out = await git(cwd, [
    "-c",
    "core.quotePath=false",
    "diff",
    "-U0",
    "--no-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--ignore-submodules=all",
    from,
    "--",
  ]);
  return parseUnifiedDiff(out);
}
