/**
 * `locks`: how fast file locks change hands. Every acquire and every release is one update of
 * file_locks.json under an exclusive flock(2) (read, rewrite in place, fsync, plus the `.bak`
 * copy) and one line appended to agent_activity.jsonl.
 *
 * 1. in-process: one process, acquire + release pairs through the engine API;
 * 2. contention: 8 processes fight over the same path behind a barrier, retrying when refused;
 *    afterwards the files must be intact (valid JSON, no lock left, 2 activity lines per pair);
 * 3. CLI: `tower lock` + `tower unlock` round trips, Node start-up included.
 */
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Engine, loadEngine } from "./lib/engine.js";
import type { FromWorker, ToWorker } from "./lib/lock-worker.js";
import { sized } from "./lib/mode.js";
import {
  AGENTS,
  type BenchRepo,
  cleanEnv,
  makeBenchRepo,
  PROJECT_ROOT,
  run,
  tower,
} from "./lib/repo.js";
import { mean, nowMs, percentile, round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, type BenchRow, row } from "./lib/types.js";

const IN_PROCESS = {
  ...sized(
    { warmup: 100, pairs: 2000, budgetMs: 5000 },
    { warmup: 10, pairs: 100, budgetMs: 1000 },
  ),
  path: "bench/in-process.txt",
};
const CONTENTION = {
  ...sized({ pairsPerProcess: 150, budgetMs: 20_000 }, { pairsPerProcess: 10, budgetMs: 5_000 }),
  path: "bench/contended.txt",
};
const CLI_RUNS = {
  ...sized({ roundTrips: 20, nodeBaseline: 10 }, { roundTrips: 3, nodeBaseline: 2 }),
  path: "bench/cli.txt",
};

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "lib/lock-worker.ts");

type Done = Extract<FromWorker, { type: "done" }>;

interface Check {
  failures: string[];
}

function fail(check: Check, message: string): void {
  check.failures.push(message);
}

function activityLines(repo: BenchRepo): string[] {
  return readFileSync(repo.activityFile, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
}

/** file_locks.json (and its .bak) parse as JSON and hold no lock. */
function checkLocksEmpty(repo: BenchRepo, check: Check, phase: string): void {
  for (const file of [repo.locksFile, `${repo.locksFile}.bak`]) {
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as { locks?: Record<string, unknown> };
      if (file === repo.locksFile) {
        const left = Object.keys(parsed.locks ?? {});
        if (!parsed.locks) fail(check, `${phase}: file_locks.json has no "locks" object`);
        else if (left.length > 0)
          fail(check, `${phase}: locks left in file_locks.json: ${left.join(", ")}`);
      }
    } catch (error) {
      fail(
        check,
        `${phase}: ${path.basename(file)} is not valid JSON: ${(error as Error).message}`,
      );
    }
  }
}

/**
 * The activity lines a phase appended: exactly two per pair, all for `lockPath`, alternating
 * "locked" and "released" by the same agent (besides the "refused" lines of the losers).
 */
function checkActivity(
  appended: string[],
  pairs: number,
  lockPath: string,
  check: Check,
  phase: string,
): void {
  // A refused lock is recorded too (for the run report): not part of a locked/released pair.
  const lines = appended.filter((line) => !/"action":\s*"refused"/.test(line));
  if (lines.length !== 2 * pairs) {
    fail(check, `${phase}: ${lines.length} activity lines for ${pairs} pairs (want ${2 * pairs})`);
  }
  let holder: string | undefined;
  for (const [i, line] of lines.entries()) {
    let entry: { action?: unknown; agent?: unknown; file?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      fail(check, `${phase}: activity line ${i + 1} of the phase is not valid JSON: ${line}`);
      return;
    }
    const want = i % 2 === 0 ? "locked" : "released";
    const wrong =
      entry.file !== lockPath ||
      entry.action !== want ||
      (want === "released" && entry.agent !== holder);
    if (wrong) {
      fail(check, `${phase}: activity line ${i + 1} of the phase is out of order: ${line}`);
      return;
    }
    holder = want === "locked" ? String(entry.agent) : undefined;
  }
}

const latencyRows = (label: string, samples: number[], note?: string): BenchRow[] => [
  row(`${label} p50`, round(percentile(samples, 50)), "ms", note),
  row(`${label} p99`, round(percentile(samples, 99)), "ms"),
];

async function inProcess(engine: Engine, repo: BenchRepo, check: Check): Promise<BenchRow[]> {
  const store = new engine.StateStore(repo.stateDir);
  const request = { paths: [IN_PROCESS.path], agent: "A1", stream: "A", task: "bench" };
  const linesBefore = activityLines(repo).length;
  const pair = async (): Promise<void> => {
    const taken = await engine.acquireLocks(store, request);
    if (!taken.ok) throw new Error(`in-process acquire refused: ${JSON.stringify(taken.results)}`);
    const released = await engine.releaseLocks(store, request);
    if (!released.ok || released.results[0]?.outcome !== "released")
      throw new Error(`in-process release failed: ${JSON.stringify(released.results)}`);
  };
  for (let i = 0; i < IN_PROCESS.warmup; i++) await pair();
  const samples: number[] = [];
  const start = nowMs();
  const deadline = start + IN_PROCESS.budgetMs;
  while (samples.length < IN_PROCESS.pairs && nowMs() < deadline) {
    const t0 = nowMs();
    await pair();
    samples.push(nowMs() - t0);
  }
  const elapsed = nowMs() - start;
  const lines = activityLines(repo).slice(linesBefore);
  checkActivity(lines, IN_PROCESS.warmup + samples.length, IN_PROCESS.path, check, "in-process");
  checkLocksEmpty(repo, check, "in-process");
  const capped =
    samples.length < IN_PROCESS.pairs ? `, stopped at the ${IN_PROCESS.budgetMs / 1000} s cap` : "";
  return [
    row(
      "in-process acquire+release",
      round(samples.length / (elapsed / 1000)),
      "pairs/s",
      `1 process, engine API from dist, ${samples.length} pairs after ${IN_PROCESS.warmup} warm-up${capped}`,
    ),
    ...latencyRows("in-process pair latency", samples),
  ];
}

function startWorker(repo: BenchRepo, agent: string, stream: string) {
  const child = fork(
    WORKER,
    [repo.stateDir, agent, stream, CONTENTION.path, String(CONTENTION.pairsPerProcess)],
    {
      cwd: PROJECT_ROOT,
      env: cleanEnv(),
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.once("message", (m: FromWorker) =>
      m.type === "ready" ? resolve() : reject(new Error(`${agent}: expected ready`)),
    );
    void exited.then((code) => reject(new Error(`${agent} exited (${code}) early: ${stderr}`)));
  });
  // An exit right after the last message must not beat that message: give IPC a moment.
  const exitedLate = exited.then(
    (code) => new Promise<number>((resolve) => setTimeout(() => resolve(code), 200)),
  );
  const done = ready.then(
    () =>
      new Promise<Done>((resolve, reject) => {
        child.once("message", (m: FromWorker) =>
          m.type === "done" ? resolve(m) : reject(new Error(`${agent}: expected done`)),
        );
        void exitedLate.then((code) =>
          reject(new Error(`${agent} exited (${code}) before reporting: ${stderr}`)),
        );
      }),
  );
  // Awaited later (or never, if another worker fails first): no unhandled rejection meanwhile.
  done.catch(() => {});
  ready.catch(() => {});
  return { child, ready, done, exited };
}

async function contention(repo: BenchRepo, check: Check): Promise<BenchRow[]> {
  const failuresBefore = check.failures.length;
  const linesBefore = activityLines(repo).length;
  const workers = AGENTS.map((a) => startWorker(repo, a.id, a.stream));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const go: ToWorker = { type: "go", budgetMs: CONTENTION.budgetMs };
    const start = nowMs();
    for (const w of workers) w.child.send(go);
    const results = await Promise.all(workers.map((w) => w.done));
    const elapsed = nowMs() - start;
    const codes = await Promise.all(workers.map((w) => w.exited));
    codes.forEach((code, i) => {
      if (code !== 0) fail(check, `contention: worker ${AGENTS[i]?.id} exited with ${code}`);
    });
    const pairs = results.reduce((sum, r) => sum + r.pairs, 0);
    const refusals = results.reduce((sum, r) => sum + r.refusals, 0);
    for (const r of results) for (const e of r.errors) fail(check, `contention ${r.agent}: ${e}`);
    const stopped = results.filter((r) => r.stoppedByBudget).length;
    const target = AGENTS.length * CONTENTION.pairsPerProcess;
    if (stopped > 0 && pairs === 0) fail(check, "contention: no pair completed within the budget");
    const lines = activityLines(repo).slice(linesBefore);
    checkActivity(lines, pairs, CONTENTION.path, check, "contention");
    checkLocksEmpty(repo, check, "contention");
    const pairMs = results.flatMap((r) => r.pairMs);
    const okPairMs = results.flatMap((r) => r.okPairMs);
    const perWorker = results.map((r) => r.pairs);
    const capped =
      stopped > 0
        ? `; ${stopped} processes stopped at the ${CONTENTION.budgetMs / 1000} s cap (${pairs}/${target} pairs)`
        : "";
    return [
      row(
        "8 processes, same path",
        round(pairs / (elapsed / 1000)),
        "pairs/s",
        `${AGENTS.length} processes x ${CONTENTION.pairsPerProcess} pairs, engine from dist, barrier start, retry at once when refused${capped}`,
      ),
      ...latencyRows(
        "contended pair latency, waiting included",
        pairMs,
        "first attempt (refused retries included) to end of release",
      ),
      ...latencyRows(
        "contended pair latency, successful calls",
        okPairMs,
        "the acquire that succeeded + the release, flock waits included",
      ),
      row(
        "refusals",
        refusals,
        "count",
        `ok === false acquires; mean ${round(refusals / Math.max(1, pairs))} per pair`,
      ),
      row(
        "pairs per process, min/max",
        Math.min(...perWorker),
        "pairs",
        `max ${Math.max(...perWorker)}: fairness between the 8 processes`,
      ),
      row(
        "file check after contention",
        check.failures.length === failuresBefore ? 1 : 0,
        "pass",
        `file_locks.json valid JSON with no lock left, 2 x ${pairs} pairs of activity lines alternating locked/released (and ${lines.filter((l) => /"action":\s*"refused"/.test(l)).length} refusals)`,
      ),
    ];
  } finally {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill();
  }
}

async function cli(repo: BenchRepo, check: Check): Promise<BenchRow[]> {
  const linesBefore = activityLines(repo).length;
  const timed = async (args: string[]): Promise<number> => {
    const t0 = nowMs();
    const result = await tower(repo.root, args);
    const ms = nowMs() - t0;
    if (result.code !== 0)
      fail(check, `cli: tower ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
    return ms;
  };
  // One untimed round trip warms the disk cache for Node and the CLI's modules.
  await timed(["lock", CLI_RUNS.path, "--agent", "A1"]);
  await timed(["unlock", CLI_RUNS.path, "--agent", "A1"]);
  const lockMs: number[] = [];
  const unlockMs: number[] = [];
  const roundMs: number[] = [];
  const start = nowMs();
  for (let i = 0; i < CLI_RUNS.roundTrips; i++) {
    const l = await timed(["lock", CLI_RUNS.path, "--agent", "A1"]);
    const u = await timed(["unlock", CLI_RUNS.path, "--agent", "A1"]);
    lockMs.push(l);
    unlockMs.push(u);
    roundMs.push(l + u);
  }
  const elapsed = nowMs() - start;
  const nodeMs: number[] = [];
  for (let i = 0; i < CLI_RUNS.nodeBaseline; i++) {
    const t0 = nowMs();
    await run(process.execPath, ["-e", ""], repo.root);
    nodeMs.push(nowMs() - t0);
  }
  const lines = activityLines(repo).slice(linesBefore);
  checkActivity(lines, CLI_RUNS.roundTrips + 1, CLI_RUNS.path, check, "cli");
  checkLocksEmpty(repo, check, "cli");
  return [
    row(
      "CLI tower lock + tower unlock",
      round(CLI_RUNS.roundTrips / (elapsed / 1000)),
      "round trips/s",
      `${CLI_RUNS.roundTrips} sequential round trips = 2 \`node dist/bin/tower.js\` processes each: Node start-up, plan load and git included`,
    ),
    ...latencyRows("CLI round trip", roundMs),
    row("CLI tower lock p50", round(percentile(lockMs, 50)), "ms"),
    row("CLI tower unlock p50", round(percentile(unlockMs, 50)), "ms"),
    row(
      "bare node -e '' p50",
      round(percentile(nodeMs, 50)),
      "ms",
      `Node start-up alone, for scale (mean of ${CLI_RUNS.nodeBaseline}: ${round(mean(nodeMs))} ms)`,
    ),
  ];
}

export const locks: Benchmark = {
  name: "locks",
  description:
    "file lock acquire+release: in-process engine, 8 contending processes on one path, and the CLI",
  async run(): Promise<BenchResult> {
    const engine = await loadEngine();
    const repo = await makeBenchRepo();
    const check: Check = { failures: [] };
    try {
      const rows = [
        ...(await inProcess(engine, repo, check)),
        ...(await contention(repo, check)),
        ...(await cli(repo, check)),
      ];
      return {
        rows,
        failures: check.failures,
        details: {
          inProcess: IN_PROCESS,
          contention: CONTENTION,
          cli: CLI_RUNS,
          agents: AGENTS.length,
        },
      };
    } finally {
      repo.cleanup();
    }
  },
};
