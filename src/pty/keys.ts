/**
 * Keyboard input for sessions: raw bytes from the user's terminal go to the focused session,
 * except the escape key that hands control back to Tower; pastes are wrapped in bracketed-paste
 * markers only when the program asked for them; cursor keys follow the program's cursor-key
 * mode; named keys (the approval keys of the presets) are encoded here.
 */

/** Ctrl-] (0x1d), as in telnet and `docker attach`. */
export const DEFAULT_ESCAPE_KEY = 0x1d;

/** The result of `splitInput`. */
export interface SplitInput {
  /** Bytes before the escape key (all of them when there is none): for the session. */
  forward: string;
  /** True when the escape key was pressed. */
  escape: boolean;
  /** Bytes after the escape key: for Tower, not the session. Empty when there is no escape. */
  rest: string;
}

/**
 * The character a control byte is typed with: 0x01..0x1a are Ctrl-a..Ctrl-z, 0x00 is Ctrl-@ and
 * 0x1b..0x1f are Ctrl-[ \ ] ^ _. CSI-u and modifyOtherKeys report that character's code point.
 */
function keyCodeOf(byte: number): number {
  if (byte >= 0x01 && byte <= 0x1a) return 0x60 + byte; // a..z, lower case as CSI-u sends it
  return 0x40 + byte; // @ [ \ ] ^ _
}

/**
 * Parses an escape-key setting: a control byte (`0x1d`, `29`) or a name such as `ctrl-]`,
 * `C-]`, `^]` or `ctrl-b`.
 */
export function parseEscapeKey(spec: string | number): number {
  if (typeof spec === "number") {
    if (Number.isInteger(spec) && spec >= 0 && spec < 0x20) return spec;
    throw new Error(`escape key must be a control character (0x00..0x1f), got ${spec}`);
  }
  const text = spec.trim();
  const hex = /^0x([0-9a-f]{1,2})$/i.exec(text);
  if (hex?.[1] !== undefined) return parseEscapeKey(Number.parseInt(hex[1], 16));
  if (/^\d+$/.test(text)) return parseEscapeKey(Number(text));
  const named = /^(?:ctrl[-+]|c-|\^)(.)$/i.exec(text);
  const key = named?.[1];
  if (key !== undefined) {
    const upper = key.toUpperCase().charCodeAt(0);
    if (upper >= 0x40 && upper <= 0x5f) return upper - 0x40;
  }
  throw new Error(`unknown escape key "${spec}" (use e.g. "ctrl-]", "ctrl-b" or 0x1d)`);
}

const patternCache = new Map<number, RegExp>();

/**
 * The escape key in its three encodings: the raw control byte, CSI-u (`ESC [ 93 ; 5 u`, also
 * with kitty's event type `5:1` and lock-key bits) and xterm's modifyOtherKeys
 * (`ESC [ 27 ; 5 ; 93 ~`).
 */
function escapePattern(escapeKey: number): RegExp {
  let pattern = patternCache.get(escapeKey);
  if (pattern === undefined) {
    const raw = `\\x${escapeKey.toString(16).padStart(2, "0")}`;
    const code = keyCodeOf(escapeKey);
    // Upper-case letters too: some terminals report Ctrl-Shift-less letters upper-cased.
    const codes =
      escapeKey >= 0x01 && escapeKey <= 0x1a ? `(?:${code}|${code - 0x20})` : String(code);
    const csiU = `\\x1b\\[${codes}(?::[\\d:]*)?;(\\d+)(?::(\\d+))?u`;
    const modifyOtherKeys = `\\x1b\\[27;(\\d+);${codes}~`;
    pattern = new RegExp(`${raw}|${csiU}|${modifyOtherKeys}`, "g");
    patternCache.set(escapeKey, pattern);
  }
  pattern.lastIndex = 0;
  return pattern;
}

/** Ctrl and nothing else, ignoring Caps Lock (64) and Num Lock (128). */
function isCtrlOnly(modifiers: string | undefined): boolean {
  if (modifiers === undefined) return true;
  const bits = Number(modifiers) - 1;
  return (bits & ~(64 | 128)) === 4;
}

/**
 * Splits keyboard bytes into what goes to the session and whether the escape key was pressed.
 * A key release of the escape key (kitty event type 3) is dropped; the same key with other
 * modifiers is forwarded as it is.
 */
export function splitInput(data: string, escapeKey: number = DEFAULT_ESCAPE_KEY): SplitInput {
  const pattern = escapePattern(escapeKey);
  let forward = "";
  let from = 0;
  for (let m = pattern.exec(data); m !== null; m = pattern.exec(data)) {
    const modifiers = m[1] ?? m[3];
    const event = m[2];
    if (!isCtrlOnly(modifiers)) continue;
    forward += data.slice(from, m.index);
    from = m.index + m[0].length;
    if (event === "3") continue; // release: neither the session's nor an escape
    return { forward, escape: true, rest: data.slice(from) };
  }
  return { forward: forward + data.slice(from), escape: false, rest: "" };
}

const CURSOR_KEYS = /\x1b[[O]([ABCDHF])/g;

/**
 * Rewrites unmodified cursor keys (and Home/End) for the program's cursor-key mode: `ESC O A`
 * in application mode (DECCKM set), `ESC [ A` in normal mode, whichever form the user's own
 * terminal sent.
 */
export function translateCursorKeys(data: string, applicationCursor: boolean): string {
  if (!data.includes("\x1b")) return data;
  const lead = applicationCursor ? "\x1bO" : "\x1b[";
  return data.replace(CURSOR_KEYS, (_whole, key: string) => lead + key);
}

export interface KeyboardOptions {
  escapeKey?: number;
  /** The program's cursor-key mode (DECCKM). */
  applicationCursor?: boolean;
}

/** `splitInput`, then cursor keys translated for the program. */
export function keyboardInput(data: string, options: KeyboardOptions = {}): SplitInput {
  const split = splitInput(data, options.escapeKey ?? DEFAULT_ESCAPE_KEY);
  return {
    ...split,
    forward: translateCursorKeys(split.forward, options.applicationCursor ?? false),
  };
}

export const PASTE_START = "\x1b[200~";
export const PASTE_END = "\x1b[201~";

/**
 * A paste as the program should receive it: line ends as Enter (CR), as terminals send them, and
 * wrapped in bracketed-paste markers only when the program turned that mode on (`ESC [?2004h`).
 * Markers inside the text are removed, to the last, so a paste cannot end itself early.
 */
export function encodePaste(text: string, bracketed: boolean): string {
  let body = text.replace(/\r?\n/g, "\r");
  if (!bracketed) return body;
  // Until none is left: a marker split by another becomes one when the inner one goes.
  for (let before = ""; before !== body; ) {
    before = body;
    body = body.replaceAll(PASTE_START, "").replaceAll(PASTE_END, "");
  }
  return PASTE_START + body + PASTE_END;
}

const NAMED: Record<string, string> = {
  enter: "\r",
  return: "\r",
  esc: "\x1b",
  escape: "\x1b",
  tab: "\t",
  "shift-tab": "\x1b[Z",
  backspace: "\x7f",
  space: " ",
  delete: "\x1b[3~",
  pageup: "\x1b[5~",
  pagedown: "\x1b[6~",
  insert: "\x1b[2~",
};

const CURSOR_NAMES: Record<string, string> = {
  up: "A",
  down: "B",
  right: "C",
  left: "D",
  home: "H",
  end: "F",
};

/**
 * A named key as bytes: `enter`, `esc`, `tab`, `shift-tab`, `backspace`, `space`, `delete`,
 * `pageup`, `pagedown`, `insert`, the arrows `up`/`down`/`left`/`right` and `home`/`end` (in the
 * program's cursor-key mode), `ctrl-<letter>` (also `C-x`, `^X`), and any single character
 * (digits, `y`, `n`, ...) as itself. Names are case-insensitive except single characters.
 */
export function encodeKey(name: string, options: { applicationCursor?: boolean } = {}): string {
  if ([...name].length === 1) return name;
  const key = name.toLowerCase();
  const named = NAMED[key];
  if (named !== undefined) return named;
  const cursor = CURSOR_NAMES[key];
  if (cursor !== undefined) return (options.applicationCursor ? "\x1bO" : "\x1b[") + cursor;
  const ctrl = /^(?:ctrl[-+]|c-|\^)(.)$/i.exec(name)?.[1];
  if (ctrl !== undefined) {
    const upper = ctrl.toUpperCase().charCodeAt(0);
    if (upper >= 0x40 && upper <= 0x5f) return String.fromCharCode(upper - 0x40);
    if (ctrl === "?") return "\x7f";
  }
  throw new Error(`unknown key "${name}"`);
}

/** Several named keys, in order, as one string of bytes. */
export function encodeKeys(
  names: readonly string[],
  options: { applicationCursor?: boolean } = {},
): string {
  return names.map((name) => encodeKey(name, options)).join("");
}

/** How long a stopped program has between SIGTERM and SIGKILL (here, not in session.ts, so the attached control room reads it without loading the emulator). */
export const DEFAULT_STOP_GRACE_MS = 5_000;
