/** Durations and times as the report's Markdown and HTML show them. */

/** `1h 02m`, `12m 30s`, `45s`, `0s`; `-` for unknown. */
export function duration(ms: number | null): string {
  if (ms === null) return "-";
  const negative = ms < 0;
  const total = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text =
    h > 0
      ? `${h}h ${String(m).padStart(2, "0")}m`
      : m > 0
        ? `${m}m ${String(s).padStart(2, "0")}s`
        : `${s}s`;
  return negative ? `-${text}` : text;
}

/** `2025-12-06 10:00:05Z`; `-` for unknown. */
export function when(iso: string | null): string {
  if (!iso) return "-";
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** `10:00:05`, for a table whose date is said once. */
export function clock(iso: string | null): string {
  if (!iso) return "-";
  return when(iso).slice(11, 19);
}

export const mark = (ok: boolean): string => (ok ? "✅" : "❌");
