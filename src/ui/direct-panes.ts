/**
 * The direct pane renderer: agents' screens written straight to the terminal, around Ink.
 *
 * Ink draws everything else (header, sidebar, each pane's title bar, bottom tab, footer, dialogs)
 * and leaves each pane's content blank. This writer puts the emulator's rows into those blanks
 * with absolute cursor moves, inside a saved and restored cursor (DECSC/DECRC) so that Ink's own
 * bookkeeping of where its cursor is stays true:
 *
 * - when a pane's frame changes in the store (the session manager's frame clock, or at once after
 *   a keystroke), only the rows that differ from what this writer last wrote are written;
 * - after Ink has written, the rows on the lines it wrote (see ink-output.ts), or every row
 *   when Ink drew the whole screen or the panes moved.
 *
 * Why: Ink turns every line of every frame into styled cells and back (tokenising each escape
 * sequence), the whole screen at every frame. With eight agents flooding their panes that was
 * most of the CPU time, most of the garbage (and a resident set that kept climbing), and what
 * held a keystroke's echo behind a frame. Rows written here cost a string comparison each.
 *
 * Nothing is written while the help screen or a dialog covers the grid.
 */
import { type Rect, visiblePanes } from "../room/layout.js";
import { clientLayout } from "./layout.js";
import type { AppState, AppStore } from "./store/index.js";
import { adaptRow } from "./view/color.js";
import { paneScreen } from "./view/pane.js";

const SAVE = "\x1b7";
const RESTORE = "\x1b8";
const RESET = "\x1b[0m";
const SYNC_START = "\x1b[?2026h";
const SYNC_END = "\x1b[?2026l";

export interface TerminalOut {
  write(data: string): unknown;
}

interface Placed {
  id: string;
  /** Absolute, content only (the title bar is Ink's). */
  rect: Rect;
}

/** Where the panes' contents are on screen now; none while help, a dialog or the review covers them. */
export function placedPanes(state: AppState): Placed[] {
  if (state.helpOpen || state.modal || state.review || state.agentOrder.length === 0) return [];
  const layout = clientLayout(state);
  const grid = { ...layout.grid, x: 0, y: 0 };
  return visiblePanes(state.agentOrder, state.selected, grid, state.zoomed).map(({ id, rect }) => ({
    id,
    rect: {
      x: layout.grid.x + rect.x,
      y: layout.grid.y + rect.y + 1,
      width: rect.width,
      height: Math.max(0, rect.height - 1),
    },
  }));
}

const layoutKey = (placed: readonly Placed[]): string =>
  placed.map((p) => `${p.id}:${p.rect.x},${p.rect.y},${p.rect.width},${p.rect.height}`).join(" ");

export class DirectPanes {
  /** The emulator's row last written on each screen row of each pane, by pane id. */
  private written = new Map<string, (string | undefined)[]>();
  private placedKey = "";
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly out: TerminalOut,
    private readonly store: AppStore,
  ) {
    this.unsubscribe = store.subscribe((state, previous) => {
      // An agent's view too: one Tower did not start shows why in its pane (paneScreen).
      if ((state.frames === previous.frames && state.agents === previous.agents) || this.closed)
        return;
      const placed = placedPanes(state);
      // A layout change is painted after Ink has drawn the new chrome (see `afterInk`).
      if (layoutKey(placed) !== this.placedKey) return;
      this.paint(state, placed);
    });
  }

  /**
   * Ink wrote to the terminal: the lines it drew blanked the panes' rows on them; write those
   * again (`rows`, from the top of the screen), or every row. When the panes have moved since
   * they were last written, every row is written.
   */
  afterInk(rows: readonly number[] | "all" = "all"): void {
    if (this.closed) return;
    const state = this.store.getState();
    const placed = placedPanes(state);
    const key = layoutKey(placed);
    if (rows === "all" || key !== this.placedKey) this.written.clear();
    else {
      for (const { id, rect } of placed) {
        const written = this.written.get(id);
        if (!written) continue;
        for (const row of rows) {
          if (row >= rect.y && row < rect.y + rect.height) written[row - rect.y] = undefined;
        }
      }
    }
    this.placedKey = key;
    this.paint(state, placed);
  }

  /** Whether the panes are placed elsewhere now than where they were last written. */
  moved(): boolean {
    return layoutKey(placedPanes(this.store.getState())) !== this.placedKey;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  /** Writes the rows of `placed` that differ from what was last written there. */
  private paint(state: AppState, placed: readonly Placed[]): void {
    let out = "";
    for (const { id, rect } of placed) {
      const frame = paneScreen(state.agents[id], state.frames[id], rect.width);
      let rows = this.written.get(id);
      if (!rows) {
        rows = [];
        this.written.set(id, rows);
      }
      const cols = frame?.cols ?? 0;
      for (let y = 0; y < rect.height; y++) {
        // The session's row cache hands back the same string for a row that did not change.
        const raw = frame?.rows[y] ?? "";
        if (rows[y] === raw) continue;
        rows[y] = raw;
        // Below the frame's rows (a pane sized for a smaller client), the whole width is blank:
        // an empty row covers none of the frame's columns.
        const row =
          frame === undefined || y >= frame.rows.length
            ? " ".repeat(rect.width)
            : fitRow(adaptRow(raw, state.colorMode), cols, rect.width);
        out += `\x1b[${rect.y + y + 1};${rect.x + 1}H${row}${RESET}`;
      }
    }
    if (out !== "") this.out.write(`${SYNC_START}${SAVE}${out}${RESTORE}${SYNC_END}`);
  }
}

/**
 * A row exactly `width` cells wide: the emulator's rows are as wide as its terminal (`cols`),
 * which is the pane's width except for a moment after a resize.
 */
export function fitRow(row: string, cols: number, width: number): string {
  if (cols === width) return row;
  if (cols < width) return `${row}${RESET}${" ".repeat(width - Math.max(0, cols))}`;
  return clipRow(row, width);
}

const CSI = /^\x1b\[[0-?]*[ -/]*[@-~]/;
const OTHER_ESC = /^\x1b[^[]/;

/** Cuts a styled row after `width` cells (wide characters count two; one that would straddle the edge becomes a space). */
function clipRow(row: string, width: number): string {
  let out = "";
  let used = 0;
  let i = 0;
  while (i < row.length && used < width) {
    if (row[i] === "\x1b") {
      const rest = row.slice(i, i + 64);
      const seq = CSI.exec(rest)?.[0] ?? OTHER_ESC.exec(rest)?.[0] ?? "\x1b";
      out += seq;
      i += seq.length;
      continue;
    }
    const code = row.codePointAt(i) ?? 32;
    const char = String.fromCodePoint(code);
    const cells = isWide(code) ? 2 : 1;
    if (used + cells > width) {
      out += " ";
      used += 1;
    } else {
      out += char;
      used += cells;
    }
    i += char.length;
  }
  return used < width ? `${out}${" ".repeat(width - used)}` : out;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
