/** The help screen's pages, from the key table: pure, so the keys can page through them. */
import { byCategory } from "../keys/docs.js";
import { displayKey, type KeyCommand } from "../keys/table.js";
import { wrapText } from "./types.js";

export type HelpLine = { text: string; bold?: boolean };

/**
 * The help's pages: every command of the key table by category (generated from it, like
 * docs/keybindings.md), each description wrapped under its keys instead of cut, laid out in as
 * many columns as fit (each at least 38 wide) and as many pages as it takes; each page is its
 * columns' lines, first column first.
 */
export function helpPages(
  table: readonly KeyCommand[],
  width: number,
  height: number,
): HelpLine[][][] {
  const columns = Math.max(1, Math.floor(width / 38));
  const columnWidth = Math.max(20, Math.floor(width / columns) - 1);
  const lines: HelpLine[] = [];
  for (const [category, commands] of byCategory(table)) {
    if (lines.length > 0) lines.push({ text: "" });
    lines.push({ text: category, bold: true });
    for (const c of commands) {
      if (c.mode === "copy") continue;
      const keys = c.keys.map(displayKey).join(" ");
      const where =
        c.mode === "insert" ? " (insert mode)" : c.mode === "diff" ? " (in the diff)" : "";
      const head = `  ${keys.padEnd(14)} `;
      const body = wrapText(`${c.description}${where}`, columnWidth - head.length);
      body.forEach((text, i) => {
        lines.push({ text: `${i === 0 ? head : " ".repeat(head.length)}${text}` });
      });
    }
    // Copy mode's own keys, a word each: they are many and speak for themselves.
    const copyKeys = commands
      .filter((c) => c.mode === "copy")
      .map((c) => `${c.keys.map(displayKey).join("/")} ${c.short ?? c.description}`);
    if (copyKeys.length > 0) {
      const [first = "", ...rest] = copyKeys;
      for (const text of wrapItems([`in copy mode: ${first}`, ...rest], columnWidth - 2)) {
        lines.push({ text: `  ${text}` });
      }
    }
  }
  const rows = Math.max(1, height);
  const pages: HelpLine[][][] = [];
  for (let at = 0; at < lines.length; at += rows * columns) {
    const page: HelpLine[][] = [];
    for (let c = 0; c < columns; c++) {
      const column = lines.slice(at + c * rows, at + (c + 1) * rows);
      if (column.length > 0) page.push(column);
    }
    pages.push(page);
  }
  return pages.length > 0 ? pages : [[[]]];
}

/** Items joined with " · " into lines of at most `width` characters (an item is never split). */
function wrapItems(items: readonly string[], width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const item of items) {
    const next = line === "" ? item : `${line} · ${item}`;
    if (line !== "" && next.length > width) {
      out.push(line);
      line = item;
    } else line = next;
  }
  if (line !== "") out.push(line);
  return out;
}
