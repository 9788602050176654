import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  makeRepo,
  PROJECT_ROOT,
  readJson,
  readJsonlFile,
  type TempRepo,
  tower,
  waitFor,
} from "../helpers/repo.js";

let repo: TempRepo;
afterEach(() => repo.cleanup());

/** Every file below `dir` with its content, for before/after comparisons. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = await fsp.readFile(file, "utf8");
  }
  return out;
}

describe("tower init", () => {
  beforeEach(async () => {
    repo = await makeRepo({ init: false });
  });

  it("creates a valid commented plan, the state files in their empty forms, and the exclude entry; twice changes nothing", async () => {
    await fsp.rm(path.join(repo.root, "streams.yaml"));
    const first = await tower(repo.root, ["init"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("created streams.yaml");
    expect(first.stdout).toContain("added /.claude/state to .git/info/exclude");
    expect(await fsp.readFile(path.join(repo.root, "streams.yaml"), "utf8")).toMatch(
      /^# Tower's plan/,
    );
    expect(await readJson(path.join(repo.stateDir, "file_locks.json"))).toEqual({
      locks: {},
      version: 1,
    });
    expect(await readJson(path.join(repo.stateDir, "handoffs.json"))).toEqual({ handoffs: [] });
    expect(await readJson(path.join(repo.stateDir, "orchestrator_state.json"))).toEqual({
      streams: {},
      started_at: null,
    });
    expect(await readJson(path.join(repo.stateDir, "checkpoints.json"))).toEqual({
      checkpoints: {},
      version: 1,
    });
    expect(await readJson(path.join(repo.stateDir, "agents.json"))).toEqual({
      agents: {},
      version: 1,
    });
    expect(await fsp.readFile(path.join(repo.stateDir, "agent_activity.jsonl"), "utf8")).toBe("");
    expect(await fsp.readFile(path.join(repo.stateDir, "conflict_warnings.jsonl"), "utf8")).toBe(
      "",
    );
    expect((await fsp.stat(path.join(repo.stateDir, "logs"))).isDirectory()).toBe(true);
    expect((await tower(repo.root, ["check"])).code).toBe(0);

    const before = {
      ...(await snapshot(repo.stateDir)),
      plan: await fsp.readFile(path.join(repo.root, "streams.yaml"), "utf8"),
    };
    const exclude = await fsp.readFile(path.join(repo.root, ".git/info/exclude"), "utf8");
    const second = await tower(repo.root, ["init"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("streams.yaml already exists");
    expect(second.stdout).toContain("nothing to create");
    expect({
      ...(await snapshot(repo.stateDir)),
      plan: await fsp.readFile(path.join(repo.root, "streams.yaml"), "utf8"),
    }).toEqual(before);
    expect(await fsp.readFile(path.join(repo.root, ".git/info/exclude"), "utf8")).toBe(exclude);
    // The state directory is ignored by git.
    const { execFileSync } = await import("node:child_process");
    expect(
      execFileSync("git", ["status", "--porcelain"], { cwd: repo.root, encoding: "utf8" }),
    ).not.toContain(".claude");
  });

  it("lists the state folder in .git/info/exclude as that one path: what git would read as a pattern is escaped", async () => {
    const { excludeFromGit } = await import("../../src/engine/init.js");
    expect(await excludeFromGit(repo.root, "s*")).toBe("/s\\*");
    expect(await excludeFromGit(repo.root, "a?[b] ")).toBe("/a\\?\\[b]\\ ");
    for (const file of ["s*/x", "src/x", "a?[b] /x", "axb/x", "a?[b]/x"]) {
      await fsp.mkdir(path.dirname(path.join(repo.root, file)), { recursive: true });
      await fsp.writeFile(path.join(repo.root, file), "x\n");
    }
    const { spawnSync } = await import("node:child_process");
    const ignored = (file: string) =>
      spawnSync("git", ["check-ignore", "-q", "--", file], { cwd: repo.root }).status === 0;
    expect(["s*/x", "a?[b] /x"].filter(ignored)).toEqual(["s*/x", "a?[b] /x"]);
    expect(["src/x", "axb/x", "a?[b]/x"].filter(ignored)).toEqual([]);
  });

  it("keeps an existing plan and only fills in missing state files", async () => {
    await fsp.mkdir(repo.stateDir, { recursive: true });
    await fsp.writeFile(
      path.join(repo.stateDir, "handoffs.json"),
      '{"handoffs": [{"from_agent": "A1", "to_agents": ["E1"], "timestamp": "2025-01-01T00:00:00Z"}]}',
    );
    const result = await tower(repo.root, ["init"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("streams.yaml already exists");
    expect(
      ((await readJson(path.join(repo.stateDir, "handoffs.json"))) as { handoffs: unknown[] })
        .handoffs,
    ).toHaveLength(1);
  });

  it("refuses outside a git repository", async () => {
    const outside = path.dirname(repo.root);
    const result = await tower(outside, ["init"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not inside a git repository");
  });
});

describe("commands on an initialised repository", () => {
  beforeEach(async () => {
    repo = await makeRepo();
  });

  it("tower with no terminal (a script, a pipe) says it needs one, in one line, and fails", async () => {
    for (const inProcess of ["1", "0"]) {
      const result = await tower(repo.root, [], { TOWER_IN_PROCESS: inProcess });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "tower: the control room needs a terminal: run `tower` in one (for scripts, use `tower status --json`)\n",
      );
    }
  });

  it("status --json has the documented shape", async () => {
    await tower(repo.root, ["lock", "config/a.py", "--agent", "A1"]);
    const orchestrator = path.join(repo.stateDir, "orchestrator_state.json");
    await fsp.writeFile(
      orchestrator,
      JSON.stringify({
        streams: {
          A: {
            status: "in_progress",
            started_at: "2025-01-01T00:00:00Z",
            worktree: "/w/A",
            branch: "feature/stream-A-foundation",
            agents: ["A1", "A2"],
          },
        },
        started_at: null,
      }),
    );
    const result = await tower(repo.root, ["status", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual([
      "project",
      "base",
      "state_dir",
      "phases",
      "merge_order",
      "streams",
      "locks",
      "checkpoints",
    ]);
    expect(report).toMatchObject({
      project: "demo",
      base: "main",
      state_dir: repo.stateDir,
      phases: [["A", "B", "C", "D"], ["E"]],
      merge_order: ["A", "B", "C", "D", "E"],
    });
    expect(report.streams[0]).toEqual({
      id: "A",
      name: "Foundation",
      status: "in_progress",
      depends_on: [],
      can_start: false,
      waiting_for: [],
      reason: "A cannot start: already in_progress",
      branch: "feature/stream-A-foundation",
      worktree: "/w/A",
      agents: [
        { id: "A1", task: "Consolidate config" },
        { id: "A2", task: "Clean up utils" },
      ],
    });
    expect(report.streams[4]).toMatchObject({
      id: "E",
      status: "pending",
      can_start: false,
      waiting_for: ["A"],
      reason: "E cannot start: waiting for A (in_progress)",
      branch: "feature/stream-E-models",
      worktree: path.join(path.dirname(repo.root), "demo-stream-E"),
    });
    expect(report.locks).toHaveLength(1);
    expect(report.checkpoints).toEqual([
      { id: "design_review", status: "pending", depends_on: [] },
      { id: "final_review", status: "pending", depends_on: ["design_review"] },
      { id: "tests_pass", status: "pending", depends_on: ["design_review"] },
    ]);
    const text = await tower(repo.root, ["status"]);
    expect(text.stdout).toMatch(/E\s+Models\s+pending\s+E1\s+waiting for A \(in_progress\)/);
  });

  it("approve and reject checkpoints, with gates and reasons", async () => {
    const early = await tower(repo.root, ["approve", "final_review"]);
    expect(early.code).toBe(3);
    expect(early.stderr).toContain(
      'checkpoint "final_review" cannot be approved yet: waiting for design_review (pending)',
    );
    const unknown = await tower(repo.root, ["approve", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'unknown checkpoint "nope" (known: design_review, final_review, tests_pass)',
    );
    const byCommand = await tower(repo.root, ["approve", "tests_pass"]);
    expect(byCommand.code).toBe(3);
    expect(byCommand.stderr).toContain("passes when `true` exits 0");
    const ok = await tower(repo.root, ["approve", "design_review", "--note", "layout is fine"]);
    expect(ok.code).toBe(0);
    const file = (await readJson(path.join(repo.stateDir, "checkpoints.json"))) as {
      checkpoints: Record<string, Record<string, string>>;
    };
    expect(file.checkpoints.design_review).toMatchObject({
      status: "approved",
      by: os.userInfo().username,
      note: "layout is fine",
    });
    expect(file.checkpoints.design_review?.updated).toMatch(/Z$/);
    const noReason = await tower(repo.root, ["reject", "final_review"]);
    expect(noReason.code).toBe(2);
    const rejected = await tower(repo.root, [
      "reject",
      "final_review",
      "--reason",
      "tests are red",
    ]);
    expect(rejected.code).toBe(0);
    const after = (await readJson(path.join(repo.stateDir, "checkpoints.json"))) as {
      checkpoints: Record<string, Record<string, string>>;
    };
    expect(after.checkpoints.final_review).toMatchObject({
      status: "rejected",
      note: "tests are red",
    });
    const log = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(log.map((e) => e.action)).toEqual(["checkpoint_approved", "checkpoint_rejected"]);
  });

  it("records a handoff in the protocol's shape", async () => {
    const result = await tower(repo.root, [
      "handoff",
      "--from",
      "A1",
      "--to",
      "E1,B1",
      "--task",
      "config consolidated",
      "--task",
      "settings typed",
      "--interface",
      "config.settings.Settings",
      "--breaking",
      "config.load() removed",
      "--tests",
      "passing",
      "--note",
      "see README",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("handed off from A1 to E1, B1\n");
    const file = (await readJson(path.join(repo.stateDir, "handoffs.json"))) as {
      handoffs: Record<string, unknown>[];
    };
    expect(file.handoffs).toHaveLength(1);
    expect(file.handoffs[0]).toMatchObject({
      from_agent: "A1",
      to_agents: ["E1", "B1"],
      completed_tasks: ["config consolidated", "settings typed"],
      context: {
        new_interfaces: ["config.settings.Settings"],
        breaking_changes: ["config.load() removed"],
        test_status: "passing",
        notes: "see README",
      },
    });
    expect(String(file.handoffs[0]?.timestamp)).toMatch(/Z$/);
    const bad = await tower(repo.root, ["handoff", "--from", "A1", "--to", "Q7"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown agent "Q7"');
    const missing = await tower(repo.root, ["handoff", "--from", "A1"]);
    expect(missing.code).toBe(2);
  });

  it("log prints entries, filters by agent, and follows new ones", async () => {
    await tower(repo.root, ["lock", "a.py", "--agent", "A1", "--task", "edit"]);
    await tower(repo.root, ["lock", "b.py", "--agent", "B1"]);
    const all = await tower(repo.root, ["log"]);
    expect(all.stdout).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} {2}A1 \[A\] {2}locked {2}file=a\.py task=edit expires=/m,
    );
    const onlyB = await tower(repo.root, ["log", "--agent", "B1", "--json"]);
    const entries = onlyB.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { agent: string; file: string });
    expect(entries).toEqual([
      expect.objectContaining({ agent: "B1", file: "b.py", action: "locked" }),
    ]);

    const follower = spawn(process.execPath, [CLI, "log", "--follow", "--agent", "C1"], {
      cwd: repo.root,
    });
    let out = "";
    follower.stdout.on("data", (chunk) => (out += String(chunk)));
    await tower(repo.root, ["lock", "c.py", "--agent", "C1"]);
    await waitFor(
      () => (out.includes("file=c.py") ? true : undefined),
      10_000,
      "the followed entry",
    );
    await tower(repo.root, ["unlock", "c.py", "--agent", "C1"]);
    await waitFor(() => (out.includes("released") ? true : undefined), 10_000, "the release");
    follower.kill("SIGINT");
    const code = await new Promise((resolve) => follower.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out).not.toContain("a.py");
  });

  it("check passes on a good project and fails on a broken plan with every error", async () => {
    const good = await tower(repo.root, ["check"]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(
      "streams.yaml: ok (5 streams in 2 phases, 9 agents, 3 checkpoints)",
    );
    await fsp.writeFile(
      path.join(repo.root, "streams.yaml"),
      "version: 2\nstreams:\n  A:\n    name: A\n    depends_on: [Z]\n    agents: [{ id: A1, task: t }]\n",
    );
    const bad = await tower(repo.root, ["check"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("streams.yaml:1:10: ");
    expect(bad.stderr).toContain(
      'streams.yaml:5:18: stream "A" depends on unknown stream "Z" (known: A)',
    );
    expect(bad.stderr).toContain("2 problems found");
  });

  it("schema prints the committed JSON Schema; usage errors exit 2", async () => {
    const result = await tower(repo.root, ["schema"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      await fsp.readFile(path.join(PROJECT_ROOT, "streams.schema.json"), "utf8"),
    );
    const usage = await tower(repo.root, ["lock"]);
    expect(usage.code).toBe(2);
    const unknown = await tower(repo.root, ["frobnicate"]);
    expect(unknown.code).toBe(2);
  });
});
