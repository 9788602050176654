/**
 * A duration is whole numbers with units, largest first: `90s`, `30m`, `1h`, `1h30m`, `2h15m30s`.
 * The lookahead requires a non-zero digit somewhere, so the total is always more than zero.
 */
export const DURATION_PATTERN = /^(?=.*[1-9])(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export const DURATION_HELP =
  "use whole numbers with units h, m, s in that order, e.g. 90s, 30m, 1h, 1h30m; it must be more than zero";

const MS = { h: 3_600_000, m: 60_000, s: 1_000 } as const;

/** Parses `30m`, `90s`, `1h`, `1h30m` into milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}": ${DURATION_HELP}`);
  const [, h = "0", m = "0", s = "0"] = match;
  const ms = Number(h) * MS.h + Number(m) * MS.m + Number(s) * MS.s;
  if (!Number.isSafeInteger(ms)) throw new Error(`invalid duration "${text}": too large`);
  return ms;
}
