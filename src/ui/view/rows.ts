/**
 * The rows of the bottom panel's tabs as records, in the order the tab shows them (logs newest
 * first): what `o` (or Enter, once J/K moved into the panel) opens whole, and the details an
 * Activity row shows beyond its columns.
 */
import type { AppState } from "../store/slices.js";
import type { Tab } from "./model.js";

type TabState = Pick<
  AppState,
  "locks" | "conflicts" | "checkpoints" | "tasks" | "activity" | "handoffs" | "snapshots"
>;

export function tabRecords(s: TabState, tab: Tab): Record<string, unknown>[] {
  const records = (items: readonly object[]) => items.map((item) => ({ ...item }));
  switch (tab) {
    case "locks":
      return records(s.locks);
    case "conflicts":
      return records(s.conflicts);
    case "checkpoints":
      return records(s.checkpoints);
    case "tasks":
      return records(s.tasks);
    case "activity":
      return records([...s.activity].reverse());
    case "handoffs":
      return records([...s.handoffs].reverse());
    case "snapshots":
      // With how to bring a file of it back, in the stream's worktree.
      return s.snapshots.map((snapshot) => ({
        ...snapshot,
        restore: `in stream ${snapshot.stream}'s worktree:\ngit restore --source=${snapshot.commit.slice(0, 12)} -- <file>`,
      }));
  }
}

/** Fields an Activity row shows in its own columns. */
const ACTIVITY_COLUMNS = new Set(["timestamp", "agent", "stream", "action", "file", "command"]);

/** An Activity row's other fields, `key: value` each (which checkpoint, why a merge failed...). */
export function activityDetails(entry: Record<string, unknown>): string {
  return Object.entries(entry)
    .filter(([key, value]) => !ACTIVITY_COLUMNS.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => `${key}: ${oneLine(value)}`)
    .join("  ");
}

/** A record whole, for a dialog: one `key: value` per field, a list or a text over its lines. */
export function recordLines(record: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      lines.push(`${key}:${value.length === 0 ? " (none)" : ""}`);
      for (const item of value) lines.push(`  - ${oneLine(item)}`);
    } else if (typeof value === "string" && value.includes("\n")) {
      lines.push(`${key}:`, ...value.split("\n").map((line) => `  ${line}`));
    } else {
      lines.push(`${key}: ${oneLine(value)}`);
    }
  }
  return lines;
}

function oneLine(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.replace(/\s*\n\s*/g, " ⏎ ");
}
