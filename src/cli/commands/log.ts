import type { Command } from "commander";
import { type ActivityFilter, followActivity, matchesFilter } from "../../engine/activity.js";
import { type ActivityEntry, formatJsonlWarning } from "../../engine/state/index.js";
import { loadContext } from "../context.js";
import { localTime } from "../format.js";

const STANDARD = new Set(["timestamp", "agent", "stream", "action"]);

/** `2025-12-06 10:00:01  A1 [A]  locked  file=config/x.py task=...` */
export function formatActivity(entry: ActivityEntry): string {
  const details = Object.entries(entry)
    .filter(
      ([key, value]) => !STANDARD.has(key) && value !== "" && value !== undefined && value !== null,
    )
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  const stream = entry.stream ? ` [${entry.stream}]` : "";
  return `${localTime(entry.timestamp)}  ${entry.agent}${stream}  ${entry.action}${details ? `  ${details}` : ""}`;
}

interface LogOptions {
  follow?: boolean;
  agent?: string;
  stream?: string;
  json?: boolean;
}

export function registerLog(program: Command): void {
  program
    .command("log")
    .description("print the activity log (agent_activity.jsonl), oldest first")
    .option("-f, --follow", "keep printing new entries as they are appended")
    .option("--agent <id>", "only this agent's entries")
    .option("--stream <id>", "only this stream's entries")
    .option("--json", "one activity object per line, as stored")
    .action(async (options: LogOptions) => {
      const context = await loadContext();
      const filter: ActivityFilter = { agent: options.agent, stream: options.stream };
      const print = (entries: ActivityEntry[]) => {
        const lines = entries
          .filter((e) => matchesFilter(e, filter))
          .map((e) => (options.json ? JSON.stringify(e) : formatActivity(e)));
        if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
      };
      const warn = (warnings: Parameters<typeof formatJsonlWarning>[0][]) => {
        for (const w of warnings) process.stderr.write(`${formatJsonlWarning(w)}\n`);
      };
      if (!options.follow) {
        const read = await context.store.readActivity();
        warn(read.warnings);
        print(read.entries);
        return;
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      process.stdout.on("error", onSignal);
      await followActivity(context.store, { onEntries: print, onWarnings: warn }, stop.signal);
    });
}
