/**
 * The review view (`d`): a stream's diff against its merge base, full screen, files on the left
 * and the diff on the right, with a cursor on one row. Its rows are flattened once when the view
 * opens; drawing takes only the rows on screen, so a diff of any length draws as fast as a short
 * one.
 */

import type { ReviewComment, ReviewFile, ReviewLine } from "../../engine/review/index.js";
import type { ReviewOpenValue } from "../../room/commands.js";
import { fitLine, type Line, seg, type Tone } from "./types.js";

/** A row of the diff: a file's header, a hunk's header, or a line (by index, never copied). */
export type DiffRow =
  | { kind: "file"; file: number }
  | { kind: "hunk"; file: number; hunk: number }
  /** `pair`: the row of the line this one replaces or is replaced by, for word highlights. */
  | { kind: "line"; file: number; hunk: number; line: number; pair?: number };

export interface DiffView {
  stream: string;
  /** The stream's worktree (where `e` opens the editor). */
  worktree: string;
  /** The agent the comments go to (the one selected when the view opened). */
  agent: string | undefined;
  base: string;
  mergeBase: string;
  files: ReviewFile[];
  rows: DiffRow[];
  cursor: number;
  /** The first row on screen. */
  top: number;
  comments: ReviewComment[];
}

export function diffRows(files: readonly ReviewFile[]): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const [file, f] of files.entries()) {
    rows.push({ kind: "file", file });
    for (const [hunk, h] of f.hunks.entries()) {
      rows.push({ kind: "hunk", file, hunk });
      const first = rows.length;
      for (let line = 0; line < h.lines.length; line++)
        rows.push({ kind: "line", file, hunk, line });
      pairChanges(h.lines, rows, first);
    }
  }
  return rows;
}

/**
 * Pairs the removed lines of a run with the added lines right after it, in order (the n-th
 * removed with the n-th added), so that their changed words can be shown: one pass per hunk.
 */
function pairChanges(lines: readonly ReviewLine[], rows: DiffRow[], first: number) {
  let i = 0;
  while (i < lines.length) {
    if (lines[i]?.kind !== "-") {
      i++;
      continue;
    }
    const removed = i;
    while (lines[i]?.kind === "-") i++;
    const added = i;
    while (lines[i]?.kind === "+") i++;
    const n = Math.min(added - removed, i - added);
    for (let k = 0; k < n; k++) {
      const a = rows[first + removed + k];
      const b = rows[first + added + k];
      if (a?.kind === "line" && b?.kind === "line") {
        a.pair = first + added + k;
        b.pair = first + removed + k;
      }
    }
  }
}

/**
 * `text` cut where it differs from `other`: the common start and end (widened to whole words)
 * stay plain, the middle is what changed. Undefined when little is common: then the whole line
 * changed and nothing is worth pointing at.
 */
export function changedSpan(text: string, other: string): [string, string, string] | undefined {
  let start = 0;
  const max = Math.min(text.length, other.length);
  while (start < max && text[start] === other[start]) start++;
  let end = 0;
  while (end < max - start && text[text.length - 1 - end] === other[other.length - 1 - end]) end++;
  const word = /\w/;
  while (start > 0 && word.test(text[start - 1] ?? "") && word.test(text[start] ?? "")) start--;
  while (
    end > 0 &&
    word.test(text[text.length - end] ?? "") &&
    word.test(text[text.length - end - 1] ?? "")
  )
    end--;
  if (start + end < Math.max(3, text.length / 3)) return undefined;
  return [
    text.slice(0, start),
    text.slice(start, text.length - end),
    text.slice(text.length - end),
  ];
}

export function openDiffView(value: ReviewOpenValue, agent: string | undefined): DiffView {
  return {
    stream: value.stream,
    worktree: value.worktree,
    agent,
    base: value.base,
    mergeBase: value.mergeBase,
    files: value.files,
    rows: diffRows(value.files),
    cursor: 0,
    top: 0,
    comments: value.comments,
  };
}

/** The rows the diff itself gets on a screen `screenRows` high (header, footer, title and comment line taken). */
export const diffBodyHeight = (screenRows: number): number => Math.max(1, screenRows - 4);

/** The view with the cursor on `row` (kept in range), scrolled so that it is on screen. */
export function moveCursor(view: DiffView, row: number, height: number, toTop = false): DiffView {
  const cursor = Math.max(0, Math.min(view.rows.length - 1, row));
  let top = view.top;
  if (toTop) top = cursor;
  else if (cursor < top) top = cursor;
  else if (cursor >= top + height) top = cursor - height + 1;
  top = Math.max(0, Math.min(top, Math.max(0, view.rows.length - height)));
  return { ...view, cursor, top };
}

/** The next (or previous) row of `kind` from the cursor, or undefined at the end. */
export function findRow(view: DiffView, kind: "file" | "hunk", step: 1 | -1): number | undefined {
  for (let i = view.cursor + step; i >= 0 && i < view.rows.length; i += step) {
    if (view.rows[i]?.kind === kind) return i;
  }
  return undefined;
}

/** The code line under the cursor, with its file, or undefined on a header. */
export function cursorLine(view: DiffView): { file: ReviewFile; line: ReviewLine } | undefined {
  const row = view.rows[view.cursor];
  if (row?.kind !== "line") return undefined;
  const file = view.files[row.file];
  const line = file?.hunks[row.hunk]?.lines[row.line];
  return file && line ? { file, line } : undefined;
}

/** Where a comment on this line is anchored: its number in the new file, or the old for a removed line. */
export function lineAnchor(line: ReviewLine): { side: "new" | "old"; line: number } | undefined {
  if (line.newLine !== undefined) return { side: "new", line: line.newLine };
  if (line.oldLine !== undefined) return { side: "old", line: line.oldLine };
  return undefined;
}

const commentKey = (file: string, side: string, line: number) => `${file}\0${side}\0${line}`;

/** The comments on the line, if any. */
export function commentsOn(view: DiffView, file: string, line: ReviewLine): ReviewComment[] {
  const anchor = lineAnchor(line);
  if (!anchor) return [];
  return view.comments.filter(
    (c) => c.file === file && c.side === anchor.side && c.line === anchor.line,
  );
}

/** The comments on the line under the cursor. */
export function commentsAtCursor(view: DiffView): ReviewComment[] {
  const at = cursorLine(view);
  return at ? commentsOn(view, at.file.path, at.line) : [];
}

/** Tabs to spaces and control characters out, so that a code line takes the columns it shows. */
const printable = (text: string) =>
  text.replace(/\t/g, "    ").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "?");

const STATUS_TONE: Record<ReviewFile["status"], Tone> = {
  A: "ok",
  "?": "ok",
  M: "warn",
  D: "error",
  R: "accent",
};

function fileListLine(file: ReviewFile, current: boolean, comments: number): Line {
  const status = file.status === "?" ? "?" : file.status;
  const counts = file.binary ? " binary" : ` +${file.added} -${file.removed}`;
  const note = comments ? ` ◆${comments}` : "";
  if (current) return [seg(`${status} ${file.path}${counts}${note}`, "selected")];
  return [
    seg(status, STATUS_TONE[file.status]),
    seg(` ${file.path}`),
    seg(counts, "muted"),
    ...(note ? [seg(note, "warn")] : []),
  ];
}

const pad = (n: number | undefined) => (n === undefined ? "" : String(n)).padStart(5);

function diffRowLine(view: DiffView, row: DiffRow, commented: Set<string>): Line {
  const file = view.files[row.file];
  if (!file) return [];
  if (row.kind === "file") {
    const name = file.from ? `${file.from} → ${file.path}` : file.path;
    const what =
      file.status === "?"
        ? "untracked"
        : file.binary
          ? "binary"
          : `+${file.added} -${file.removed}`;
    return [seg(`━━ ${file.status} ${name}  (${what})`, "title")];
  }
  const hunk = file.hunks[row.hunk];
  if (row.kind === "hunk") return [seg(hunk?.header ?? "", "accent")];
  const line = hunk?.lines[row.line];
  if (!line) return [];
  const anchor = lineAnchor(line);
  const marked = anchor && commented.has(commentKey(file.path, anchor.side, anchor.line));
  const tone: Tone = line.kind === "+" ? "ok" : line.kind === "-" ? "error" : "plain";
  const gutter = [
    seg(`${pad(line.oldLine)} ${pad(line.newLine)} `, "muted"),
    seg(marked ? "◆" : " ", "warn"),
  ];
  const partner = row.pair === undefined ? undefined : view.rows[row.pair];
  const other =
    partner?.kind === "line"
      ? view.files[partner.file]?.hunks[partner.hunk]?.lines[partner.line]
      : undefined;
  const span = other ? changedSpan(line.text, other.text) : undefined;
  if (!span) return [...gutter, seg(`${line.kind}${printable(line.text)}`, tone)];
  return [
    ...gutter,
    seg(`${line.kind}${printable(span[0])}`, tone),
    seg(printable(span[1]), line.kind === "+" ? "okStrong" : "errorStrong"),
    seg(printable(span[2]), tone),
  ];
}

/** The screen of the view, `height` rows of `width`: the title, the list and diff side by side, the comment line. */
export function diffViewLines(view: DiffView, width: number, height: number): Line[] {
  const body = Math.max(1, height - 2);
  const listWidth = Math.max(16, Math.min(48, Math.floor(width * 0.3)));
  const diffWidth = Math.max(1, width - listWidth - 1);
  const current = view.rows[view.cursor]?.file ?? 0;
  const added = view.files.reduce((n, f) => n + f.added, 0);
  const removed = view.files.reduce((n, f) => n + f.removed, 0);
  const nc = view.comments.length;
  const title: Line = [
    seg(`Review of ${view.stream}`, "title"),
    seg(` against ${view.base} (merge base ${view.mergeBase.slice(0, 10)}): `, "muted"),
    seg(`${view.files.length} file${view.files.length === 1 ? "" : "s"} +${added} -${removed}`),
    seg(nc ? `  ◆ ${nc} comment${nc === 1 ? "" : "s"} to send (S)` : "", "warn"),
  ];
  const perFile = new Map<string, number>();
  const commented = new Set<string>();
  for (const c of view.comments) {
    perFile.set(c.file, (perFile.get(c.file) ?? 0) + 1);
    commented.add(commentKey(c.file, c.side, c.line));
  }
  // The file list scrolls to keep the current file on screen.
  const listTop = Math.max(0, Math.min(current - Math.floor(body / 2), view.files.length - body));
  const lines: Line[] = [fitLine(title, width, true)];
  for (let i = 0; i < body; i++) {
    const f = view.files[listTop + i];
    const left = f ? fileListLine(f, listTop + i === current, perFile.get(f.path) ?? 0) : [];
    const row = view.rows[view.top + i];
    let right: Line = row ? diffRowLine(view, row, commented) : [];
    if (view.top + i === view.cursor) right = [seg(right.map((s) => s.text).join(""), "selected")];
    lines.push([
      ...fitLine(left, listWidth, true),
      seg("│", "muted"),
      ...fitLine(right, diffWidth, view.top + i === view.cursor),
    ]);
  }
  if (view.files.length === 0)
    lines[1] = fitLine([seg("no changes against the merge base yet", "muted")], width, true);
  const at = cursorLine(view);
  const notes = at ? commentsOn(view, at.file.path, at.line) : [];
  const footer: Line = notes.length
    ? [seg("◆ ", "warn"), seg(notes.map((c) => c.text.replace(/\n/g, " ")).join("  ◆ "))]
    : [seg(at ? "c: comment on this line" : "j/k: move to a line to comment on it", "muted")];
  lines.push(fitLine(footer, width, true));
  return lines;
}
