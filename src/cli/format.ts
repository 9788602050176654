/** Small text helpers for human-readable output. */
import { parseTimestamp } from "../engine/state/index.js";

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2025-12-06 10:00:00` in local time, from a Date or either timestamp form. */
export function localTime(text: string | Date | undefined): string {
  const date = text instanceof Date ? text : parseTimestamp(text);
  if (!date) return typeof text === "string" ? text : "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Values given as `--to A,B --to C`. */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];
