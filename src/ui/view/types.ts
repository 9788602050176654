/**
 * What the screen shows, as data: lines of segments with a tone each. Components map tones to
 * colours (or to nothing under NO_COLOR); everything else about the screen is decided by the pure
 * functions of this folder, which tests call without Ink.
 */
export type Tone = "plain" | "muted" | "accent" | "ok" | "warn" | "error" | "title" | "selected";

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
