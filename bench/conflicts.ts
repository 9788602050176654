/**
 * `conflicts`: how long one full conflict scan takes on a large repository, the scan the UI
 * repeats every few seconds.
 *
 * The repository: 5,000 files (half TypeScript, half Python, small realistic modules importing
 * each other) in 50 packages, written with one `git fast-import`. Eight active streams A..H, each
 * on its own branch and worktree, each changing 200 files: 120 committed (110 in its own
 * packages, 10 in the next stream's), 25 staged, 35 unstaged (10 in the next stream's packages)
 * and 20 untracked new modules. Changes to the next stream's files overlap that stream's own
 * changes, half on the same lines; two committed same-line edits per stream are real textual
 * conflicts. New code imports modules the next stream changed, and the next stream's agent holds
 * locks on five of the files (one of them through a folder lock).
 *
 * Measured through the engine from dist/: a cold scan (merge predictions forgotten before each
 * run, as in a fresh `tower conflicts`), a warm scan (remembered, as in the UI's repeated scans),
 * recording the warnings, and the CLI end to end. Checks: every kind of warning appears, and no
 * ref, index or working tree changed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as ConflictsModule from "../src/engine/conflicts/index.js";
import type * as PlanModule from "../src/engine/plan/index.js";
import type * as StateModule from "../src/engine/state/index.js";
import { sized } from "./lib/mode.js";
import { cleanEnv, PROJECT_ROOT, tower } from "./lib/repo.js";
import { nowMs, percentile, round } from "./lib/stats.js";
import { type Benchmark, type BenchResult, type BenchRow, row } from "./lib/types.js";

const SIZE = {
  packages: 50,
  filesPerPackage: 100,
  streams: 8,
  ownCommitted: 110,
  staged: 25,
  unstaged: 25,
  untracked: 20,
  /** Files of the next stream changed: committed, then unstaged. */
  neighbourCommitted: 10,
  neighbourUnstaged: 10,
  /** Of the neighbour files, how many are changed on the same lines (committed / unstaged). */
  sameLineCommitted: 2,
  sameLineUnstaged: 5,
  locksPerStream: 5,
};
/** Quick mode keeps the repository (its build is a few seconds) and repeats less. */
const RUNS = sized({ cold: 5, warm: 10, cli: 3 }, { cold: 2, warm: 2, cli: 1 });
const IDS = "ABCDEFGH".split("");

interface Engine {
  conflicts: typeof ConflictsModule;
  plan: typeof PlanModule;
  state: typeof StateModule;
}

async function loadEngine(): Promise<Engine> {
  const load = (file: string) => import(pathToFileURL(path.join(PROJECT_ROOT, "dist", file)).href);
  return {
    conflicts: (await load("engine/conflicts/index.js")) as typeof ConflictsModule,
    plan: (await load("engine/plan/index.js")) as typeof PlanModule,
    state: (await load("engine/state/index.js")) as typeof StateModule,
  };
}

const git = (cwd: string, args: string[], input?: string): string =>
  execFileSync("git", args, {
    cwd,
    input,
    encoding: "utf8",
    env: cleanEnv(),
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });

const pkg = (p: number) => `pkg${String(p).padStart(2, "0")}`;
const ext = (f: number) => (f % 2 === 0 ? "ts" : "py");
const mod = (f: number) => `m${String(f).padStart(3, "0")}`;
const fileName = (p: number, f: number) => `${pkg(p)}/${mod(f)}.${ext(f)}`;

/** A module of 30 lines importing two others; line 5 and line 20 are plain code lines. */
function content(p: number, f: number): string {
  const a = (f + 2) % SIZE.filesPerPackage;
  const b = (f + 4) % SIZE.filesPerPackage;
  const q = (p + 1) % SIZE.packages;
  const body = Array.from({ length: 22 }, (_, i) => i);
  if (ext(f) === "ts") {
    return [
      `// ${pkg(p)}/${mod(f)}: generated module`,
      `import { f${a} } from "./${mod(a)}.js";`,
      `import { f${b} } from "../${pkg(q)}/${mod(b)}.js";`,
      "",
      `export const name${f} = "${pkg(p)}.${mod(f)}";`,
      `export function f${f}(x: number): number {`,
      ...body.map((i) => `  const v${i} = x * ${i} + ${p};`),
      `  return f${a}(v1) + f${b}(v2);`,
      "}",
      "",
    ].join("\n");
  }
  return [
    `# ${pkg(p)}/${mod(f)}: generated module`,
    `from ${pkg(p)}.${mod(a)} import f${a}`,
    `from ${pkg(q)}.${mod(b)} import f${b}`,
    "",
    `NAME = "${pkg(p)}.${mod(f)}"`,
    `def f${f}(x):`,
    ...body.map((i) => `    v${i} = x * ${i} + ${p}`),
    `    return f${a}(v1) + f${b}(v2)`,
    "",
    "",
  ].join("\n");
}

/** `content` with line `line` (1-based) replaced. */
function edited(p: number, f: number, line: number, text: string): string {
  const lines = content(p, f).split("\n");
  lines[line - 1] = ext(f) === "ts" ? `// ${text}` : `# ${text}`;
  return lines.join("\n");
}

interface StreamPlan {
  id: string;
  packages: number[];
  committed: Map<string, string>;
  staged: Map<string, string>;
  unstaged: Map<string, string>;
  untracked: Map<string, string>;
  locks: string[];
}

/** Stream i owns six packages; its own changes pick files 0, 3, 6, ... of them. */
function planStreams(): StreamPlan[] {
  const own = (i: number) => {
    const files: [number, number][] = [];
    for (let k = 0; files.length < 180; k++) {
      const p = i * 6 + (k % 6);
      files.push([p, Math.floor(k / 6) * 3]);
    }
    return files;
  };
  return IDS.map((id, i) => {
    const mine = own(i);
    const next = own((i + 1) % IDS.length).slice(
      0,
      SIZE.neighbourCommitted + SIZE.neighbourUnstaged,
    );
    const s: StreamPlan = {
      id,
      packages: [0, 1, 2, 3, 4, 5].map((k) => i * 6 + k),
      committed: new Map(),
      staged: new Map(),
      unstaged: new Map(),
      untracked: new Map(),
      locks: [],
    };
    mine.forEach(([p, f], k) => {
      const text = edited(p, f, 5, `changed by ${id}`);
      const where =
        k < SIZE.ownCommitted
          ? s.committed
          : k < SIZE.ownCommitted + SIZE.staged
            ? s.staged
            : s.unstaged;
      where.set(fileName(p, f), text);
    });
    next.forEach(([p, f], k) => {
      const committed = k < SIZE.neighbourCommitted;
      const j = committed ? k : k - SIZE.neighbourCommitted;
      const same = j < (committed ? SIZE.sameLineCommitted : SIZE.sameLineUnstaged);
      const text = edited(p, f, same ? 5 : 20, `${id} was here`);
      (committed ? s.committed : s.unstaged).set(fileName(p, f), text);
    });
    // New modules importing what the next stream changed.
    const q = (i + 1) % IDS.length;
    for (let k = 0; k < SIZE.untracked; k++) {
      const [p, f] = next[k % next.length]!;
      const name = `${pkg(s.packages[k % 6]!)}/new_${id.toLowerCase()}${k}.${ext(f)}`;
      const text =
        ext(f) === "ts"
          ? `import { f${f} } from "../${pkg(p)}/${mod(f)}.js";\nexport const n${k} = f${f}(${k});\n`
          : `from ${pkg(p)}.${mod(f)} import f${f}\n\nN${k} = f${f}(${k})\n`;
      s.untracked.set(name, text);
    }
    // The next stream holds locks on some of the files this one changes there.
    s.locks = [...next.slice(1, SIZE.locksPerStream).map(([p, f]) => fileName(p, f))];
    s.locks.push(`${pkg(q * 6 + ((SIZE.neighbourCommitted + SIZE.neighbourUnstaged) % 6))}/`);
    return s;
  });
}

function planYaml(streams: StreamPlan[]): string {
  const lines = ["version: 1", "project: bench", 'agent: [sh, -c, "true"]', "streams:"];
  for (const s of streams) {
    lines.push(`  ${s.id}:`, `    name: Stream ${s.id}`);
    lines.push(`    scope: [${s.packages.map((p) => `"${pkg(p)}/**"`).join(", ")}]`);
    lines.push(`    agents: [{ id: ${s.id}1, task: "work" }, { id: ${s.id}2, task: "more work" }]`);
  }
  return `${lines.join("\n")}\n`;
}

/** One fast-import stream: main with every file, and each stream's commit on its branch. */
function fastImport(root: string, streams: StreamPlan[], plan: string): void {
  const out: string[] = [];
  const blob = (file: string, text: string) =>
    out.push(`M 100644 inline ${file}`, `data ${Buffer.byteLength(text)}`, text);
  const commit = (ref: string, mark: number, message: string, from?: number) => {
    out.push(
      `commit ${ref}`,
      `mark :${mark}`,
      "committer Bench <bench@example.com> 1700000000 +0000",
    );
    out.push(`data ${message.length}`, message);
    if (from !== undefined) out.push(`from :${from}`);
  };
  commit("refs/heads/main", 1, "generated repository");
  blob("streams.yaml", plan);
  blob(".gitignore", ".claude/\n");
  for (let p = 0; p < SIZE.packages; p++) {
    blob(`${pkg(p)}/__init__.py`, "");
    for (let f = 0; f < SIZE.filesPerPackage - 1; f++) blob(fileName(p, f), content(p, f));
  }
  streams.forEach((s, i) => {
    commit(`refs/heads/feature/stream-${s.id}`, i + 2, `stream ${s.id} work`, 1);
    for (const [file, text] of s.committed) blob(file, text);
  });
  git(root, ["fast-import", "--quiet"], `${out.join("\n")}\n`);
}

interface BenchRepo {
  parent: string;
  root: string;
  worktrees: string[];
}

async function buildRepo(engine: Engine, streams: StreamPlan[]): Promise<BenchRepo> {
  const parent = mkdtempSync(path.join(os.tmpdir(), "tower-bench-conflicts-"));
  const root = path.join(parent, "repo");
  mkdirSync(root);
  git(root, ["init", "-q", "-b", "main"]);
  git(root, ["config", "user.email", "bench@example.com"]);
  git(root, ["config", "user.name", "Bench"]);
  fastImport(root, streams, planYaml(streams));
  git(root, ["reset", "-q", "--hard", "main"]);
  const worktrees = streams.map((s) => path.join(parent, `bench-stream-${s.id}`));
  streams.forEach((s, i) => {
    const wt = worktrees[i]!;
    git(root, ["worktree", "add", "-q", wt, `feature/stream-${s.id}`]);
    const write = (files: Map<string, string>) => {
      for (const [file, text] of files) {
        mkdirSync(path.dirname(path.join(wt, file)), { recursive: true });
        writeFileSync(path.join(wt, file), text);
      }
    };
    write(s.staged);
    git(wt, ["add", "--", ...s.staged.keys()]);
    write(s.unstaged);
    write(s.untracked);
  });
  const store = new engine.state.StateStore(path.join(root, ".claude/state"));
  await store.init();
  const state = {
    streams: Object.fromEntries(
      streams.map((s, i) => [
        s.id,
        {
          status: i % 4 === 3 ? "completed" : "in_progress",
          started_at: "2025-12-06T10:00:00.000Z",
          worktree: worktrees[i],
          branch: `feature/stream-${s.id}`,
          agents: [`${s.id}1`, `${s.id}2`],
        },
      ]),
    ),
    started_at: null,
  };
  writeFileSync(store.path("orchestrator_state.json"), `${JSON.stringify(state, null, 2)}\n`);
  const expires = engine.state.toNaiveLocal(new Date(Date.now() + 3600_000));
  const locks = Object.fromEntries(
    streams.flatMap((s, i) => {
      const holder = IDS[(i + 1) % IDS.length]!;
      return s.locks.map((key) => [
        key,
        { agent: `${holder}1`, stream: holder, expires, task: "" },
      ]);
    }),
  );
  writeFileSync(
    store.path("file_locks.json"),
    `${JSON.stringify({ locks, version: 1 }, null, 2)}\n`,
  );
  return { parent, root, worktrees };
}

/** Refs, HEADs, indexes and working trees: what a scan must leave as it was. */
function snapshot(repo: BenchRepo): string {
  return [
    git(repo.root, ["for-each-ref", "--format=%(refname) %(objectname)"]),
    ...[repo.root, ...repo.worktrees].map(
      (wt) => git(wt, ["rev-parse", "HEAD"]) + git(wt, ["status", "--porcelain", "-uall"]),
    ),
  ].join("\n");
}

const stats = (label: string, samples: number[], note: string): BenchRow[] => [
  row(`${label} p50`, round(percentile(samples, 50)), "ms", note),
  row(`${label} max`, round(Math.max(...samples)), "ms"),
];

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = nowMs();
  const value = await fn();
  return [nowMs() - t0, value];
}

type Warning = ConflictsModule.ConflictWarning;
const keyOf = (w: Warning) => `${w.kind} ${w.streams.join(",")} ${w.files.join(",")} ${w.severity}`;

/** Every scan of the unchanged repository must find the same warnings: names what differs. */
function compare(reference: Warning[], found: Warning[], what: string, failures: string[]): void {
  const want = new Set(reference.map(keyOf));
  const got = new Set(found.map(keyOf));
  const missing = [...want].filter((k) => !got.has(k));
  const extra = [...got].filter((k) => !want.has(k));
  if (missing.length === 0 && extra.length === 0) return;
  const some = (keys: string[]) => keys.slice(0, 5).join("; ") + (keys.length > 5 ? "; ..." : "");
  failures.push(
    `${what} found ${found.length} warnings instead of ${reference.length}` +
      (missing.length ? `; missing ${missing.length}: ${some(missing)}` : "") +
      (extra.length ? `; extra ${extra.length}: ${some(extra)}` : ""),
  );
}

export const conflicts: Benchmark = {
  name: "conflicts",
  description: "one full conflict scan: 5,000 files, 8 active streams with 200 changed files each",
  async run(): Promise<BenchResult> {
    const engine = await loadEngine();
    const streams = planStreams();
    const t0 = nowMs();
    const repo = await buildRepo(engine, streams);
    const setupMs = nowMs() - t0;
    const failures: string[] = [];
    try {
      const plan = await engine.plan.loadPlan(path.join(repo.root, "streams.yaml"));
      const store = new engine.state.StateStore(path.join(repo.root, ".claude/state"));
      const input = { plan, store, mainRoot: repo.root, base: "main" };
      const before = snapshot(repo);

      const cold: number[] = [];
      let warnings: Warning[] = [];
      for (let i = 0; i < RUNS.cold; i++) {
        engine.conflicts.clearMergeMemo();
        const [ms, found] = await timed(() => engine.conflicts.scanConflicts(input));
        cold.push(ms);
        if (i === 0) warnings = found;
        else compare(warnings, found, `cold scan ${i + 1}`, failures);
      }
      const warm: number[] = [];
      for (let i = 0; i < RUNS.warm; i++) {
        const [ms, found] = await timed(() => engine.conflicts.scanConflicts(input));
        warm.push(ms);
        compare(warnings, found, `warm scan ${i + 1}`, failures);
      }
      const [recordFirstMs, recorded] = await timed(() =>
        engine.conflicts.recordConflicts(store, warnings),
      );
      const [recordAgainMs] = await timed(() => engine.conflicts.recordConflicts(store, warnings));
      const cli: number[] = [];
      for (let i = 0; i < RUNS.cli; i++) {
        const [ms, result] = await timed(() => tower(repo.root, ["conflicts", "--json"]));
        cli.push(ms);
        if (result.code !== 0)
          failures.push(`tower conflicts exited ${result.code}: ${result.stderr}`);
        else
          compare(warnings, JSON.parse(result.stdout) as Warning[], `CLI run ${i + 1}`, failures);
      }
      if (snapshot(repo) !== before)
        failures.push("a scan changed a ref, an index or a working tree");

      const byKind: Record<string, number> = {};
      const bySeverity: Record<string, number> = {};
      for (const w of warnings) {
        byKind[w.kind] = (byKind[w.kind] ?? 0) + 1;
        bySeverity[w.severity] = (bySeverity[w.severity] ?? 0) + 1;
      }
      for (const kind of ["overlap", "scope", "lock", "merge", "import"]) {
        if (!byKind[kind]) failures.push(`no ${kind} warning was found`);
      }
      if (recorded.added.length !== warnings.length)
        failures.push(`recorded ${recorded.added.length} of ${warnings.length} new warnings`);

      const note = `${IDS.length} streams x 200 changed files, ${SIZE.packages * SIZE.filesPerPackage} files`;
      const rows: BenchRow[] = [
        row("setup (fast-import + 8 worktrees)", Math.round(setupMs), "ms"),
        row(
          "first scan",
          round(cold[0] ?? Number.NaN),
          "ms",
          "fresh repository, nothing remembered",
        ),
        ...stats(
          "cold scan",
          cold,
          `${RUNS.cold} runs, merge predictions forgotten each time; ${note}`,
        ),
        ...stats("warm scan", warm, `${RUNS.warm} runs, unchanged branches: no merge re-run`),
        row(
          "record, first",
          round(recordFirstMs),
          "ms",
          `${warnings.length} new warnings appended`,
        ),
        row("record, again", round(recordAgainMs), "ms", "nothing new"),
        ...stats(
          "tower conflicts --json",
          cli,
          `${RUNS.cli} runs, Node start-up and recording included`,
        ),
        row("warnings", warnings.length, "count", JSON.stringify(bySeverity)),
        ...Object.entries(byKind).map(([kind, n]) => row(`warnings: ${kind}`, n, "count")),
      ];
      return {
        rows,
        failures,
        details: { size: SIZE, runs: RUNS, byKind, bySeverity, cold, warm, cli },
      };
    } finally {
      if (process.env.BENCH_KEEP === "1") process.stdout.write(`kept ${repo.parent}\n`);
      else rmSync(repo.parent, { recursive: true, force: true });
    }
  },
};
