/** Machine info, the text table, and the day's JSON results file. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "./repo.js";
import type { BenchResult, BenchRow } from "./types.js";

export const RESULTS_DIR = path.join(PROJECT_ROOT, "bench/results");

export interface MachineInfo {
  node: string;
  os: string;
  arch: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

export interface GitInfo {
  /** `git rev-parse --short HEAD`; undefined outside a git checkout. */
  commit: string | undefined;
  /** Tracked files differ from that commit (so the figures are not the commit's alone). */
  dirty: boolean | undefined;
}

export function gitInfo(): GitInfo {
  const git = (...args: string[]) =>
    execFileSync("git", ["--no-optional-locks", ...args], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  let commit: string | undefined;
  try {
    commit = git("rev-parse", "--short", "HEAD");
  } catch {
    return { commit: undefined, dirty: undefined };
  }
  try {
    return { commit, dirty: git("status", "--porcelain", "--untracked-files=no") !== "" };
  } catch {
    return { commit, dirty: undefined };
  }
}

/** The local calendar day, YYYY-MM-DD. */
export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export interface BenchRecord extends BenchResult {
  name: string;
  description: string;
  ranAt: string;
  durationMs: number;
  git: GitInfo;
  machine: MachineInfo;
  /** The benchmark threw: its message (rows are then empty). */
  error?: string;
}

export interface ResultsFile {
  date: string;
  updatedAt: string;
  git: GitInfo;
  machine: MachineInfo;
  benchmarks: Record<string, BenchRecord>;
}

/**
 * Writes `records` into <dir>/<name>.json (bench/results/<date>.json by default), replacing
 * earlier results of the same benchmarks in that file and keeping the others. Written to a
 * temporary file, then renamed.
 */
export function writeResults(
  records: BenchRecord[],
  options: { date?: string; dir?: string; name?: string } = {},
): string {
  const date = options.date ?? today();
  const dir = options.dir ?? RESULTS_DIR;
  const file = path.join(dir, `${options.name ?? date}.json`);
  let benchmarks: Record<string, BenchRecord> = {};
  if (existsSync(file)) {
    try {
      const previous = JSON.parse(readFileSync(file, "utf8")) as Partial<ResultsFile>;
      benchmarks = previous.benchmarks ?? {};
    } catch (error) {
      process.stderr.write(
        `warning: ${file} is not valid JSON (${(error as Error).message}); starting it afresh\n`,
      );
    }
  }
  for (const record of records) benchmarks[record.name] = record;
  const latest = records[records.length - 1];
  const content: ResultsFile = {
    date,
    updatedAt: new Date().toISOString(),
    git: latest?.git ?? gitInfo(),
    machine: latest?.machine ?? machineInfo(),
    benchmarks,
  };
  mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`);
  renameSync(temp, file);
  return file;
}

const show = (value: number | undefined): string => {
  if (value === undefined) return "";
  if (Number.isNaN(value)) return "n/a";
  return value.toLocaleString("en-US", { maximumFractionDigits: 3 });
};

/** A plain text table; the tower/tmux/ratio columns appear only when some row has them. */
export function formatTable(rows: readonly BenchRow[]): string {
  const compares = rows.some((r) => r.tower !== undefined || r.tmux !== undefined);
  const header = compares
    ? ["metric", "value", "unit", "tower", "tmux", "ratio", "note"]
    : ["metric", "value", "unit", "note"];
  const numeric = new Set(["value", "tower", "tmux", "ratio"]);
  const body = rows.map((r) =>
    compares
      ? [
          r.metric,
          show(r.value),
          r.unit,
          show(r.tower),
          show(r.tmux),
          r.ratio === undefined ? "" : `${show(r.ratio)}x`,
          r.note ?? "",
        ]
      : [r.metric, show(r.value), r.unit, r.note ?? ""],
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((cells) => cells[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        const last = i === cells.length - 1;
        if (last) return cell;
        return numeric.has(header[i] ?? "") ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...body.map(line)].join("\n");
}
