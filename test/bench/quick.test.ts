/**
 * The benchmark harness end to end in quick mode (bench/lib/mode.ts): `bench/run.ts --quick`
 * as a child process, with its results written to a temporary folder (never bench/results). It
 * must exit 0, print every benchmark's table, and write a results file with a record for every
 * benchmark: no error, no failed check, rows with finite figures, and a finite Tower/tmux ratio
 * on every row that compares the two. Needs the built dist/ (as `npm test` does first).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import type { ResultsFile } from "../../bench/lib/report.js";
import type { BenchRow } from "../../bench/lib/types.js";
import { PROJECT_ROOT } from "../helpers/repo.js";

/** The benchmarks the harness must have, at least. */
const EXPECTED = [
  "locks",
  "hooks",
  "conflicts",
  "panes",
  "startup",
  "latency",
  "attach",
  "throughput",
  "state",
  "idle",
  "memory",
];
/** Those that compare Tower with tmux (every one has a Tower/tmux row). */
const COMPARING = ["panes", "startup", "latency", "attach", "throughput", "idle", "memory"];

/** A row's figure by its metric, or a clear failure naming the benchmark. */
function figure(results: ResultsFile, name: string, metric: RegExp): BenchRow {
  const found = results.benchmarks[name]?.rows.find((r) => metric.test(r.metric));
  expect(found, `${name} has no row ${metric}`).toBeDefined();
  return found as BenchRow;
}

const out = mkdtempSync(path.join(os.tmpdir(), "tower-bench-quick-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node --import tsx bench/run.ts <args>` in the project, without inherited bench settings. */
function harness(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("TOWER_") || key.startsWith("VITEST") || key === "NODE_ENV") continue;
    env[key] = value;
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", ...args],
      { cwd: PROJECT_ROOT, env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The files of bench/results with their modification times, to see that nothing was written. */
function resultsDir(): string[] {
  const dir = path.join(PROJECT_ROOT, "bench/results");
  try {
    return readdirSync(dir).map((f) => `${f} ${statSync(path.join(dir, f)).mtimeMs}`);
  } catch {
    return [];
  }
}

it("runs every benchmark in quick mode, prints its table and writes sane results", {
  timeout: 600_000,
}, async () => {
  const help = await harness(["--help"]);
  expect(help.code).toBe(0);
  const names = [...help.stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1] ?? "");
  expect(names).toEqual(expect.arrayContaining(EXPECTED));

  const before = resultsDir();
  const run = await harness(["--quick", "--out", out]);
  const report = `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  expect(run.code, report).toBe(0);
  expect(run.stdout).toContain("QUICK MODE");
  for (const name of names) {
    // The section, then its table: a header line and a rule.
    const section = run.stdout.split(`\n== ${name}: `)[1]?.split("\n== ")[0];
    expect(section, `no section for ${name}\n${report}`).toBeDefined();
    expect(section).toMatch(/^metric {2,}value {2,}unit/m);
    expect(section).toMatch(/^-{6,} {2}-+/m);
  }
  expect(resultsDir()).toEqual(before);

  const files = readdirSync(out).filter((f) => f.endsWith(".json"));
  expect(files).toHaveLength(1);
  const results = JSON.parse(readFileSync(path.join(out, files[0] ?? ""), "utf8")) as ResultsFile;
  expect(Object.keys(results.benchmarks).sort()).toEqual([...names].sort());
  for (const name of names) {
    const record = results.benchmarks[name];
    expect(record, name).toBeDefined();
    if (!record) continue;
    expect(record.error, name).toBeUndefined();
    expect(record.failures ?? [], name).toEqual([]);
    expect(record.rows.length, name).toBeGreaterThan(0);
    for (const row of record.rows) {
      const what = `${name}: ${row.metric}`;
      expect(Number.isFinite(row.value), `${what} = ${row.value}`).toBe(true);
      if (row.tower === undefined && row.tmux === undefined) continue;
      for (const figure of [row.tower, row.tmux, row.ratio]) {
        expect(Number.isFinite(figure), `${what}: ${JSON.stringify(row)}`).toBe(true);
      }
    }
    if (COMPARING.includes(name)) {
      expect(
        record.rows.some((r) => r.ratio !== undefined),
        `${name} has no Tower/tmux row`,
      ).toBe(true);
    }
  }

  // attach: both programs attached and detached every time, every first frame whole, no
  // descriptor left open by the cycles (the memory figures are reported, not judged, here).
  for (const kind of ["tower", "tmux"]) {
    expect(figure(results, "attach", new RegExp(`^${kind}: attaches without`)).value).toBe(0);
    expect(
      figure(results, "attach", new RegExp(`^${kind}: server fds growth`)).value,
    ).toBeLessThanOrEqual(2);
  }
  for (const metric of [/^attach to first complete frame, idle, p50/, /output, p50/]) {
    const r = figure(results, "attach", metric);
    expect(r.tower, r.metric).toBeGreaterThan(0);
    expect(r.tmux, r.metric).toBeGreaterThan(0);
  }
  // latency: the floors under the quiet echo, measured (bench/lib/relay.mjs ran and echoed).
  for (const floor of ["no program between", "a bare Node relay"]) {
    expect(
      figure(results, "latency", new RegExp(`^echo latency, quiet, ${floor}, p50`)).value,
    ).toBeGreaterThan(0);
  }
  // throughput: both workloads, each measured for both programs.
  for (const workload of ["mixed output", "plain long lines"]) {
    const r = figure(results, "throughput", new RegExp(`^throughput, ${workload}, `));
    expect(r.tower, r.metric).toBeGreaterThan(0);
    expect(r.tmux, r.metric).toBeGreaterThan(0);
  }
});
