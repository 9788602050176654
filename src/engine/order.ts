/**
 * Orders and numbers without the locale machinery. `localeCompare`, `Intl` and `toLocaleString`
 * load and build an ICU collator or number format on their first use in a process: in the
 * server's first seconds that held its one thread for up to 79 ms (keystrokes waited behind
 * it), and the order they give moves with the machine's locale. Ids, paths and ISO times sort by
 * code unit, as git does.
 */

/** `a` against `b` by UTF-16 code unit: capitals before small letters, a prefix first. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `1234567` as "1,234,567" (as less numbers lines). */
export function thousands(n: number): string {
  const digits = String(Math.trunc(Math.abs(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ",");
  return n < 0 ? `-${grouped}` : grouped;
}
