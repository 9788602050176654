/** The terminal modes the control room works in (run.ts), here for `tower attach`'s first frame too (paint.ts). */

/** The alternate screen, no cursor, and bracketed paste: a paste must never be read as keys. */
export const ENTER_MODES = "\x1b[?1049h\x1b[?25l\x1b[?2004h";
/** ENTER_MODES on a cleared screen, the cursor at the top-left corner. */
export const ENTER = `${ENTER_MODES}\x1b[2J\x1b[H`;
export const LEAVE = "\x1b[?2004l\x1b[?25h\x1b[?1049l";
