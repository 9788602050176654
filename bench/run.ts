/**
 * The benchmark harness: `tsx bench/run.ts` runs every benchmark, `tsx bench/run.ts <name>...`
 * the named ones (`npm run bench -- locks`). Each prints a table; all results go to
 * bench/results/<YYYY-MM-DD>.json, merged by benchmark name with that day's earlier runs.
 *
 * Options:
 * - `--quick` (or TOWER_BENCH_QUICK=1): small sizes and a few samples, a couple of minutes for
 *   all (bench/lib/mode.ts); its results go to <YYYY-MM-DD>-quick.json, so that they never
 *   replace the day's real figures.
 * - `--out <dir>` (or TOWER_BENCH_OUT=<dir>): write the results file there instead.
 *
 * Exit status: 0 all well, 1 a benchmark failed or one of its checks did not hold, 2 unknown name
 * or bad option. To add a benchmark: a module exporting a `Benchmark` (bench/lib/types.ts),
 * listed below.
 */
import path from "node:path";
import { attach } from "./attach.js";
import { conflicts } from "./conflicts.js";
import { hooks } from "./hooks.js";
import { idle } from "./idle.js";
import { latency } from "./latency.js";
import { staleEngineSources } from "./lib/engine.js";
import { QUICK } from "./lib/mode.js";
import { PROJECT_ROOT } from "./lib/repo.js";
import {
  type BenchRecord,
  formatTable,
  gitInfo,
  machineInfo,
  today,
  writeResults,
} from "./lib/report.js";
import type { Benchmark } from "./lib/types.js";
import { locks } from "./locks.js";
import { memory } from "./memory.js";
import { panes } from "./panes.js";
import { startup } from "./startup.js";
import { state } from "./state.js";
import { throughput } from "./throughput.js";

export const BENCHMARKS: readonly Benchmark[] = [
  locks,
  hooks,
  conflicts,
  panes,
  startup,
  latency,
  attach,
  throughput,
  state,
  idle,
  memory,
];

interface Options {
  names: string[];
  out: string | undefined;
  help: boolean;
  error?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    names: [],
    out: process.env.TOWER_BENCH_OUT || undefined,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") continue;
    if (arg === "-h" || arg === "--help") options.help = true;
    else if (arg === "--quick")
      continue; // read by bench/lib/mode.ts
    else if (arg === "--out") {
      const dir = argv[++i];
      if (!dir) return { ...options, error: "--out needs a folder" };
      options.out = dir;
    } else if (arg.startsWith("--out=")) options.out = arg.slice("--out=".length);
    else if (arg.startsWith("-")) return { ...options, error: `unknown option ${arg}` };
    else options.names.push(arg);
  }
  return options;
}

async function main(argv: string[]): Promise<number> {
  const { names, out, help, error } = parseArgs(argv);
  const known = BENCHMARKS.map((b) => b.name);
  const usage = `usage: tsx bench/run.ts [--quick] [--out <dir>] [<name>...]\n\n${BENCHMARKS.map((b) => `  ${b.name.padEnd(12)} ${b.description}`).join("\n")}\n`;
  if (error !== undefined) {
    process.stderr.write(`${error}\n${usage}`);
    return 2;
  }
  if (help) {
    process.stdout.write(usage);
    return 0;
  }
  // Anything the benchmarks start sees quick mode too.
  if (QUICK) process.env.TOWER_BENCH_QUICK = "1";
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}\nknown: ${known.join(", ")}\n`,
    );
    return 2;
  }
  const selected =
    names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));

  const stale = staleEngineSources();
  if (stale.length > 0) {
    process.stderr.write(
      `warning: dist/ is older than ${stale.length} engine source file(s) (${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ", ..." : ""}): run \`npm run build\`, or use \`npm run bench\`\n`,
    );
  }

  const machine = machineInfo();
  const git = gitInfo();
  process.stdout.write(
    `node ${machine.node}, ${machine.os} ${machine.arch}, ${machine.cpu} x ${machine.cores}, ` +
      `commit ${git.commit ?? "unknown"}${git.dirty ? " (with uncommitted changes)" : ""}` +
      `${QUICK ? "; QUICK MODE: small sizes, figures not comparable" : ""}\n`,
  );

  const records: BenchRecord[] = [];
  let status = 0;
  for (const bench of selected) {
    process.stdout.write(`\n== ${bench.name}: ${bench.description}\n`);
    const ranAt = new Date().toISOString();
    const start = performance.now();
    const base = { name: bench.name, description: bench.description, ranAt, git, machine };
    const elapsed = () => Math.round(performance.now() - start);
    let record: BenchRecord;
    try {
      const result = await bench.run();
      record = { ...base, durationMs: elapsed(), ...result };
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      record = { ...base, durationMs: elapsed(), rows: [], error: message };
    }
    records.push(record);
    if (record.rows.length > 0) process.stdout.write(`${formatTable(record.rows)}\n`);
    process.stdout.write(`(${(record.durationMs / 1000).toFixed(1)} s)\n`);
    if (record.error !== undefined) {
      status = 1;
      process.stderr.write(`\n!! ${bench.name} FAILED: ${record.error}\n`);
    }
    const failures = record.failures ?? [];
    if (failures.length > 0) {
      status = 1;
      process.stderr.write(
        `\n!! ${bench.name}: ${failures.length} CHECK(S) FAILED\n${failures.map((f) => `!!   ${f}`).join("\n")}\n`,
      );
    }
  }

  const file = writeResults(records, {
    ...(out === undefined ? {} : { dir: path.resolve(out) }),
    name: `${today()}${QUICK ? "-quick" : ""}`,
  });
  const shown = path.relative(PROJECT_ROOT, file);
  process.stdout.write(`\nresults: ${shown.startsWith("..") ? file : shown}\n`);
  return status;
}

process.exitCode = await main(process.argv.slice(2));
