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
import { promises as fsp, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

/** 25 runs a case, 100 in all (TOWER_FAULT_RUNS changes it, for a quick try). */
const RUNS_PER_CASE = Number(process.env.TOWER_FAULT_RUNS ?? 25);
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

const random = (low: number, high: number) => low + Math.random() * (high - low);

async function lockedPaths(repo: TempRepo): Promise<{ paths: Set<string>; stderr: string }> {
  const listed = await tower(repo.root, ["locks", "--json"]);
  expect(listed.code, listed.stderr).toBe(0);
  const paths = (JSON.parse(listed.stdout) as { path: string }[]).map((l) => l.path);
  return { paths: new Set(paths), stderr: listed.stderr };
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

  const watcher = new Watcher(file);
  const python = new PythonWriter(file);
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
        const result = await tower(repo.root, ["lock", call.key, "--agent", "A1"]);
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
      await new Promise((resolve) => setTimeout(resolve, random(0, size > 100 ? 800 : 300)));
    } else {
      // Whole rewrites, then one stopped at a random point, held there, and killed.
      python.send(`loop py/${run} ${size > 100 ? 3 : 6} 3600`);
      await towerGranted();
      python.send(`stall-at py/${run}-cut ${Math.random().toFixed(4)}`);
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

  const readOnly = await lockedPaths(repo);
  const writer = await tower(repo.root, ["lock", `probe/${run}.py`, "--agent", "A2"]);
  expect(writer.code, writer.stderr).toBe(0);
  const written = (JSON.parse(await fsp.readFile(file, "utf8")) as { locks: object }).locks;
  const after = new Set(Object.keys(written));

  const lostGuaranteed = guaranteed.filter((key) => !readOnly.paths.has(key) || !after.has(key));
  const warnings = (await warningsIn(repo)).slice(warningsBefore);
  const midWrite = warnings.length > 0 || readOnly.stderr.includes("last good copy");
  const prefix =
    warnings.some((w) => String(w.warning).includes("is not valid JSON")) ||
    readOnly.stderr.includes("is not valid JSON") ||
    watcher.damagedSizes.some((bytes) => bytes > 0);
  return {
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
  }
  totals[name] = stats;
  console.log(`${name}: ${JSON.stringify(stats)}`);
  expect(lost).toEqual([]);
}

describe("the protocol's Python writer killed at random points of its rewrites", () => {
  let repo: TempRepo;
  beforeAll(async () => {
    repo = await makeRepo();
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
