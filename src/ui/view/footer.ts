/**
 * The footer: the mode and the keys that apply now, from the key table; a key that does not apply
 * says why instead (a flash message replaces the hints for a moment).
 */
import { type CommandId, displayKey, type KeyCommand, type KeyContext } from "../keys/table.js";
import { fitLine, type Line, seg } from "./types.js";

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
];

export function footerLine(
  table: readonly KeyCommand[],
  context: KeyContext,
  width: number,
  flash?: string,
): Line {
  const mode = context.mode === "insert" ? seg(" INSERT ", "warn") : seg(" NORMAL ", "selected");
  if (flash) return fitLine([mode, seg(" "), seg(flash, "warn")], width, true);
  const line: Line = [mode];
  for (const [id, short] of HINTS) {
    const command = table.find((c) => c.id === id);
    if (!command || command.mode !== context.mode || command.disabledReason?.(context)) continue;
    line.push(
      seg("  "),
      seg(displayKey(command.keys[0] ?? ""), "accent"),
      seg(` ${short}`, "muted"),
    );
  }
  return fitLine(line, width, true);
}
