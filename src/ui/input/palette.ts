/**
 * The command palette (`:`): every command of the key table by name, fuzzy-matched as the user
 * types (the letters in order, anywhere in the id or the description), with its key and, when
 * it does not apply now, why. Enter runs the selected one, exactly as its key would.
 */
import { type CommandId, displayKey, type KeyCommand, type KeyContext } from "../keys/table.js";
import type { Modal } from "../store/slices.js";

export interface PaletteRow {
  id: CommandId;
  keys: string;
  description: string;
  /** Why it does not apply now. */
  disabled?: string;
}

/** A score for `query` as a subsequence of `text` (lower is better), or undefined. */
function score(query: string, text: string): number | undefined {
  let at = -1;
  let gaps = 0;
  for (const ch of query) {
    const next = text.indexOf(ch, at + 1);
    if (next < 0) return undefined;
    gaps += next - at - 1;
    at = next;
  }
  return gaps;
}

export function paletteRows(
  table: readonly KeyCommand[],
  context: KeyContext,
  query: string,
): PaletteRow[] {
  const q = query.toLowerCase().replace(/\s+/g, "");
  const scored: { row: PaletteRow; score: number; order: number }[] = [];
  for (const [order, command] of table.entries()) {
    if (command.id === "app.palette") continue;
    const byId = score(q, command.id.toLowerCase());
    const byText = score(q, command.description.toLowerCase().replace(/\s+/g, ""));
    const best = Math.min(
      byId ?? Number.POSITIVE_INFINITY,
      (byText ?? Number.POSITIVE_INFINITY) + 1,
    );
    if (best === Number.POSITIVE_INFINITY) continue;
    const disabled = command.disabledReason?.(context);
    scored.push({
      row: {
        id: command.id,
        keys: command.keys.map(displayKey).join(" "),
        description: command.description,
        ...(disabled && { disabled }),
      },
      score: best,
      order,
    });
  }
  return scored.sort((a, b) => a.score - b.score || a.order - b.order).map((s) => s.row);
}

export type PaletteModal = Extract<Modal, { kind: "palette" }>;
