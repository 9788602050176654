/**
 * Fault injection on Tower itself: `tower lock`, `unlock`, `complete`, `handoff`, `approve` and
 * `start` killed with SIGKILL at random points of their lives, while the protocol's Python
 * writer grants locks in the same file_locks.json and, in half the runs, a process rewriting a
 * large file with fsync slows the disk down. Half the kills come at a random time over the
 * command's life (most of which is Node starting up and reading the plan); the other half come
 * 0 to 8 ms after the command's first change in the state directory, to land inside its writes.
 *
 * After each run the next Tower writer (`tower lock`, which writes back what a damaged
 * file_locks.json still holds) and the engine's own readers must find every state file readable
 * (recovered if needed), and:
 * - every lock that was granted (its command succeeded, or the Python writer said so) is there;
 * - every handoff, approval, start and completion that succeeded is stored;
 * - no activity line describes a change that is not stored (a lock, a release, a start, a
 *   completion, a handoff, an approval);
 * - the shared invariants (invariants.ts): no commit or file lost, nothing written in the fake
 *   HOME, no agent process left.
 */
import { existsSync, promises as fsp, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireLocks } from "../../src/engine/locks.js";
import { loadSeal } from "../../src/engine/seal.js";
import {
  activitySchema,
  backupPath,
  readJsonFile,
  readJsonl,
  STATE_FILES,
  StateStore,
  specs,
} from "../../src/engine/state/index.js";
import type { JsonFileSpec } from "../../src/engine/state/json-file.js";
import { PythonWriter } from "../helpers/python-writer.js";
import { makeRepo, type TempRepo, waitFor } from "../helpers/repo.js";
import { processesIn } from "./agents.js";
import { Invariants } from "./invariants.js";
import { type KillPlan, type Outcome, runTower, slowDisk } from "./killer.js";
import { faultRuns, seeded } from "./runs.js";

const RUNS = faultRuns(100);
const random = seeded("tower killed");
const STREAMS = Array.from({ length: 8 }, (_, i) => `S${i + 1}`);
const CHECKPOINTS = Array.from({ length: 16 }, (_, i) => `C${i + 1}`);
const agentOf = (stream: string) => `X${stream.slice(1)}`;
/** Agents that take locks (their streams need not have started). */
const LOCKERS = ["X1", "X2", "X3", "X4"];
/** Locks already in the file: a large file, so that each rewrite takes a while. */
const BASE_LOCKS = 1500;

const PLAN = `version: 1
project: kill
agent: [sh, -c, 'echo "$1"', sh, "{task}"]
checkpoints:
${CHECKPOINTS.map((c) => `  ${c}: { approval: human }`).join("\n")}
streams:
${STREAMS.map(
  (s) => `  ${s}:
    name: Stream ${s}
    scope: ["${s.toLowerCase()}/**"]
    agents: [{ id: ${agentOf(s)}, task: "work ${s}" }]`,
).join("\n")}
`;

type Kind = "lock" | "unlock" | "handoff" | "approve" | "start" | "complete";
type Status = "pending" | "in_progress" | "completed";

interface Model {
  /** Locks Tower granted (its command succeeded) and nobody tried to release. */
  towerLocks: Map<string, string>;
  /** Keys whose release was tried: present or not, either is right. */
  unlockTried: Set<string>;
  /** The task names of the handoffs that were recorded. */
  handoffs: Set<string>;
  approved: Set<string>;
  /** Each stream's status as far as it is known for sure (undefined: a command was cut short). */
  streams: Map<string, Status | undefined>;
}

interface Stats {
  runs: number;
  byKind: Record<string, number>;
  killed: number;
  /** Killed before it changed anything in the state directory. */
  killedBeforeWrite: number;
  /** Killed with a state file left damaged (empty or cut) or a copy left half-written. */
  killedMidWrite: number;
  /** Killed between writes: something changed, nothing left damaged. */
  killedBetweenWrites: number;
  completed: number;
  recovered: number;
  pythonCrashes: number;
  pythonGranted: number;
  towerGranted: number;
  leftoverTemps: number;
  refusedStartAfterKill: number;
  problems: number;
}

let repo: TempRepo;
let home: string;
let env: NodeJS.ProcessEnv;
let invariants: Invariants;
let python: PythonWriter;
/** Python grants sent to the current writer. */
let pythonSent = 0;
const model: Model = {
  towerLocks: new Map(),
  unlockTried: new Set(),
  handoffs: new Set(),
  approved: new Set(),
  streams: new Map(STREAMS.map((s) => [s, "pending" as Status])),
};
const stats: Stats = {
  runs: 0,
  byKind: {},
  killed: 0,
  killedBeforeWrite: 0,
  killedMidWrite: 0,
  killedBetweenWrites: 0,
  completed: 0,
  recovered: 0,
  pythonCrashes: 0,
  pythonGranted: 0,
  towerGranted: 0,
  leftoverTemps: 0,
  refusedStartAfterKill: 0,
  problems: 0,
};
/** Each problem found, once, with the first run that found it. */
const problems = new Map<string, string>();
/** The run going on, to label what is found. */
let current = "";
const report = (label: string, problem: string) => {
  if (!problems.has(problem)) problems.set(problem, label);
};
/** How long each kind of command lives, from the runs that ended by themselves. */
const lifetimes = new Map<Kind, number[]>();

const state = (name: string) => path.join(repo.stateDir, name);

const pad2 = (n: number) => String(n).padStart(2, "0");
const naive = (date: Date) =>
  `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}T${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.000000`;

/** A file_locks.json of BASE_LOCKS locks held for a day, as the Python helper would leave it. */
async function writeBaseLocks(): Promise<void> {
  const now = new Date();
  const later = new Date(now.getTime() + 86_400_000);
  const locks: Record<string, unknown> = {};
  for (let i = 0; i < BASE_LOCKS; i++) {
    locks[`base/${String(i).padStart(4, "0")}/module_${i}.py`] = {
      agent: "py",
      stream: "P",
      acquired: naive(now),
      expires: naive(later),
      task: `keep module ${i} stable while its callers change`,
    };
  }
  const text = `${JSON.stringify({ locks, version: 1 }, null, 2)}\n`;
  await fsp.writeFile(state("file_locks.json"), text);
  await fsp.writeFile(backupPath(state("file_locks.json")), text);
}

/** The text of every file of the state directory (not its folders), to see what a run changed. */
function stateFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(repo.stateDir)) {
    try {
      out.set(name, readFileSync(state(name), "utf8"));
    } catch {}
  }
  return out;
}

/** Whether a JSON state file's text would need recovering (blank, or not JSON). */
function damaged(text: string): boolean {
  if (text.trim() === "") return true;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

const JSON_FILES: string[] = Object.values(STATE_FILES).filter((name) => name.endsWith(".json"));

/** What a killed run left: nothing changed, something damaged or half-copied, or whole writes. */
function classify(before: Map<string, string>): "before" | "mid" | "between" {
  const after = stateFiles();
  const temps = [...after.keys()].filter((name) => name.endsWith(".tmp") && !before.has(name));
  if (temps.length > 0) return "mid";
  if (JSON_FILES.some((name) => after.has(name) && damaged(after.get(name) as string)))
    return "mid";
  const changed = [...after].some(([name, text]) => before.get(name) !== text);
  return changed ? "between" : "before";
}

/** The command for a run of `kind`, and what its success means for the model. */
function command(kind: Kind, run: number): { args: string[]; key?: string; target?: string } {
  switch (kind) {
    case "lock": {
      const key = `tw/r${run}.py`;
      return { args: ["lock", key, "--agent", random.pick(LOCKERS)], key };
    }
    case "unlock": {
      const [key, agent] = random.pick([...model.towerLocks]);
      return { args: ["unlock", key, "--agent", agent], key };
    }
    case "handoff": {
      const task = `handoff-${run}`;
      return {
        args: [
          "handoff",
          "--from",
          "X1",
          "--to",
          "X2,X3",
          "--task",
          task,
          "--interface",
          `api_${run}()`,
          "--breaking",
          "none",
          "--tests",
          "passing",
          "--note",
          `run ${run}`,
        ],
        target: task,
      };
    }
    case "approve": {
      const target = random.pick(CHECKPOINTS.filter((c) => !model.approved.has(c)));
      return { args: ["approve", target], target };
    }
    case "start": {
      const target = random.pick(STREAMS.filter((s) => model.streams.get(s) !== "completed"));
      return { args: ["start", target], target };
    }
    case "complete": {
      const target = random.pick(STREAMS.filter((s) => model.streams.get(s) !== "pending"));
      return { args: ["complete", target], target };
    }
  }
}

function chooseKind(): Kind {
  const kinds: Kind[] = ["lock", "lock", "lock", "handoff", "start", "complete"];
  if (model.towerLocks.size > 0) kinds.push("unlock", "unlock");
  if (CHECKPOINTS.some((c) => !model.approved.has(c))) kinds.push("approve");
  const kind = random.pick(kinds);
  if (kind === "start" && STREAMS.every((s) => model.streams.get(s) === "completed")) return "lock";
  if (kind === "complete" && STREAMS.every((s) => model.streams.get(s) === "pending"))
    return "start";
  return kind;
}

/** Updates the model from how the command ended. */
function learn(kind: Kind, cmd: ReturnType<typeof command>, args: string[], out: Outcome): void {
  const ok = out.code === 0;
  const cut = out.killed;
  if (kind === "lock" && ok) {
    const agent = args[3] as string;
    model.towerLocks.set(cmd.key as string, agent);
    invariants.granted(cmd.key as string, agent);
    stats.towerGranted++;
  } else if (kind === "unlock") {
    model.unlockTried.add(cmd.key as string);
    model.towerLocks.delete(cmd.key as string);
    invariants.released(cmd.key as string);
    if (!ok && !cut) report(current, `unlock ${cmd.key} failed: ${out.stderr}`);
  } else if (kind === "handoff" && ok) model.handoffs.add(cmd.target as string);
  else if (kind === "approve" && ok) model.approved.add(cmd.target as string);
  else if (kind === "start") {
    const target = cmd.target as string;
    if (ok) model.streams.set(target, "in_progress");
    else if (cut) model.streams.set(target, undefined);
    else if (model.streams.get(target) === undefined) {
      // A start cut short may leave its branch or worktree without the record: say it, and
      // count it; nothing is lost, the stream needs a hand.
      stats.refusedStartAfterKill++;
      console.log(`start ${target} after a killed start: ${out.stderr.trim()}`);
    } else report(current, `start ${target} failed: ${out.stderr}`);
  } else if (kind === "complete") {
    const target = cmd.target as string;
    if (ok || out.stderr.includes("is already completed")) model.streams.set(target, "completed");
    else if (cut) model.streams.set(target, undefined);
    else if (!out.stderr.includes("has not started")) {
      report(current, `complete ${target} failed: ${out.stderr}`);
    }
  } else if (!ok && !cut) {
    report(current, `${args.join(" ")} failed (${out.code}): ${out.stderr}`);
  }
}

/** Starts a new Python writer when the last one ended (it cannot read a damaged file). */
function pythonAlive(): void {
  if (python.child.exitCode === null && python.child.signalCode === null) return;
  stats.pythonCrashes++;
  const last = python.stderr.trim().split("\n").pop() ?? "";
  if (!last.includes("JSONDecodeError")) report(current, `the Python writer ended: ${last}`);
  python = new PythonWriter(state("file_locks.json"), { HOME: home });
  pythonSent = 0;
}

/** Waits until the Python writer answered every grant sent, or ended. */
async function pythonIdle(): Promise<void> {
  await waitFor(
    () =>
      python.granted.length >= pythonSent || python.child.exitCode !== null ? true : undefined,
    60_000,
    "the Python writer's answers",
  );
}

/** The first few of a list, for a message. */
const some = (items: string[]) =>
  `${items.length} (${items.slice(0, 4).join(", ")}${items.length > 4 ? ", ..." : ""})`;

/** Every check after a run; returns the problems found. */
async function verify(run: number): Promise<string[]> {
  const found: string[] = [];
  // The engine's readers (read-only) find every JSON file readable, recovered if need be.
  const read = async <T>(name: string, spec: JsonFileSpec<T>) => {
    try {
      return await readJsonFile<T>(state(name), spec, {
        onRecovered: () => {
          stats.recovered++;
        },
      });
    } catch (error) {
      found.push(`${name} cannot be read: ${(error as Error).message}`);
      return undefined;
    }
  };
  // Read-only first (it recovers a damaged file in memory, and writes nothing).
  const recovering = await read(STATE_FILES.locks, specs.locks);
  if (recovering) {
    const unseen = [...model.towerLocks].filter(
      ([key, agent]) => recovering.locks[key]?.agent !== agent,
    );
    if (unseen.length > 0) found.push(`a reader does not see ${some(unseen.map(([key]) => key))}`);
  }
  // The next Tower writer (what `tower lock` runs, in this process: a Node start-up less per
  // run): writes back what a damaged file_locks.json holds.
  const probe = `probe/r${run}.py`;
  const next = await acquireLocks(new StateStore(repo.stateDir), {
    paths: [probe],
    agent: "X5",
    stream: "S5",
  }).catch((error: Error) => error);
  if (next instanceof Error || !next.ok) {
    found.push(`the next writer of file_locks.json failed: ${JSON.stringify(next)}`);
  } else {
    model.towerLocks.set(probe, "X5");
    invariants.granted(probe, "X5");
  }
  // A writer of file_locks.json holds its lock: no copy of it can be in the making then.
  const stale = readdirSync(repo.stateDir).filter(
    (name) => name.startsWith("file_locks.json.bak.") && name.endsWith(".tmp"),
  );
  if (stale.length > 0)
    found.push(`half-written copies of file_locks.json left after its next writer: ${some(stale)}`);
  const locks = await read(STATE_FILES.locks, specs.locks);
  const orchestrator = await read(STATE_FILES.orchestrator, specs.orchestrator);
  const handoffs = await read(STATE_FILES.handoffs, specs.handoffs);
  const checkpoints = await read(STATE_FILES.checkpoints, specs.checkpoints);
  await read(STATE_FILES.agents, specs.agents);
  await read(STATE_FILES.tasks, specs.tasks);
  if (!locks || !orchestrator || !handoffs || !checkpoints) return found;

  const seal = await loadSeal(repo.root, { env });
  const approved = (id: string) => {
    const entry = checkpoints.checkpoints[id];
    return entry?.status === "approved" && seal.verify(id, entry);
  };
  const handedOff = (task: string) =>
    handoffs.handoffs.some((h) => (h.completed_tasks ?? []).includes(task));
  const status = (id: string) => orchestrator.streams[id]?.status ?? "pending";

  // What succeeded is stored.
  for (const id of model.approved) if (!approved(id)) found.push(`approval of ${id} lost`);
  for (const task of model.handoffs) if (!handedOff(task)) found.push(`handoff ${task} lost`);
  for (const [id, known] of model.streams) {
    if (known !== undefined && status(id) !== known)
      found.push(`stream ${id} is ${status(id)}, but ${known} was recorded`);
  }

  // No activity line describes a change that is not stored.
  const activity = await readJsonl(state(STATE_FILES.activity), activitySchema);
  const lastLockLine = new Map<string, Record<string, unknown>>();
  for (const entry of activity.entries as Record<string, unknown>[]) {
    const action = entry.action;
    if ((action === "locked" || action === "released") && typeof entry.file === "string") {
      lastLockLine.set(entry.file, entry);
    } else if (action === "completed" && typeof entry.stream === "string") {
      if (!["completed", "merged", "merge_failed"].includes(status(entry.stream)))
        found.push(
          `activity says ${entry.stream} completed; it is stored as ${status(entry.stream)}`,
        );
    } else if (action === "started" && typeof entry.stream === "string") {
      if (status(entry.stream) === "pending")
        found.push(`activity says ${entry.stream} started; it is not stored`);
    } else if (action === "handoff") {
      for (const task of (entry.completed_tasks as string[]) ?? []) {
        if (!handedOff(task)) found.push(`activity has handoff ${task}; it is not stored`);
      }
    } else if (action === "checkpoint_approved" && typeof entry.checkpoint === "string") {
      if (!approved(entry.checkpoint))
        found.push(`activity says ${entry.checkpoint} approved; it is not stored`);
    }
  }
  const notStored: string[] = [];
  for (const [key, line] of lastLockLine) {
    const stored = locks.locks[key];
    if (line.action === "locked" && !stored && !model.unlockTried.has(key)) notStored.push(key);
    if (line.action === "released" && stored)
      found.push(`activity says ${key} released; it is still stored`);
  }
  if (notStored.length > 0)
    found.push(`activity says ${some(notStored)} locked; no such lock is stored`);
  found.push(...(await invariants.check()));
  return found;
}

/** `tower check` finds nothing wrong but recovered files (it says so for those). */
async function towerCheck(): Promise<string[]> {
  const result = await runTower(repo.root, ["check"], env, { never: true });
  if (result.code === 0) return [];
  return (
    result.stderr
      .split("\n")
      .filter((line) => line.trim() !== "" && !/problems? found$/.test(line))
      .filter((line) => !line.includes("last good copy"))
      .filter((line) => !line.startsWith("warning:"))
      // Notes are not problems (an untrusted plan...): they come with the output of one.
      .filter((line) => !line.startsWith("note:"))
      .map((line) => `tower check: ${line}`)
  );
}

async function oneRun(run: number): Promise<void> {
  const kind = chooseKind();
  const cmd = command(kind, run);
  stats.runs++;
  stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
  const atWrite = random.chance(0.5);
  const disk = random.chance(0.5) ? slowDisk(path.dirname(repo.root)) : undefined;
  const known = lifetimes.get(kind) ?? [];
  const life = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 800;
  // Aimed at Tower's writes: half at the first change of any file (the copy it keeps first),
  // half at the first change of a JSON state file itself (its truncation), killed at once.
  const plan: KillPlan = !atWrite
    ? { afterMs: random.between(0, life * 1.15) }
    : random.chance(0.5)
      ? { atWriteIn: repo.stateDir, delayMs: random.between(0, 8) }
      : {
          atWriteIn: repo.stateDir,
          only: (name) => JSON_FILES.includes(name),
          delayMs: random.between(0, 0.5),
        };
  // The Python writer grants locks through the run (not in the runs aimed at Tower's writes,
  // whose kill waits for the first change in the folder, which must be Tower's).
  const grants: NodeJS.Timeout[] = [];
  if (!atWrite) {
    for (let i = 0; i < 3; i++) {
      grants.push(
        setTimeout(
          () => {
            if (python.child.exitCode !== null) return;
            pythonSent++;
            python.send(`grant py/r${run}-${i} 86400`);
          },
          random.between(0, life),
        ),
      );
    }
  }
  const before = stateFiles();
  const grantedBefore = python.granted.length;
  let out: Outcome;
  try {
    out = await runTower(repo.root, cmd.args, env, plan);
  } finally {
    for (const timer of grants) clearTimeout(timer);
    await disk?.stop();
  }
  // The git a killed Tower started goes on by itself: let it finish.
  await waitFor(
    () => (processesIn(path.dirname(repo.root)).length === 0 ? true : undefined),
    30_000,
    "the killed command's children",
  );
  if (out.killed) {
    stats.killed++;
    const where = classify(before);
    if (where === "before") stats.killedBeforeWrite++;
    else if (where === "mid") stats.killedMidWrite++;
    else stats.killedBetweenWrites++;
  } else {
    stats.completed++;
    lifetimes.set(kind, [...known, out.ms].slice(-10));
  }
  current = `run ${run} (${cmd.args.slice(0, 2).join(" ")}, ${out.killed ? `killed after ${Math.round(out.ms)} ms` : `exit ${out.code}`})`;
  learn(kind, cmd, cmd.args, out);
  // The Python writer may well be the next to write after a kill, before any Tower.
  if (out.killed && random.chance(0.5) && python.child.exitCode === null) {
    pythonSent++;
    python.send(`grant py/r${run}-next 86400`);
  }
  await pythonIdle();
  for (const key of python.granted.slice(grantedBefore)) {
    invariants.granted(key, "py");
    stats.pythonGranted++;
  }
  pythonAlive();
  stats.leftoverTemps += readdirSync(repo.stateDir).filter((n) => n.endsWith(".tmp")).length;

  const found = await verify(run);
  if (run % 10 === 9) found.push(...(await towerCheck()));
  for (const problem of found) report(current, problem);
  stats.problems = problems.size;
}

describe("Tower killed with SIGKILL at random points of its writes", () => {
  beforeAll(async () => {
    repo = await makeRepo({ plan: PLAN });
    const parent = path.dirname(repo.root);
    home = path.join(parent, "home");
    mkdirSync(path.join(home, ".config"), { recursive: true });
    // Tower's own folder (the seal key, made by the first approval) is this test's own.
    env = { HOME: home, TOWER_CONFIG_DIR: path.join(parent, "tower-config") };
    await writeBaseLocks();
    python = new PythonWriter(state("file_locks.json"), { HOME: home });
    invariants = await Invariants.take({
      root: repo.root,
      stateDir: repo.stateDir,
      sentinels: [home],
    });
  });
  afterAll(async () => {
    await python?.kill();
    repo?.cleanup();
  });

  it(`keeps every state file readable and every granted lock over ${RUNS} runs`, async () => {
    for (let run = 0; run < RUNS; run++) await oneRun(run);
    for (const problem of await towerCheck()) report("at the end", problem);
    console.log(`tower killed: ${JSON.stringify(stats)}`);
    const found = [...problems].map(([problem, label]) => `${label}: ${problem}`);
    for (const line of found) console.log(line);
    expect(existsSync(state("file_locks.json"))).toBe(true);
    expect(found, `replay with TOWER_FAULT_SEED=${random.seed}`).toEqual([]);
  }, 1_200_000);
});
