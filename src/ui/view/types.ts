/**
 * What the screen shows, as data: lines of segments with a tone each. Components map tones to
 * colours (or to nothing under NO_COLOR); everything else about the screen is decided by the pure
 * functions of this folder, which tests call without Ink.
 */
export type Tone =
  | "plain"
  | "muted"
  | "accent"
  | "ok"
  | "warn"
  | "error"
  | "title"
  | "selected"
  /** The selected pane's title: the accent colour, bold. */
  | "accentStrong"
  /** The words that changed within a changed line of a diff (added, removed). */
  | "okStrong"
  | "errorStrong";

export interface Segment {
  text: string;
  tone?: Tone;
}

export type Line = Segment[];

export const seg = (text: string, tone: Tone = "plain"): Segment => ({ text, tone });

/** The visible text of a line. */
export const lineText = (line: Line): string => line.map((s) => s.text).join("");

/** Cuts a line to `width` columns (with an ellipsis when it had to cut), padding it to `width` when `pad`. */
export function fitLine(line: Line, width: number, pad = false): Line {
  const out: Line = [];
  let used = 0;
  for (const s of line) {
    if (used >= width) break;
    const room = width - used;
    if (s.text.length <= room) {
      out.push(s);
      used += s.text.length;
    } else {
      out.push({ ...s, text: room > 1 ? `${s.text.slice(0, room - 1)}…` : s.text.slice(0, room) });
      used = width;
    }
  }
  if (pad && used < width) out.push({ text: " ".repeat(width - used) });
  return out;
}

/** The text width inside a dialog on a screen `cols` wide (its border and padding take 4). */
export const dialogTextWidth = (cols: number): number => Math.min(cols - 4, 100) - 4;

/**
 * Breaks a sentence into rows of at most `width` columns at spaces, continuation rows indented
 * like the first; a word longer than a row is cut into pieces.
 */
export function wrapText(text: string, width: number): string[] {
  const indent = /^ */.exec(text)?.[0] ?? "";
  const room = width - indent.length;
  if (text.length <= width || room < 8) return [text];
  const rows: string[] = [];
  let row = "";
  for (const word of text.slice(indent.length).split(/ +/)) {
    let rest = word;
    while (rest.length > 0) {
      const joined = row ? `${row} ${rest}` : rest;
      if (joined.length <= room) {
        row = joined;
        rest = "";
      } else if (row) {
        rows.push(indent + row);
        row = "";
      } else {
        rows.push(indent + rest.slice(0, room));
        rest = rest.slice(room);
      }
    }
  }
  if (row) rows.push(indent + row);
  return rows;
}
