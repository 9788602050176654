/**
 * A duration is whole numbers with units, largest first: `90s`, `30m`, `1h`, `1h30m`, `2h15m30s`.
 * The lookahead requires a non-zero digit somewhere, so the total is always more than zero.
 */
export const DURATION_PATTERN = /^(?=.*[1-9])(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export const DURATION_HELP =
  "use whole numbers with units h, m, s in that order, e.g. 90s, 30m, 1h, 1h30m; it must be more than zero";

const MS = { h: 3_600_000, m: 60_000, s: 1_000 } as const;

/**
 * The longest a lock may live: long enough for any stream's work, short enough that an
 * abandoned lock frees itself, and far inside what the Python helper's datetime can hold.
 */
export const MAX_LOCK_TTL_MS = 720 * MS.h;
export const LOCK_TTL_RANGE = "between 1s and 720h, that is 30 days";

/** Milliseconds of a duration in the pattern (possibly beyond any safe integer), or undefined. */
function durationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, h = "0", m = "0", s = "0"] = match;
  return Number(h) * MS.h + Number(m) * MS.m + Number(s) * MS.s;
}

/** Parses `30m`, `90s`, `1h`, `1h30m` into milliseconds. */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new Error(`invalid duration "${text}": ${DURATION_HELP}`);
  if (!Number.isSafeInteger(ms)) throw new Error(`invalid duration "${text}": too large`);
  return ms;
}

/** True when `text` is a valid duration too long (or too short) for a lock. */
export function lockTtlOutOfRange(text: string): boolean {
  const ms = durationMs(text);
  return ms !== undefined && (ms < MS.s || ms > MAX_LOCK_TTL_MS);
}

/** Parses a lock's life: a duration in the range. Throws an Error saying what is valid. */
export function parseLockTtl(text: string): number {
  if (lockTtlOutOfRange(text)) {
    throw new Error(`"${text}" is out of range (valid: ${LOCK_TTL_RANGE})`);
  }
  return parseDuration(text);
}
