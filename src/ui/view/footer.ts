/**
 * The footer: the mode and the keys that apply now, from the key table; a key that does not apply
 * says why instead (a flash message replaces the hints for a moment).
 */
import { type CommandId, displayKey, type KeyCommand, type KeyContext } from "../keys/table.js";
import { fitLine, type Line, lineText, seg } from "./types.js";

/** The commands worth a hint in the footer, in order of use, with their short names. */
const HINTS: readonly (readonly [CommandId, string])[] = [
  ["mode.insert", "type"],
  ["mode.normal", "normal mode"],
  ["prompt.approve", "approve"],
  ["prompt.deny", "deny"],
  ["agent.nextWaiting", "next waiting"],
  ["stream.start", "start"],
  ["stream.complete", "complete"],
  ["stream.merge", "merge"],
  ["pane.zoom", "zoom"],
  ["tab.next", "tab"],
  ["app.help", "help"],
  ["app.quit", "quit"],
  ["copy.searchForward", "search"],
  ["copy.next", "next"],
  ["copy.select", "select"],
  ["copy.selectLines", "lines"],
  ["copy.yank", "copy"],
  ["copy.exit", "leave"],
  ["diff.nextHunk", "hunk"],
  ["diff.nextFile", "file"],
  ["diff.comment", "comment"],
  ["diff.send", "send"],
  ["diff.close", "close"],
];

/** Hints that stay whatever the width: the way to every key, and the way out. */
const ALWAYS: readonly CommandId[] = [
  "app.help",
  "app.quit",
  "mode.normal",
  "copy.exit",
  "diff.close",
];

const MODE_LABEL = {
  normal: seg(" NORMAL ", "selected"),
  insert: seg(" INSERT ", "warn"),
  copy: seg(" COPY ", "warn"),
  diff: seg(" DIFF ", "accent"),
} as const;

/** Copy mode's search as it is typed: `/text` (down) or `?text` (up), and how to end it. */
export function searchLine(search: { query: string; backward: boolean }, width: number): Line {
  return fitLine(
    [
      MODE_LABEL.copy,
      seg(" "),
      seg(`${search.backward ? "?" : "/"}${search.query}`, "accent"),
      seg("▏"),
      seg("  Enter keep · Esc back", "muted"),
    ],
    width,
    true,
  );
}

export function footerLine(
  table: readonly KeyCommand[],
  context: KeyContext,
  width: number,
  flash?: string,
): Line {
  const mode = MODE_LABEL[context.mode];
  const hints: { id: CommandId; text: string; line: Line }[] = [];
  for (const [id, short] of HINTS) {
    const command = table.find((c) => c.id === id);
    if (!command || command.mode !== context.mode || command.disabledReason?.(context)) continue;
    const key = displayKey(command.keys[0] ?? "");
    hints.push({
      id,
      text: `  ${key} ${short}`,
      line: [seg("  "), seg(key, "accent"), seg(` ${short}`, "muted")],
    });
  }
  const room = (shown: typeof hints) => shown.reduce((n, h) => n + h.text.length, 0);
  if (flash) {
    // A message keeps ? and q beside it when they fit.
    const kept = hints.filter((h) => ALWAYS.includes(h.id));
    const fits = mode.text.length;
    const line: Line = [mode, seg(" "), seg(flash, "warn")];
    if (fits + 1 + flash.length + room(kept) <= width) line.push(...kept.flatMap((h) => h.line));
    else if (fits + 1 + flash.length > width) {
      // Cut: its end is in the message list, and the line says which key opens it.
      const list = table.find((c) => c.id === "app.messages" && c.mode === context.mode);
      const key = list?.keys[0];
      if (key !== undefined) {
        const more: Line = [
          seg("  "),
          seg(displayKey(key), "accent"),
          seg(" whole message", "muted"),
        ];
        const left = width - fits - 1 - lineText(more).length;
        if (left >= 12)
          return fitLine(
            [...line.slice(0, 2), seg(`${flash.slice(0, left - 1)}…`, "warn"), ...more],
            width,
            true,
          );
      }
    }
    return fitLine(line, width, true);
  }
  // Too narrow for every hint: the least used go first, ? help and q quit never.
  const shown = [...hints];
  const modeWidth = mode.text.length;
  for (let i = shown.length - 1; i >= 0 && modeWidth + room(shown) > width; i--) {
    const hint = shown[i];
    if (hint && !ALWAYS.includes(hint.id)) shown.splice(i, 1);
  }
  return fitLine([mode, ...shown.flatMap((h) => h.line)], width, true);
}
