/**
 * Fault injection on file_locks.json: the protocol's Python writer (fcntl.flock, in-place
 * rewrite through Python's buffered file object) killed with SIGKILL at random points of its
 * rewrites, while `tower lock` calls run and a watcher process takes snapshots of the file with
 * snapshotGoodCopy as the control room's state watcher does. After each kill, the next Tower
 * commands (read-only `tower locks`, then a writer) must keep every lock Tower guarantees:
 *
 * - every lock a `tower lock` granted (it exited 0), and every lock that was in the file before;
 * - every lock the Python writer granted (its rewrite completed and it said so) that a Tower
 *   process saw before the kill: a `tower lock` started after the grant and finished before the
 *   kill, or the watcher reported a snapshot holding it before the kill.
 *
 * A lock the Python writer granted that no Tower process saw before a later rewrite of the same
 * writer was cut is not guaranteed (nothing but the file held it, and the cut rewrite truncated
 * the file); those losses are counted and printed, not asserted.
 *
 * Two file sizes: about 20 locks (a few KB: Python's buffer holds all of it, so a kill leaves an
 * empty or whole file) and about 2,000 (about 400 KB: Python flushes it in 8 KB pieces, so a
 * kill leaves a prefix). Two kinds of kill: at a random time while the writer rewrites in a loop,
 * and at a random fraction of one rewrite (written, flushed and held there, then killed).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { promises as fsp, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireLocks } from "../../src/engine/locks.js";
import { readJsonFile, StateStore, specs } from "../../src/engine/state/index.js";
import { PythonWriter } from "../helpers/python-writer.js";
import {
  cleanEnv,
  makeRepo,
  PROJECT_ROOT,
  readJsonlFile,
  type TempRepo,
  tower,
  waitFor,
} from "../helpers/repo.js";
import { Invariants } from "./invariants.js";
import { faultRuns, seeded } from "./runs.js";

/** 100 runs in all, 25 a case (TOWER_FAULT_RUNS=<n> makes n in all, for a quick try). */
const RUNS_PER_CASE = Math.max(1, Math.round(faultRuns(100) / 4));
const random = seeded("python writer killed");
const STATE_INDEX = path.join(PROJECT_ROOT, "dist/engine/state/index.js");

/** Follows the state folder with fs.watch and snapshots file_locks.json on each change. */
const WATCHER = `
const fs = await import("node:fs");
const path = await import("node:path");
const { snapshotGoodCopy, specs } = await import(${JSON.stringify(STATE_INDEX)});
const file = process.argv[1];
const seen = new Set();
let running = false;
let again = false;
async function snap() {
  if (running) { again = true; return; }
  running = true;
  do {
    again = false;
    try {
      const result = await snapshotGoodCopy(file, specs.locks);
      if (result === "copied") {
        const copy = JSON.parse(fs.readFileSync(file + ".bak", "utf8"));
        const fresh = Object.keys(copy.locks).filter((key) => !seen.has(key));
        for (const key of fresh) seen.add(key);
        process.stdout.write("copied " + JSON.stringify(fresh) + "\\n");
      } else if (result === "damaged") {
        process.stdout.write("damaged " + fs.statSync(file).size + "\\n");
      }
    } catch (error) {
      process.stdout.write("error " + error.message + "\\n");
    }
  } while (again);
  running = false;
}
fs.watch(path.dirname(file), (_event, name) => {
  if (name === path.basename(file)) void snap();
});
process.stdout.write("watching\\n");
`;

class Watcher {
  readonly child: ChildProcessWithoutNullStreams;
  /** Keys reported in a snapshot, with when the report arrived. */
  readonly copiedAt = new Map<string, number>();
  readonly damagedSizes: number[] = [];
  readonly errors: string[] = [];
  private ready = false;
  private buffer = "";

  constructor(file: string) {
    this.child = spawn(process.execPath, ["--input-type=module", "-e", WATCHER, file], {
      env: cleanEnv(),
    });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString("utf8");
      const lines = this.buffer.split("\n");
      this.buffer = lines.pop() ?? "";
      for (const line of lines) this.take(line);
    });
  }

  private take(line: string): void {
    const now = performance.now();
    if (line === "watching") this.ready = true;
    else if (line.startsWith("copied ")) {
      for (const key of JSON.parse(line.slice(7)) as string[]) {
        if (!this.copiedAt.has(key)) this.copiedAt.set(key, now);
      }
    } else if (line.startsWith("damaged ")) this.damagedSizes.push(Number(line.slice(8)));
    else this.errors.push(line);
  }

  started(): Promise<boolean> {
    return waitFor(() => (this.ready ? true : undefined), 20_000, "the watcher");
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

interface TowerCall {
  key: string;
  spawnedAt: number;
  exitedAt?: number;
  code?: number;
  stderr?: string;
}

interface RunResult {
  /** What the shared invariant checker found. */
  broken: string[];
  /** The file was found damaged after the kill (a kill in the middle of a rewrite). */
  midWrite: boolean;
  /** ...and what remained was a non-empty prefix. */
  prefix: boolean;
  guaranteed: number;
  lostGuaranteed: string[];
  pythonGranted: number;
  towerGranted: number;
  uncovered: number;
  uncoveredLost: number;
}

interface Stats {
  runs: number;
  midWrite: number;
  prefix: number;
  guaranteed: number;
  lostGuaranteed: number;
  pythonGranted: number;
  towerGranted: number;
  uncovered: number;
  uncoveredLost: number;
}

const pad2 = (n: number) => String(n).padStart(2, "0");
const naive = (date: Date) =>
  `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}T${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.000000`;

/** The file as a Tower writer leaves it: `count` locks, an hour to live, the same in the copy. */
function writeBase(file: string, count: number): string[] {
  const now = new Date();
  const later = new Date(now.getTime() + 3_600_000);
  const locks: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    locks[`base/${String(i).padStart(4, "0")}/module_${i}.py`] = {
      agent: i % 2 ? "B1" : "py",
      stream: i % 2 ? "B" : "P",
      acquired: naive(now),
      expires: naive(later),
      task: `keep module ${i} stable while the refactoring of its callers goes on`,
    };
  }
  const text = `${JSON.stringify({ locks, version: 1 }, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(`${file}.bak`, text);
  return Object.keys(locks);
}

/**
 * The locks a read-only reader sees (what `tower locks` reads, in this process: a Node start-up
 * less per run), and what it said of a recovery.
 */
async function lockedPaths(file: string): Promise<{ paths: Set<string>; stderr: string }> {
  let said = "";
  const locks = await readJsonFile(file, specs.locks, {
    onRecovered: (_file, message) => {
      said += `${message}\n`;
    },
  });
  return { paths: new Set(Object.keys(locks.locks)), stderr: said };
}

async function warningsIn(repo: TempRepo): Promise<Record<string, unknown>[]> {
  const file = path.join(repo.stateDir, "agent_activity.jsonl");
  return (await readJsonlFile(file)).filter(
    (e) => e.action === "warning" && e.file === "file_locks.json",
  );
}

async function oneRun(
  repo: TempRepo,
  run: number,
  size: number,
  kill: "timed" | "cut",
): Promise<RunResult> {
  const file = path.join(repo.stateDir, "file_locks.json");
  const base = writeBase(file, size);
  const warningsBefore = (await warningsIn(repo)).length;
  // The base locks are in the snapshot; what is granted during the run is declared below.
  const invariants = await Invariants.take({
    root: repo.root,
    stateDir: repo.stateDir,
    sentinels: [home],
  });

  const watcher = new Watcher(file);
  const python = new PythonWriter(file, { HOME: home });
  const calls: TowerCall[] = [];
  let stopTower = false;
  let towerLoop: Promise<void> = Promise.resolve();
  let killAt: number;
  try {
    await watcher.started();
    towerLoop = (async () => {
      for (let j = 0; !stopTower; j++) {
        const call: TowerCall = { key: `tw/${run}-${j}.py`, spawnedAt: performance.now() };
        calls.push(call);
        const result = await tower(repo.root, ["lock", call.key, "--agent", "A1"], { HOME: home });
        call.exitedAt = performance.now();
        call.code = result.code;
        call.stderr = result.stderr;
      }
    })();
    // The kill comes once a `tower lock` has been granted since the run began, so that the
    // writer killed is never the first to change the file after Tower.
    const towerGranted = () =>
      waitFor(() => (calls.some((c) => c.code === 0) ? true : undefined), 60_000, "a Tower lock");
    if (kill === "timed") {
      // Rewrites in a row until killed at a random time.
      python.send(`loop py/${run} ${size > 100 ? 200 : 2000} 3600`);
      await python.until(`granted py/${run}-0`);
      await towerGranted();
      await new Promise((resolve) =>
        setTimeout(resolve, random.between(0, size > 100 ? 800 : 300)),
      );
    } else {
      // Whole rewrites, then one stopped at a random point, held there, and killed.
      python.send(`loop py/${run} ${size > 100 ? 3 : 6} 3600`);
      await towerGranted();
      python.send(`stall-at py/${run}-cut ${random.next().toFixed(4)}`);
      await python.until("stalled");
    }
  } finally {
    killAt = performance.now();
    await python.kill();
    stopTower = true;
    await towerLoop;
    await watcher.stop();
  }
  expect(watcher.errors).toEqual([]);

  for (const call of calls) expect(call.code, call.stderr).toBe(0);
  const towerKeys = calls.map((c) => c.key);
  const covered = (key: string): boolean => {
    const granted = python.grantedAt.get(key) as number;
    const seenByTower = calls.some(
      (c) => c.spawnedAt > granted && c.code === 0 && (c.exitedAt as number) < killAt,
    );
    const copied = watcher.copiedAt.get(key);
    return seenByTower || (copied !== undefined && copied < killAt);
  };
  const pythonCovered = python.granted.filter(covered);
  const uncovered = python.granted.filter((key) => !covered(key));
  const guaranteed = [...base, ...towerKeys, ...pythonCovered];

  const readOnly = await lockedPaths(file);
  // The next writer (what `tower lock` runs, in this process): writes back what it recovers.
  const writer = await acquireLocks(new StateStore(repo.stateDir), {
    paths: [`probe/${run}.py`],
    agent: "A2",
    stream: "A",
  });
  expect(writer.ok).toBe(true);
  const written = (JSON.parse(await fsp.readFile(file, "utf8")) as { locks: object }).locks;
  const after = new Set(Object.keys(written));

  const lostGuaranteed = guaranteed.filter((key) => !readOnly.paths.has(key) || !after.has(key));
  const warnings = (await warningsIn(repo)).slice(warningsBefore);
  const midWrite = warnings.length > 0 || readOnly.stderr.includes("last good copy");
  const prefix =
    warnings.some((w) => String(w.warning).includes("is not valid JSON")) ||
    readOnly.stderr.includes("is not valid JSON") ||
    watcher.damagedSizes.some((bytes) => bytes > 0);
  // The shared invariants: no commit or file lost, the fake HOME untouched, no agent left, and
  // every lock Tower guarantees (the base ones are in the snapshot) still held by its holder.
  for (const key of towerKeys) invariants.granted(key, "A1");
  for (const key of pythonCovered) invariants.granted(key, "py");
  invariants.granted(`probe/${run}.py`, "A2");
  const broken = await invariants.check();
  return {
    broken,
    midWrite,
    prefix: midWrite && prefix,
    guaranteed: guaranteed.length,
    lostGuaranteed,
    pythonGranted: python.granted.length,
    towerGranted: towerKeys.length,
    uncovered: uncovered.length,
    uncoveredLost: uncovered.filter((key) => !after.has(key)).length,
  };
}

const totals: Record<string, Stats> = {};
/** A fake HOME for every process the test starts: nothing may be written there. */
let home: string;

async function runCase(repo: TempRepo, name: string, size: number, kill: "timed" | "cut") {
  const stats: Stats = {
    runs: 0,
    midWrite: 0,
    prefix: 0,
    guaranteed: 0,
    lostGuaranteed: 0,
    pythonGranted: 0,
    towerGranted: 0,
    uncovered: 0,
    uncoveredLost: 0,
  };
  const lost: string[] = [];
  for (let run = 0; run < RUNS_PER_CASE; run++) {
    const result = await oneRun(repo, run, size, kill);
    stats.runs++;
    stats.midWrite += Number(result.midWrite);
    stats.prefix += Number(result.prefix);
    stats.guaranteed += result.guaranteed;
    stats.lostGuaranteed += result.lostGuaranteed.length;
    stats.pythonGranted += result.pythonGranted;
    stats.towerGranted += result.towerGranted;
    stats.uncovered += result.uncovered;
    stats.uncoveredLost += result.uncoveredLost;
    lost.push(...result.lostGuaranteed.map((key) => `run ${run}: ${key}`));
    lost.push(...result.broken.map((problem) => `run ${run}: ${problem}`));
  }
  totals[name] = stats;
  console.log(`${name}: ${JSON.stringify(stats)}`);
  expect(lost, `replay with TOWER_FAULT_SEED=${random.seed}`).toEqual([]);
}

describe("the protocol's Python writer killed at random points of its rewrites", () => {
  let repo: TempRepo;
  beforeAll(async () => {
    repo = await makeRepo();
    home = path.join(path.dirname(repo.root), "home");
    mkdirSync(path.join(home, ".config"), { recursive: true });
    writeFileSync(path.join(home, ".profile"), "# the user's\n");
  });
  afterAll(() => {
    console.log(`totals: ${JSON.stringify(totals)}`);
    repo.cleanup();
  });

  it("a file of about 20 locks, killed at a random time", async () => {
    await runCase(repo, "small, timed", 20, "timed");
  }, 600_000);

  it("a file of about 20 locks, killed at a random point of one rewrite", async () => {
    await runCase(repo, "small, cut", 20, "cut");
  }, 600_000);

  it("a file of about 2,000 locks (Python flushes part of it), killed at a random time", async () => {
    await runCase(repo, "large, timed", 2000, "timed");
  }, 600_000);

  it("a file of about 2,000 locks, killed at a random point of one rewrite", async () => {
    await runCase(repo, "large, cut", 2000, "cut");
  }, 600_000);
});
