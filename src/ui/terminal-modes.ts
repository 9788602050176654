/** The terminal modes the control room works in (run.ts), here for `tower attach`'s first frame too (paint.ts). */

/** The control room was started where there is no terminal (a script, a pipe): said in one line. */
export class NoTerminalError extends Error {
  override name = "NoTerminalError";
  constructor() {
    super(
      "the control room needs a terminal: run `tower` in one (for scripts, use `tower status --json`)",
    );
  }
}

/** The alternate screen, no cursor, and bracketed paste: a paste must never be read as keys. */
export const ENTER_MODES = "\x1b[?1049h\x1b[?25l\x1b[?2004h";
/** ENTER_MODES on a cleared screen, the cursor at the top-left corner. */
export const ENTER = `${ENTER_MODES}\x1b[2J\x1b[H`;
/**
 * Back to the main screen, the alternate one blanked first: tmux (3.3a) puts the main screen back
 * at the size it had when saved and then grows it to the window's, pulling rows down from the
 * history it pushed them into; after the window grew while Tower was open, those were the
 * control room's rows, left above the shell's prompt. Blank rows are dropped instead.
 */
export const LEAVE = "\x1b[0m\x1b[2J\x1b[H\x1b[?2004l\x1b[?25h\x1b[?1049l";

/** ED 3: erase the terminal's scrollback (xterm; tmux erases the pane's history). */
const ERASE_SCROLLBACK = "\x1b[3J";

/**
 * What Ink writes, without ED 3. Ink redraws an app as tall as the terminal by clearing the
 * terminal first (ansi-escapes' `clearTerminal`: ED 2, ED 3, home), at every change; ED 3 then
 * erased the user's own history in the terminal around Tower (inside tmux, every line of the
 * pane's history from before Tower started). On the alternate screen, ED 2 and home are all the
 * redraw needs.
 */
export function withoutScrollbackErase<T>(chunk: T): T {
  return typeof chunk === "string" && chunk.includes(ERASE_SCROLLBACK)
    ? (chunk.replaceAll(ERASE_SCROLLBACK, "") as T)
    : chunk;
}
