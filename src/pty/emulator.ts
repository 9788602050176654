/**
 * The terminal emulator behind each session: an `@xterm/headless` terminal with Unicode 11
 * widths (the addon the UI's widths are matched against), a bounded scrollback, and nothing
 * that renders.
 *
 * `@xterm/headless` 6 ships one webpack bundle with no ES exports, so it is imported as a
 * CommonJS default and its class taken from there; its typings describe that class.
 */
import { Unicode11Addon } from "@xterm/addon-unicode11";
import xtermHeadless, { type Terminal } from "@xterm/headless";

export type { Terminal } from "@xterm/headless";

/** Lines kept above the screen unless a session is told otherwise. */
export const DEFAULT_SCROLLBACK = 5_000;

export interface EmulatorOptions {
  cols: number;
  rows: number;
  /** Lines of scrollback kept above the screen (default 5,000). */
  scrollback?: number;
}

export function createEmulator(options: EmulatorOptions): Terminal {
  const terminal = new xtermHeadless.Terminal({
    cols: options.cols,
    rows: options.rows,
    scrollback: options.scrollback ?? DEFAULT_SCROLLBACK,
    // `unicode` (the addon's API) and the parser hooks are "proposed" API in xterm.
    allowProposedApi: true,
    // Keep the emulator quiet: a program's stray sequences are not Tower's errors.
    logLevel: "off",
  });
  terminal.loadAddon(new Unicode11Addon());
  terminal.unicode.activeVersion = "11";
  return terminal;
}

/** Resolves once everything written to `terminal` so far has been parsed. */
export function parsed(terminal: Terminal): Promise<void> {
  return new Promise((resolve) => terminal.write("", resolve));
}

let widthTerminal: Terminal | undefined;

interface UnicodeService {
  getStringCellWidth(text: string): number;
}

/**
 * Columns `text` takes in the emulator (Unicode 11 widths: East Asian wide characters and most
 * emoji two, combining marks none), for a UI that lays out text next to the rows. Emoji with a
 * variation selector (e.g. "⚠️") count one, as the emulator places them.
 */
export function displayWidth(text: string): number {
  widthTerminal ??= createEmulator({ cols: 2, rows: 1, scrollback: 0 });
  const core = (widthTerminal as unknown as { _core?: { unicodeService?: UnicodeService } })._core;
  const service = core?.unicodeService;
  if (typeof service?.getStringCellWidth === "function") return service.getStringCellWidth(text);
  return [...text].length;
}
