/**
 * Raw terminal input to key names, for normal mode (insert mode forwards the bytes as they are).
 * Names match the key table: `h`, `H`, `?`, `left`, `tab`, `shift+tab`, `enter`, `escape`,
 * `pageup`, `ctrl+]`, `ctrl+c`.
 */

const SEQUENCES: [string, string][] = [
  ["\x1b[A", "up"],
  ["\x1b[B", "down"],
  ["\x1b[C", "right"],
  ["\x1b[D", "left"],
  ["\x1bOA", "up"],
  ["\x1bOB", "down"],
  ["\x1bOC", "right"],
  ["\x1bOD", "left"],
  ["\x1b[Z", "shift+tab"],
  ["\x1b[5~", "pageup"],
  ["\x1b[6~", "pagedown"],
  ["\x1b[H", "home"],
  ["\x1b[F", "end"],
  ["\x1b[3~", "delete"],
  ["\x1b[93;5u", "ctrl+]"],
  ["\x1b[27;5;93~", "ctrl+]"],
];

const CONTROL: Record<string, string> = {
  "\r": "enter",
  "\n": "enter",
  "\t": "tab",
  " ": "space",
  "\x7f": "backspace",
  "\b": "backspace",
  "\x1d": "ctrl+]",
  "\x03": "ctrl+c",
  "\x04": "ctrl+d",
};

/** Splits a chunk of input into key names; unknown escape sequences are skipped whole. */
export function parseKeys(data: string): string[] {
  return parseKeyRanges(data).map((k) => k.key);
}

/**
 * A mouse event in SGR encoding (`\x1b[<button;column;rowM`, `m` for a release), which the
 * terminal sends once the control room asked for it (`ui.mouse`). As a key name:
 * `mouse:<button>:<column>:<row>:<M|m>`, columns and rows from 1.
 */
const MOUSE = /^\x1b\[<(\d+);(\d+);(\d+)([Mm])/;
export const MOUSE_ANYWHERE = /\x1b\[<\d+;\d+;\d+[Mm]/g;

export interface MouseEvent {
  button: number;
  /** 0-based. */
  x: number;
  y: number;
  release: boolean;
}

/** The event of a `mouse:` key name, or undefined for any other key. */
export function mouseEvent(key: string): MouseEvent | undefined {
  const m = /^mouse:(\d+):(\d+):(\d+):([Mm])$/.exec(key);
  if (!m) return undefined;
  return { button: Number(m[1]), x: Number(m[2]) - 1, y: Number(m[3]) - 1, release: m[4] === "m" };
}

/** The keys of a chunk, each with where it ends in the chunk (what follows it is `data.slice(end)`). */
export function parseKeyRanges(data: string): { key: string; end: number }[] {
  const keys: { key: string; end: number }[] = [];
  const push = (key: string, end: number) => keys.push({ key, end });
  let i = 0;
  while (i < data.length) {
    const rest = data.slice(i);
    const known = SEQUENCES.find(([seq]) => rest.startsWith(seq));
    if (known) {
      i += known[0].length;
      push(known[1], i);
      continue;
    }
    const mouse = MOUSE.exec(rest);
    if (mouse) {
      i += mouse[0].length;
      push(`mouse:${mouse[1]}:${mouse[2]}:${mouse[3]}:${mouse[4]}`, i);
      continue;
    }
    const ch = data[i]!;
    if (ch === "\x1b") {
      // A lone Esc, or an escape sequence we do not bind: skip to its final byte.
      const csi = /^\x1b[[O][\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]/.exec(rest);
      if (csi) i += csi[0].length;
      else {
        i++;
        push("escape", i);
      }
      continue;
    }
    if (CONTROL[ch]) push(CONTROL[ch], i + 1);
    else if (ch < " ") push(`ctrl+${String.fromCharCode(ch.charCodeAt(0) + 96)}`, i + 1);
    else {
      const point = data.codePointAt(i)!;
      i += point > 0xffff ? 2 : 1;
      push(String.fromCodePoint(point), i);
      continue;
    }
    i++;
  }
  return keys;
}

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

/** A piece of input: typed bytes, or the text of one bracketed paste. */
export type InputPiece = { kind: "keys"; data: string } | { kind: "paste"; text: string };

/**
 * Cuts terminal input into typed bytes and bracketed pastes (the terminal marks a paste with
 * `ESC [200~` … `ESC [201~` once Tower turned bracketed paste on). A paste may come in several
 * chunks: its text is held until its end marker arrives, and so is a chunk ending in what may be
 * the start of a marker.
 */
export class PasteReader {
  private paste: string | undefined;
  private held = "";

  read(data: string): InputPiece[] {
    let rest = this.held + data;
    this.held = "";
    const pieces: InputPiece[] = [];
    while (rest !== "") {
      if (this.paste !== undefined) {
        const end = rest.indexOf(PASTE_END);
        if (end < 0) {
          const keep = partialMarker(rest, PASTE_END);
          this.paste += rest.slice(0, rest.length - keep);
          this.held = rest.slice(rest.length - keep);
          return pieces;
        }
        pieces.push({ kind: "paste", text: this.paste + rest.slice(0, end) });
        this.paste = undefined;
        rest = rest.slice(end + PASTE_END.length);
        continue;
      }
      const start = rest.indexOf(PASTE_START);
      if (start < 0) {
        const keep = partialMarker(rest, PASTE_START);
        if (rest.length > keep)
          pieces.push({ kind: "keys", data: rest.slice(0, rest.length - keep) });
        this.held = rest.slice(rest.length - keep);
        return pieces;
      }
      if (start > 0) pieces.push({ kind: "keys", data: rest.slice(0, start) });
      this.paste = "";
      rest = rest.slice(start + PASTE_START.length);
    }
    return pieces;
  }
}

/** How many characters at the end of `text` could begin `marker` (held for the next chunk). */
function partialMarker(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 1; n--) {
    if (text.endsWith(marker.slice(0, n))) return n;
  }
  return 0;
}
