/**
 * Timestamps in the state files.
 *
 * `file_locks.json` carries naive local time with microseconds (`2025-12-06T10:00:00.123456`),
 * exactly as the coordination protocol's Python lock helper writes it; everything else is
 * ISO 8601 in UTC with `Z`. Readers accept both forms everywhere.
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `2025-12-06T10:00:00.123456` in the machine's local time zone, as Python's `datetime.now().isoformat()`. */
export function toNaiveLocal(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `.${pad(date.getMilliseconds() * 1000, 6)}`
  );
}

/** `2025-12-06T10:00:00.123Z`. */
export function toUtcIso(date: Date): string {
  return date.toISOString();
}

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const ZONED = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Reads either form: a time without an offset is local time (as the Python helper means it),
 * a time with `Z` or an offset is absolute. Returns undefined for anything else.
 */
export function parseTimestamp(text: unknown): Date | undefined {
  if (typeof text !== "string") return undefined;
  const s = text.trim();
  const naive = NAIVE.exec(s);
  if (naive) {
    const [, y, mo, d, h, mi, sec, frac] = naive;
    const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
    const date = new Date(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(sec ?? 0),
      ms,
    );
    // Reject out-of-range fields (month 13, hour 99) instead of letting Date roll them over.
    const inRange = Number(h) < 24 && Number(mi) < 60 && Number(sec ?? 0) < 61;
    const exact = inRange && date.getMonth() === Number(mo) - 1 && date.getDate() === Number(d);
    return Number.isNaN(date.getTime()) || !exact ? undefined : date;
  }
  if (ZONED.test(s)) {
    // Date.parse handles up to millisecond precision; trim extra fraction digits first.
    const trimmed = s.replace(/(\.\d{3})\d+/, "$1").replace(" ", "T");
    const ms = Date.parse(trimmed);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}
