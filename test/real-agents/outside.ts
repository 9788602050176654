/**
 * What a real CLI must never change: the npm global prefix (Claude Code's auto-updater runs
 * `npm install --global` when it is not switched off), the cache the pinned CLIs are installed
 * in (except the per-run Codex homes under `runs/`), the real user's own configuration of each
 * CLI, and the machine's temporary folder (the CLIs' own folders there). A test takes a snapshot
 * before and compares after.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CODEX_DAEMON_FOLDER } from "./cli-env.js";
import { cliCache } from "./clis.js";

/** path -> "size mtime" (or "dir mtime"), for every entry looked at. */
export type Snapshot = Map<string, string>;

let globalPrefix: string | undefined;

/** `npm config get prefix` with the test runner's own environment. */
export function npmGlobalPrefix(): string {
  globalPrefix ??= execFileSync("npm", ["config", "get", "prefix"], { encoding: "utf8" }).trim();
  return globalPrefix;
}

function record(snapshot: Snapshot, file: string, depth: number): void {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(file);
  } catch {
    return; // absent: absence is recorded by not being there
  }
  snapshot.set(file, `${stat.isDirectory() ? "dir" : stat.size} ${stat.mtimeMs}`);
  if (!stat.isDirectory() || depth === 0) return;
  for (const name of readdirSync(file)) record(snapshot, path.join(file, name), depth - 1);
}

/** The entries that must stay as they are. */
export function snapshotOutside(): Snapshot {
  const snapshot: Snapshot = new Map();
  const prefix = npmGlobalPrefix();
  record(snapshot, path.join(prefix, "lib", "node_modules"), 2);
  record(snapshot, path.join(prefix, "bin"), 1);
  const cache = cliCache();
  if (existsSync(cache)) {
    for (const name of readdirSync(cache)) {
      if (name !== "runs") record(snapshot, path.join(cache, name), Number.POSITIVE_INFINITY);
    }
  }
  const home = os.homedir();
  for (const name of [
    ".claude",
    ".claude.json",
    ".codex",
    ".gemini",
    ".local/bin",
    ".local/share/claude",
  ]) {
    record(snapshot, path.join(home, name), 1);
  }
  // The CLIs' own temporary folders belong in the TMPDIR of their throwaway HOME (cli-env.ts):
  // one made in the machine's temporary folder outlives the tests. Codex makes its daemon's
  // folder in /tmp whatever TMPDIR says, and the tests remove it when they made it. Only whether
  // each is there is compared (a Claude Code the developer runs meanwhile writes in its own).
  const uid = os.userInfo().uid;
  for (const file of [
    path.join(os.tmpdir(), `claude-${uid}`),
    path.join(os.tmpdir(), `codex-bwrap-synthetic-mount-targets-${uid}`),
    CODEX_DAEMON_FOLDER,
  ]) {
    if (existsSync(file)) snapshot.set(file, "present");
  }
  return snapshot;
}

/** What changed between two snapshots, one line each ("" when nothing did). */
export function changesBetween(before: Snapshot, after: Snapshot): string {
  const lines: string[] = [];
  for (const [file, state] of after) {
    const was = before.get(file);
    if (was === undefined) lines.push(`added ${file}`);
    else if (was !== state) lines.push(`changed ${file} (${was} -> ${state})`);
  }
  for (const file of before.keys()) if (!after.has(file)) lines.push(`removed ${file}`);
  return lines.join("\n");
}
