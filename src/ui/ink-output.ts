/**
 * The terminal as Ink sees it: every write of Ink's goes through here, and what reaches the
 * terminal is only what changed on it.
 *
 * Ink redraws an app as tall as the terminal (the control room always is) by clearing the whole
 * terminal and writing every line again, at every change: a lock taken, a status, a message on
 * the footer. The panes, which `DirectPanes` writes around Ink, were blanked by that and written
 * again whole too: a screenful of bytes per change, to the terminal and over SSH, and the
 * client's largest stall under a flood. Such a frame (Ink's `clearTerminal` and then its lines)
 * is turned here into the lines that differ from what Ink last drew, each written in place; the
 * pane rows on those lines are then written again, nothing else. The terminal gets the same
 * screen (the tests compare it with one drawn afresh, cell by cell).
 *
 * The whole screen is still drawn when the last one is not known to be on it: the first frame,
 * after a resize, after any write of Ink's of another kind, and when the panes move (a layout, a
 * dialog, help, zoom), so that no pane content is left behind on a line Ink did not change.
 *
 * ED 3 (erase the scrollback), which Ink's `clearTerminal` carries, never reaches the terminal
 * (`withoutScrollbackErase`).
 */
import type { DirectPanes } from "./direct-panes.js";
import { withoutScrollbackErase } from "./terminal-modes.js";

/** ansi-escapes' `clearTerminal` (ED 2, ED 3, home), which starts each of Ink's full-height frames. */
const CLEAR_TERMINAL = "\x1b[2J\x1b[3J\x1b[H";
/** Ink's writes that change no cell: synchronized-update brackets and the cursor's visibility. */
const NO_CELLS = new Set(["\x1b[?2026h", "\x1b[?2026l", "\x1b[?25l", "\x1b[?25h"]);
const RESET_AND_ERASE_LINE = "\x1b[0m\x1b[2K";

export interface InkOutput {
  /** The stream to give Ink as its stdout. */
  stream: NodeJS.WriteStream;
  close(): void;
}

/**
 * The lines of Ink's last full-height frame, as the terminal shows them (outside the panes):
 * undefined while the screen may show something else.
 */
export class InkLines {
  private lines: string[] | undefined;

  invalidate(): void {
    this.lines = undefined;
  }

  /**
   * What to write for a frame of Ink's `lines` on a terminal `rows` tall, and which rows (from
   * 0) that rewrites. Whole when asked, or when the last frame is unknown or of another height.
   */
  frame(lines: string[], rows: number, whole: boolean): { out: string; rows: number[] | "all" } {
    const last = this.lines;
    this.lines = lines;
    if (whole || !last || last.length !== lines.length || lines.length > rows) {
      return { out: `\x1b[2J\x1b[H${lines.join("\n")}`, rows: "all" };
    }
    let out = "";
    const changed: number[] = [];
    for (let y = 0; y < lines.length; y++) {
      if (lines[y] === last[y]) continue;
      changed.push(y);
      out += `\x1b[${y + 1};1H${RESET_AND_ERASE_LINE}${lines[y]}`;
    }
    // The cursor where Ink's own frame leaves it, on the last line (Ink's later erasing of its
    // lines, should it ever draw a shorter app, counts lines up from there).
    if (out !== "") out += `\x1b[${lines.length};1H`;
    return { out, rows: changed };
  }
}

export function inkOutput(stdout: NodeJS.WriteStream, panes: DirectPanes): InkOutput {
  const lines = new InkLines();
  const invalidate = () => lines.invalidate();
  // Registered before Ink registers its own: a resize is known here before Ink draws for it.
  stdout.on("resize", invalidate);
  let repaint = false;
  const repaintAll = () => {
    if (repaint) return;
    repaint = true;
    // After the writes of one frame of Ink's: a microtask later.
    queueMicrotask(() => {
      repaint = false;
      panes.afterInk();
    });
  };
  /** Whether Ink has written any cell yet. */
  let drawn = false;
  const write = (...args: Parameters<NodeJS.WriteStream["write"]>): boolean => {
    const [chunk] = args;
    if (typeof chunk === "string" && chunk.startsWith(CLEAR_TERMINAL)) {
      drawn = true;
      const frame = lines.frame(
        chunk.slice(CLEAR_TERMINAL.length).split("\n"),
        stdout.rows || 24,
        panes.moved(),
      );
      // Written at once, then the pane rows on the lines rewritten: inside the same
      // synchronized update as Ink's frame.
      const result = frame.out === "" ? true : stdout.write(frame.out);
      panes.afterInk(frame.rows);
      return result;
    }
    if (typeof chunk !== "string" || !NO_CELLS.has(chunk)) {
      lines.invalidate();
      repaintAll();
      // Ink's first frame writes its lines from the top-left corner and erases nothing: on a
      // screen painted already (tower attach's first frame, paint.ts) whatever it does not
      // cover would stay. It replaces the whole screen, inside Ink's synchronized update.
      const first = !drawn && typeof chunk === "string";
      drawn = true;
      if (first) args[0] = `\x1b[2J\x1b[H${chunk}`;
    }
    args[0] = withoutScrollbackErase(args[0]);
    return stdout.write(...args);
  };
  const stream = new Proxy(stdout, {
    get(target, property) {
      if (property === "write") return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { stream, close: () => stdout.off("resize", invalidate) };
}
