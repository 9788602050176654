/**
 * Copy mode of one pane, as tmux's: the view leaves the live screen and a cursor moves through
 * the pane's whole history (scrollback and screen); `/` and `?` search it (the matches in view
 * highlighted, `n`/`N` to the next and previous), `v` selects a block and `V` whole lines, and
 * yanking returns the selected text (the client puts it on the clipboard through OSC 52 and in
 * its paste buffer).
 *
 * It lives in the room, per pane, like the pane's scroll position: every client watching the
 * pane sees the same view, as tmux's clients do. Lines are counted from the top of the history
 * (0) to the bottom of the screen (`length - 1`); the view is the `rows` lines from `top`. Once
 * the history is full each new line drops its oldest: the lines numbered here move up with the
 * text they hold (`History.dropped`), so the view, cursor and selection stay on the same text.
 * Columns are the screen's: a wide character (CJK, most emoji) takes two, as it does on screen.
 */

/** The pane's buffer, as copy mode reads it (xterm's active buffer, see sessions.ts). */
export interface History {
  /** Lines in all: the history above the screen, then the screen's rows. */
  readonly length: number;
  /** The first line of the live screen (the history's length). */
  readonly baseY: number;
  readonly rows: number;
  readonly cols: number;
  /** Lines gone from the top since the history began: a line moves up by each one. */
  readonly dropped: number;
  /** The line's text, trailing blanks removed (a wide character once: not one per column). */
  text(line: number): string;
  /**
   * The line's columns, one entry each: its character (" " when empty), "" for the right half of
   * a wide character; trailing blanks removed.
   */
  cells(line: number): string[];
}

export type CopyAction =
  | { do: "enter" }
  | { do: "exit" }
  /** Moves the cursor by lines (down: positive) and columns (right: positive). */
  | { do: "move"; lines?: number; cols?: number }
  /** Moves the view by lines (down: positive; the mouse wheel), the cursor kept inside it. */
  | { do: "scroll"; lines: number }
  /** Moves the cursor by pages of the view (down: positive; 0.5 for half a page). */
  | { do: "page"; pages: number }
  | { do: "top" }
  | { do: "bottom" }
  | { do: "lineStart" }
  | { do: "lineEnd" }
  /**
   * Searches from where the search began (`incremental`: each key typed searches again from
   * there) or from the cursor, up (`backward`) or down, wrapping round.
   */
  | { do: "search"; query: string; backward: boolean; incremental?: boolean }
  /** Back to where the search began (the search cancelled). */
  | { do: "searchCancel" }
  /** The next match in the search's direction (`reverse`: the other way). */
  | { do: "next"; reverse?: boolean }
  /** Starts a selection at the cursor (again: ends it). */
  | { do: "select"; kind: "block" | "line" }
  /** The selection's text (the cursor's line when nothing is selected); copy mode ends. */
  | { do: "yank" };

/** What a pane's frame says of its copy mode, for its title and the client's keys. */
export interface CopyStatus {
  /** The cursor's line, counted from 1 at the top of the history, and the lines in all. */
  line: number;
  lines: number;
  selecting?: "block" | "line";
  search?: string;
  /** The search found nothing (said in the title). */
  notFound?: boolean;
}

export type Mark = "select" | "match" | "current";

interface Point {
  line: number;
  col: number;
}

export class CopyMode {
  cursor: Point;
  /** The view's first line. */
  top: number;
  private anchor: (Point & { kind: "block" | "line" }) | undefined;
  private search: { query: string; backward: boolean; from: Point; top: number } | undefined;
  private notFound = false;
  /** The current match (highlighted apart). */
  private match: Point | undefined;

  constructor(private history: History) {
    // Starts on the live screen, the cursor on its last line with text.
    this.top = history.baseY;
    let line = history.length - 1;
    while (line > history.baseY && history.text(line) === "") line--;
    this.cursor = { line, col: 0 };
  }

  /**
   * Follows the buffer (new output, a resize): lines dropped from the history's top since the
   * last update move everything up by as many (a selection that began on a line now gone ends),
   * and the cursor and the view are kept inside the history.
   */
  update(history: History): void {
    const gone = history.dropped - this.history.dropped;
    this.history = history;
    if (gone > 0) this.shift(gone);
    this.cursor.line = this.clampLine(this.cursor.line);
    this.top = Math.max(0, Math.min(this.top, history.length - history.rows));
  }

  /** Lines scrolled back from the live screen: the frame's offset. */
  get offset(): number {
    return Math.max(0, this.history.baseY - this.top);
  }

  status(): CopyStatus {
    return {
      line: this.cursor.line + 1,
      lines: this.history.length,
      ...(this.anchor && { selecting: this.anchor.kind }),
      ...(this.search && { search: this.search.query }),
      ...(this.notFound && { notFound: true }),
    };
  }

  /** Applies `action`; a yank returns the text (and the caller ends copy mode). */
  apply(action: CopyAction): string | undefined {
    const h = this.history;
    switch (action.do) {
      case "enter":
      case "exit":
        return undefined;
      case "move":
        this.moveTo(
          this.cursor.line + (action.lines ?? 0),
          this.cursor.col + (action.cols ?? 0),
          Math.sign(action.cols ?? 0),
        );
        break;
      case "page": {
        const lines = Math.trunc(action.pages * h.rows) || Math.sign(action.pages);
        // The view moves with the cursor, as less's pages do.
        this.top = Math.max(0, Math.min(h.length - h.rows, this.top + lines));
        this.moveTo(this.cursor.line + lines, this.cursor.col);
        break;
      }
      case "scroll": {
        this.top = Math.max(0, Math.min(h.length - h.rows, this.top + Math.trunc(action.lines)));
        const inView = Math.max(this.top, Math.min(this.top + h.rows - 1, this.cursor.line));
        this.moveTo(inView, this.cursor.col);
        break;
      }
      case "top":
        this.moveTo(0, 0);
        break;
      case "bottom":
        this.moveTo(h.length - 1, 0);
        break;
      case "lineStart":
        this.moveTo(this.cursor.line, 0);
        break;
      case "lineEnd":
        // The last column with text (a wide character's first).
        this.moveTo(this.cursor.line, Math.max(0, h.cells(this.cursor.line).length - 1));
        break;
      case "search": {
        const from =
          action.incremental && this.search
            ? this.search.from
            : { line: this.cursor.line, col: this.cursor.col };
        const top = action.incremental && this.search ? this.search.top : this.top;
        this.search = { query: action.query, backward: action.backward, from, top };
        if (action.query === "") {
          this.notFound = false;
          this.match = undefined;
          this.top = top;
          this.moveTo(from.line, from.col);
          break;
        }
        // A new search starts at the cursor itself; an incremental one, too (typing more of
        // the word keeps the match where it is).
        this.find(from, action.backward, true);
        break;
      }
      case "searchCancel":
        if (this.search) {
          this.top = this.search.top;
          this.moveTo(this.search.from.line, this.search.from.col);
        }
        this.search = undefined;
        this.match = undefined;
        this.notFound = false;
        break;
      case "next":
        if (this.search && this.search.query !== "") {
          const backward = this.search.backward !== (action.reverse === true);
          this.find(this.cursor, backward, false);
        }
        break;
      case "select":
        this.anchor =
          this.anchor?.kind === action.kind ? undefined : { ...this.cursor, kind: action.kind };
        break;
      case "yank":
        return this.selectedText();
    }
    return undefined;
  }

  /** How to mark the columns of `line` (absolute), or undefined for a line without marks. */
  marks(line: number): ((x: number) => Mark | undefined) | undefined {
    const selection = this.selectionOn(line);
    const matches = this.matchesOn(line);
    const cursorHere = line === this.cursor.line;
    if (!selection && matches.length === 0 && !cursorHere) return undefined;
    const current = this.match?.line === line ? this.match.col : -1;
    return (x) => {
      if (cursorHere && x === this.cursor.col) return "select";
      if (selection && x >= selection[0] && x <= selection[1]) return "select";
      for (const at of matches) {
        if (x >= at.from && x < at.to) return at.from === current ? "current" : "match";
      }
      return undefined;
    };
  }

  private selectionOn(line: number): [number, number] | undefined {
    const a = this.anchor;
    if (!a) return undefined;
    const [first, last] =
      a.line <= this.cursor.line ? [a.line, this.cursor.line] : [this.cursor.line, a.line];
    if (line < first || line > last) return undefined;
    if (a.kind === "line") return [0, this.history.cols - 1];
    return [Math.min(a.col, this.cursor.col), Math.max(a.col, this.cursor.col)];
  }

  /** The search's matches on `line`, as columns (`to` excluded). */
  private matchesOn(line: number): { from: number; to: number }[] {
    const query = this.search?.query.toLowerCase();
    if (!query) return [];
    if (!this.history.text(line).toLowerCase().includes(query)) return [];
    const { text, cols } = searchable(this.history.cells(line));
    const found: { from: number; to: number }[] = [];
    for (let at = text.indexOf(query); at >= 0; at = text.indexOf(query, at + 1)) {
      found.push(columnsOf(cols, at, query.length));
    }
    return found;
  }

  private selectedText(): string {
    const a = this.anchor ?? { ...this.cursor, kind: "line" as const };
    const [first, last] =
      a.line <= this.cursor.line ? [a.line, this.cursor.line] : [this.cursor.line, a.line];
    const lines: string[] = [];
    for (let line = first; line <= last; line++) {
      const cells = this.history.cells(line);
      if (a.kind === "line") lines.push(cells.join(""));
      else {
        // By columns: a wide character is in when its first column is.
        const from = Math.min(a.col, this.cursor.col);
        const to = Math.max(a.col, this.cursor.col);
        lines.push(
          cells
            .slice(from, to + 1)
            .join("")
            .replace(/ +$/, ""),
        );
      }
    }
    return lines.join("\n");
  }

  /**
   * The next match of the search from `from` (`here`: a match at `from` itself counts), up or
   * down, wrapping round the history once. Moves the cursor to it, or says not found.
   */
  private find(from: Point, backward: boolean, here: boolean): void {
    const query = (this.search?.query ?? "").toLowerCase();
    const h = this.history;
    const n = h.length;
    for (let step = 0; step <= n; step++) {
      const line = (((backward ? from.line - step : from.line + step) % n) + n) % n;
      if (!h.text(line).toLowerCase().includes(query)) continue;
      // Searched as a string, whose positions are turned into the screen's columns and back.
      const { text, cols } = searchable(h.cells(line));
      let at = -1;
      if (backward) {
        const limit = step === 0 ? positionOf(cols, from.col) - (here ? 0 : 1) : text.length;
        if (limit >= 0) at = text.lastIndexOf(query, limit);
      } else {
        const start = step === 0 ? positionOf(cols, from.col + (here ? 0 : 1)) : 0;
        at = text.indexOf(query, start);
      }
      const col = at >= 0 ? (cols[at] ?? 0) : -1;
      if (col >= 0 && !(step === n && line === from.line)) {
        this.notFound = false;
        this.match = { line, col };
        this.moveTo(line, col);
        return;
      }
    }
    this.notFound = true;
    this.match = undefined;
  }

  private clampLine(line: number): number {
    return Math.max(0, Math.min(this.history.length - 1, line));
  }

  /** Lines dropped from the history's top: every line number here moves up by `gone`. */
  private shift(gone: number): void {
    this.cursor.line -= gone;
    if (this.cursor.line < 0) this.cursor = { line: 0, col: 0 };
    this.top = Math.max(0, this.top - gone);
    if (this.anchor) {
      // A selection whose start scrolled off the history is gone with it.
      this.anchor =
        this.anchor.line >= gone ? { ...this.anchor, line: this.anchor.line - gone } : undefined;
    }
    if (this.search) {
      const { from } = this.search;
      this.search.from =
        from.line >= gone ? { line: from.line - gone, col: from.col } : { line: 0, col: 0 };
      this.search.top = Math.max(0, this.search.top - gone);
    }
    if (this.match) {
      this.match =
        this.match.line >= gone ? { line: this.match.line - gone, col: this.match.col } : undefined;
    }
  }

  /**
   * Puts the cursor at (line, col), clamped, and scrolls the view to keep it in sight. On the
   * right half of a wide character it goes to the character, or past it when moving right
   * (`direction` 1).
   */
  private moveTo(line: number, col: number, direction = 0): void {
    const h = this.history;
    const to = this.clampLine(line);
    let x = Math.max(0, Math.min(h.cols - 1, col));
    const cells = h.cells(to);
    if (x > 0 && cells[x] === "") x = direction > 0 && x + 1 < h.cols ? x + 1 : x - 1;
    this.cursor = { line: to, col: x };
    if (this.cursor.line < this.top) this.top = this.cursor.line;
    if (this.cursor.line >= this.top + h.rows) this.top = this.cursor.line - h.rows + 1;
    this.top = Math.max(0, Math.min(this.top, h.length - h.rows));
  }
}

/**
 * A line's text, lowercased, for searching, and the column each of its string positions is in
 * (`cols[text.length]`: the column after the line's last).
 */
function searchable(cells: readonly string[]): { text: string; cols: number[] } {
  let text = "";
  const cols: number[] = [];
  cells.forEach((cell, x) => {
    const lower = cell.toLowerCase();
    for (let i = 0; i < lower.length; i++) cols.push(x);
    text += lower;
  });
  cols.push(cells.length);
  return { text, cols };
}

/** The string position of the first character at column `col` or after it. */
function positionOf(cols: readonly number[], col: number): number {
  const at = cols.findIndex((x) => x >= col);
  return at < 0 ? cols.length - 1 : at;
}

/** The columns of `length` characters from string position `at` (`to` excluded). */
function columnsOf(
  cols: readonly number[],
  at: number,
  length: number,
): { from: number; to: number } {
  const from = cols[at] ?? 0;
  const last = cols[at + length - 1] ?? from;
  // The next character's column: past both halves of a wide last character.
  return { from, to: Math.max(last + 1, cols[at + length] ?? last + 1) };
}
