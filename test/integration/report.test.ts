/**
 * `tower report` on a whole run made with the CLI (start, lock and a refusal, commits, tasks, a
 * handoff, complete, a quality gate, approvals, merges): the report's numbers are checked against
 * the activity log, the state files and git, each computed here on its own.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  git,
  makeRepo,
  PROJECT_ROOT,
  readJson,
  readJsonlFile,
  type TempRepo,
  tower,
} from "../helpers/repo.js";
import { commitAll, writeIn } from "../helpers/streams.js";

const PLAN = `version: 1
project: shop
agent: [sh, -c, "true"]
validate: ["test -f README.md"]
checkpoints:
  design_review: { approval: human }
  impl: { after: [A, B] }
  quality:
    depends_on: [impl]
    criteria:
      - { name: readme, run: "test -f README.md" }
      - { name: lines, run: "printf 'lines=%s\\\\n' $(wc -l < README.md)", metric: "lines=(\\\\d+)", expect: ">= 1" }
  acceptance: { approval: human, depends_on: [quality, design_review] }
streams:
  A:
    name: API
    scope: ["src/**"]
    agents:
      - { id: A1, task: Refunds in the API, role: senior-developer }
      - { id: A2, task: Tests for refunds, role: qa-validator }
  B:
    name: Billing
    scope: ["billing/**"]
    requires: [design_review]
    agents: [{ id: B1, task: Credits, role: specialist }]
  C:
    name: Docs
    depends_on: [A]
    scope: ["docs/**"]
    requires: [acceptance]
    agents: [{ id: C1, task: Document refunds }]
`;

type Json = Record<string, unknown>;
interface Report {
  run: {
    started_at: string;
    ended_at: string;
    wall_ms: number;
    agent_ms: number;
    parallelism: number;
    saved_ms: number;
    finished: boolean;
  };
  verdict: { ok: boolean; lines: { criterion: string; ok: boolean; text: string }[] };
  streams: Json[];
  agents: Json[];
  tasks: Json[];
  checkpoints: Json[];
  approvals: Json[];
  validations: Json[];
  locks: Json[];
  refusals: Json[];
  handoffs: Json[];
  conflicts: { found: Json[]; cleared: Json[] };
  warnings: string[];
}

let repo: TempRepo;
const worktree = (id: string) => path.join(path.dirname(repo.root), `shop-stream-${id}`);
const ok = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const result = await tower(repo.root, args, env);
  expect(result.code, `tower ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result;
};
const as = (agent: string, ...args: string[]) => ok(args, { TOWER_AGENT_ID: agent });
/** Commits and files of each stream's branch, taken from git before it merges. */
const branchFacts: Record<string, { commits: number; files: number }> = {};
const recordBranch = (id: string, branch: string) => {
  branchFacts[id] = {
    commits: Number(git(repo.root, "rev-list", "--count", `main..${branch}`).trim()),
    files: git(repo.root, "diff", "--name-only", `main...${branch}`).trim().split("\n").length,
  };
};
const reportJson = async (): Promise<Report> =>
  JSON.parse((await ok(["report", "--json"])).stdout) as Report;
let midRun: Report;
let final: Report;

beforeAll(async () => {
  repo = await makeRepo({ plan: PLAN });
  await ok(["start", "A", "B"]);
  // A1 takes the API; A2 is refused it.
  await as("A1", "lock", "src/api.ts");
  expect((await tower(repo.root, ["lock", "src/api.ts"], { TOWER_AGENT_ID: "A2" })).code).toBe(3);
  await as("A1", "task", "start", "A1");
  writeIn(worktree("A"), "src/api.ts", "export const refund = (x: number) => -x;\n");
  commitAll(worktree("A"), "Add refunds");
  writeIn(worktree("A"), "src/api.test.ts", "// refund tests\n");
  commitAll(worktree("A"), "Test refunds");
  await as("A1", "unlock", "src/api.ts");
  await as("A1", "task", "done", "A1");
  await as("A2", "task", "start", "A2");
  await as("B1", "lock", "billing/credit.ts");
  writeIn(worktree("B"), "billing/credit.ts", "export const credit = (x: number) => -x;\n");
  commitAll(worktree("B"), "Credits");
  await as("B1", "unlock", "billing/credit.ts");
  await as("B1", "task", "done", "B1");
  await ok(["handoff", "--from", "A1", "--to", "C1", "--task", "refunds", "--tests", "passing"]);
  await ok(["complete", "A"]);
  await ok(["complete", "B"]);
  midRun = await reportJson();
  await ok(["gate", "run", "quality"]);
  await ok(["approve", "design_review", "--note", "layout is fine"]);
  await ok(["approve", "acceptance"]);
  recordBranch("A", "feature/stream-A-api");
  recordBranch("B", "feature/stream-B-billing");
  await ok(["merge", "A"]);
  await ok(["merge", "B"]);
  await ok(["start", "C"]);
  writeIn(worktree("C"), "docs/refunds.md", "# Refunds\n");
  commitAll(worktree("C"), "Document refunds");
  await as("C1", "task", "done", "C1");
  await ok(["complete", "C"]);
  recordBranch("C", "feature/stream-C-docs");
  await ok(["merge", "C"]);
  final = await reportJson();
}, 240_000);
afterAll(() => repo.cleanup());

describe("tower report --json", () => {
  it("gives the verdict against the success criteria, mid-run and at the end", () => {
    expect(midRun.verdict.ok).toBe(false);
    expect(midRun.verdict.lines).toEqual([
      {
        criterion: "streams_merged",
        ok: false,
        text: "0 of 3 streams merged; not merged: A (completed), B (completed), C (pending)",
      },
      {
        criterion: "gates_passed",
        ok: false,
        text: "1 of 2 gates passed; not passed: quality (pending)",
      },
      {
        criterion: "human_acceptance",
        ok: false,
        text: "waiting for human acceptance: design_review (pending), acceptance (pending)",
      },
    ]);
    expect(final.verdict.ok).toBe(true);
    expect(final.verdict.lines.map((l) => [l.criterion, l.ok])).toEqual([
      ["streams_merged", true],
      ["gates_passed", true],
      ["human_acceptance", true],
    ]);
    expect(final.verdict.lines[0]!.text).toBe("every stream merged (3 of 3)");
    expect(final.verdict.lines[1]!.text).toBe("every gate passed (impl, quality)");
    expect(final.verdict.lines[2]!.text).toMatch(
      /^human acceptance given: design_review by \S+ at \S+ \S+Z, acceptance by \S+ at \S+ \S+Z$/,
    );
  });

  it("times each stream as the activity log and the orchestrator state say", async () => {
    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    const state = (await readJson(path.join(repo.stateDir, "orchestrator_state.json"))) as {
      streams: Record<string, Json>;
    };
    const at = (stream: string, action: string) =>
      log.find((e) => e["stream"] === stream && e["action"] === action)?.["timestamp"];
    for (const stream of final.streams) {
      const id = String(stream["id"]);
      expect(stream["status"]).toBe("merged");
      expect(stream["started_at"]).toBe(at(id, "started"));
      expect(stream["completed_at"]).toBe(at(id, "completed"));
      expect(stream["merged_at"]).toBe(state.streams[id]!["merged_at"]);
      expect(stream["merge_commit"]).toBe(state.streams[id]!["merge_commit"]);
      expect(stream["work_ms"]).toBe(
        Date.parse(at(id, "completed") as string) - Date.parse(at(id, "started") as string),
      );
    }
    const first = Math.min(...final.streams.map((s) => Date.parse(String(s["started_at"]))));
    const last = Math.max(...log.map((e) => Date.parse(String(e["timestamp"]))));
    expect(final.run.started_at).toBe(new Date(first).toISOString());
    expect(final.run.wall_ms).toBe(last - first);
    expect(final.run.finished).toBe(true);
    // C waited for A to complete.
    expect(final.streams.find((s) => s["id"] === "C")!["waited_ms"]).toBe(
      Date.parse(String(at("C", "started"))) - first,
    );
  });

  it("counts each stream's commits and files as git does", () => {
    for (const stream of final.streams) {
      const id = String(stream["id"]);
      expect(stream["commits"], id).toBe(branchFacts[id]!.commits);
      expect(stream["files_changed"], id).toBe(branchFacts[id]!.files);
    }
    expect(branchFacts["A"]).toEqual({ commits: 2, files: 2 });
  });

  it("sums the agents' active time against the run's: what parallelism bought", () => {
    // No agent process ran (the CLI stood in for them): each agent was active from its stream's
    // start to its completion.
    const streams = new Map(final.streams.map((s) => [s["id"], s]));
    let sum = 0;
    for (const agent of final.agents) {
      const stream = streams.get(agent["stream"])!;
      expect(agent["started_at"]).toBe(stream["started_at"]);
      expect(agent["ended_at"]).toBe(stream["completed_at"]);
      expect(agent["active_ms"]).toBe(stream["work_ms"]);
      sum += agent["active_ms"] as number;
    }
    expect(final.run.agent_ms).toBe(sum);
    expect(final.run.saved_ms).toBe(sum - final.run.wall_ms);
    expect(final.run.parallelism).toBe(Math.round((sum / final.run.wall_ms) * 100) / 100);
  });

  it("gives each agent its role, tasks, locks, refusals and handoffs as the logs say", async () => {
    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    const agent = (id: string) => final.agents.find((a) => a["id"] === id)!;
    expect(agent("A1")).toMatchObject({
      role: "senior-developer",
      role_name: "Senior developer",
      tasks_done: ["A1"],
      tasks_open: [],
      locks_taken: 1,
      refusals: 0,
      handoffs_given: 1,
      handoffs_received: 0,
    });
    expect(agent("A2")).toMatchObject({
      role: "qa-validator",
      tasks_done: [],
      tasks_open: ["A2"],
      locks_taken: 0,
      refusals: 1,
    });
    expect(agent("C1")).toMatchObject({ role: null, handoffs_received: 1, tasks_done: ["C1"] });
    for (const a of final.agents) {
      expect(a["activity"], String(a["id"])).toBe(log.filter((e) => e["agent"] === a["id"]).length);
    }
    const locked = log.filter((e) => e["action"] === "locked" && !e["renewed"]);
    expect(final.locks.map((l) => [l["agent"], l["file"], l["taken_at"]])).toEqual(
      locked.map((e) => [e["agent"], e["file"], e["timestamp"]]),
    );
    expect(final.locks.every((l) => l["released_at"] !== null)).toBe(true);
    expect(final.refusals).toEqual([
      {
        at: log.find((e) => e["action"] === "refused")!["timestamp"],
        agent: "A2",
        stream: "A",
        what: "lock",
        file: "src/api.ts",
        holder: "A1",
        reason: "src/api.ts is locked by A1",
      },
    ]);
    expect(final.handoffs).toEqual([
      expect.objectContaining({
        from: "A1",
        from_stream: "A",
        to: ["C1"],
        completed_tasks: ["refunds"],
        test_status: "passing",
      }),
    ]);
    expect(final.tasks.map((t) => [t["id"], t["status"], t["agent"]])).toEqual([
      ["A1", "done", "A1"],
      ["A2", "in_progress", "A2"],
      ["B1", "done", "B1"],
      ["C1", "done", "C1"],
    ]);
  });

  it("has the gates with their criteria, the approvals with who and when, and the validations", async () => {
    const quality = final.checkpoints.find((c) => c["id"] === "quality")!;
    expect(quality).toMatchObject({ kind: "gate", status: "passed", by: "tower" });
    expect(quality["criteria"]).toEqual([
      { name: "readme", ok: true, value: null, detail: "exit 0" },
      { name: "lines", ok: true, value: 1, detail: "1 >= 1" },
    ]);
    expect(final.checkpoints.map((c) => [c["id"], c["kind"], c["status"]])).toEqual([
      ["design_review", "approval", "approved"],
      ["impl", "auto_pass", "passed"],
      ["quality", "gate", "passed"],
      ["acceptance", "approval", "approved"],
    ]);
    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    const approved = log.filter((e) => e["action"] === "checkpoint_approved");
    expect(final.approvals).toEqual(
      approved.map((e) => ({
        checkpoint: e["checkpoint"],
        decision: "approved",
        by: e["agent"],
        at: e["timestamp"],
        note: e["note"] || null,
      })),
    );
    expect(final.approvals[0]!["note"]).toBe("layout is fine");
    expect(final.validations.map((v) => [v["stream"], v["ok"], v["commands"]])).toEqual([
      ["A", true, ["test -f README.md"]],
      ["B", true, ["test -f README.md"]],
      ["C", true, ["test -f README.md"]],
    ]);
    expect(final.warnings).toEqual([]);
  });
});

describe("docs/report-json.md", () => {
  it("documents every field the report has, and no other", async () => {
    const doc = await fsp.readFile(path.join(PROJECT_ROOT, "docs/report-json.md"), "utf8");
    const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(doc)![1]!) as Json;
    /** Every key path, with list items merged: `streams[].commits`. */
    const shape = (value: unknown, prefix = ""): string[] => {
      if (Array.isArray(value)) return [...new Set(value.flatMap((v) => shape(v, `${prefix}[]`)))];
      if (value === null || typeof value !== "object") return [];
      return Object.entries(value).flatMap(([key, v]) => [
        `${prefix}.${key}`,
        ...shape(v, `${prefix}.${key}`),
      ]);
    };
    const documented = new Set(shape(example));
    const made = new Set(shape(final));
    expect([...made].filter((key) => !documented.has(key))).toEqual([]);
    // What this run did not make is only what it had none of: conflicts.
    expect(final.conflicts).toEqual({ found: [], cleared: [] });
    expect(
      [...documented].filter((key) => !made.has(key) && !key.startsWith(".conflicts.")),
    ).toEqual([]);
  });
});

describe("tower report as Markdown and HTML", () => {
  it("writes Markdown for a pull request, with the verdict on top", async () => {
    const md = (await ok(["report"])).stdout;
    expect(md.split("\n").slice(0, 7)).toEqual([
      "# Run report: shop",
      "",
      "**✅ Success** (into `main`)",
      "",
      "- ✅ every stream merged (3 of 3)",
      "- ✅ every gate passed (impl, quality)",
      expect.stringMatching(/^- ✅ human acceptance given: design_review by /),
    ]);
    expect(md).toMatch(/^The run took .+; its agents worked .+ in all: [\d.]+× in parallel/m);
    expect(md).toContain(
      "| agent | stream | role | started | ended | active | tasks done | locks | refusals | handoffs out/in |",
    );
    expect(md).toMatch(/\| A2 \| A \| QA validator \| .* \| 0 \| 1 \| 0\/0 \|/);
    expect(md).toContain("| ✅ | quality | gate | passed | tower |");
    expect(md).toContain("✅ lines: 1 >= 1");
  });

  it("writes one self-contained HTML page with the timeline as inline SVG", async () => {
    const file = path.join(path.dirname(repo.root), "report.html");
    const result = await ok(["report", "--format", "html", "--output", file]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`wrote ${file}\n`);
    const html = await fsp.readFile(file, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    // Self-contained: nothing fetched, nothing run.
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    for (const id of ["A API", "B Billing", "C Docs"]) expect(html).toContain(id);
    expect(html).toContain("<title>C merged at");
    expect(html).toContain("<title>A2 refused at");
    expect(html).toContain("<title>A1 handed off to C1 at");
    expect(html).toContain("<h2>Human approvals</h2>");
    expect(html.match(/<svg/g)).toHaveLength(1);
  });

  it("refuses a format it does not know", async () => {
    const bad = await tower(repo.root, ["report", "--format", "pdf"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be one of md, json, html, got "pdf"');
  });
});
