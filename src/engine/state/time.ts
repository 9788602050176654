/**
 * Timestamps in the state files.
 *
 * `file_locks.json` carries naive local time with microseconds (`2025-12-06T10:00:00.123456`),
 * exactly as the coordination protocol's Python lock helper writes it; everything else is
 * ISO 8601 in UTC with `Z`. Readers accept both forms everywhere.
 *
 * A naive time means the writer's local time, which a reader elsewhere cannot know: Tower writes
 * its own UTC offset beside the times of its locks (`utc_offset`, which the Python helper
 * ignores) and reads it when present.
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
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/**
 * `+01:00`: the UTC offset of this machine's local time at `date`, as Tower records it beside
 * the naive times of a lock (`utc_offset`), so that a Tower in another time zone reads them right.
 */
export function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Minutes east of UTC for `+01:00` (or `+0100`); undefined for anything else. */
export function parseUtcOffset(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const match = OFFSET.exec(text.trim());
  if (!match) return undefined;
  const [, sign, h, m] = match;
  if (Number(h) > 23 || Number(m) > 59) return undefined;
  return (sign === "-" ? -1 : 1) * (Number(h) * 60 + Number(m));
}

/**
 * Reads either form: a time without an offset is the writer's local time, read at
 * `offsetMinutes` when the writer recorded its offset and otherwise as this machine's local
 * time (as the Python helper means it); a time with `Z` or an offset is absolute. Returns
 * undefined for anything else.
 */
export function parseTimestamp(text: unknown, offsetMinutes?: number): Date | undefined {
  if (typeof text !== "string") return undefined;
  const s = text.trim();
  const naive = NAIVE.exec(s);
  if (naive) {
    const [, y, mo, d, h, mi, sec, frac] = naive;
    const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
    const fields = [
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(sec ?? 0),
      ms,
    ] as const;
    // Reject out-of-range fields (month 13, hour 99) instead of letting Date roll them over.
    const inRange = Number(h) < 24 && Number(mi) < 60 && Number(sec ?? 0) < 61;
    if (offsetMinutes !== undefined) {
      const wall = new Date(Date.UTC(...fields));
      const exact = inRange && wall.getUTCMonth() === fields[1] && wall.getUTCDate() === fields[2];
      return Number.isNaN(wall.getTime()) || !exact
        ? undefined
        : new Date(wall.getTime() - offsetMinutes * 60_000);
    }
    const date = new Date(...fields);
    const exact = inRange && date.getMonth() === fields[1] && date.getDate() === fields[2];
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
