/**
 * The run report as a pure function of the state files: the cases a short real run does not
 * make (lock renewals and takeovers, agents that announce their start and exit, conflicts found
 * and cleared, failed merges and validations, a forged pass, a run still going).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePlan } from "../../src/engine/plan/index.js";
import { buildRunReport, type ReportSources } from "../../src/engine/report/index.js";
import { Seal } from "../../src/engine/seal.js";
import type { ActivityEntry } from "../../src/engine/state/formats.js";

const plan = parsePlan(
  [
    "version: 1",
    "checkpoints:",
    "  review: { approval: human }",
    "  smoke: { run: 'true' }",
    "streams:",
    "  A:",
    "    name: API",
    '    scope: ["src/**"]',
    "    agents: [{ id: A1, task: api, role: architect }, { id: A2, task: tests }]",
    "  B:",
    "    name: Billing",
    '    scope: ["billing/**"]',
    "    agents: [{ id: B1, task: billing }]",
    "  C:",
    "    name: Later",
    "    depends_on: [B]",
    '    scope: ["c/**"]',
    "    agents: [{ id: C1, task: later }]",
  ].join("\n"),
  "/repo/streams.yaml",
);

/** A seal key of the test's own (a Seal reads its key from a file). */
const KEY_DIR = mkdtempSync(path.join(os.tmpdir(), "tower-seal-"));
const KEY_FILE = path.join(KEY_DIR, "seal.key");
writeFileSync(KEY_FILE, Buffer.alloc(32, 7), { mode: 0o600 });
afterAll(() => rmSync(KEY_DIR, { recursive: true, force: true }));

const T = (minutes: number) => new Date(Date.UTC(2025, 11, 6, 10, minutes)).toISOString();
const e = (minutes: number, agent: string, stream: string, action: string, extra = {}) =>
  ({ timestamp: T(minutes), agent, stream, action, ...extra }) as ActivityEntry;

function sources(over: Partial<ReportSources> = {}): ReportSources {
  return {
    plan,
    base: "main",
    activity: [],
    orchestrator: { streams: {}, started_at: null },
    checkpoints: { checkpoints: {}, version: 1 },
    tasks: { tasks: {}, version: 1 },
    handoffs: { handoffs: [] },
    agents: { agents: {}, version: 1 },
    conflictWarnings: [],
    git: {},
    seal: new Seal(KEY_FILE, "/repo"),
    now: new Date(T(90)),
    warnings: [],
    ...over,
  };
}

describe("buildRunReport", () => {
  it("knows nothing of a run that has not started", () => {
    const report = buildRunReport(sources());
    expect(report.run).toEqual({
      started_at: null,
      ended_at: null,
      wall_ms: null,
      agent_ms: 0,
      parallelism: null,
      saved_ms: null,
      finished: false,
    });
    expect(report.streams[0]).toMatchObject({ status: "pending", started_at: null, work_ms: null });
    expect(report.agents[0]).toMatchObject({ started_at: null, ended_at: null, active_ms: null });
    expect(report.verdict.lines.map((l) => l.text)).toEqual([
      "0 of 3 streams merged; not merged: A (pending), B (pending), C (pending)",
      "0 of 1 gates passed; not passed: smoke (pending)",
      "waiting for human acceptance: review (pending)",
    ]);
  });

  it("times agents by their own start and exit when they announce them, else by their stream", () => {
    const report = buildRunReport(
      sources({
        orchestrator: {
          streams: {
            A: { status: "completed", started_at: T(0), completed_at: T(40) },
            B: { status: "in_progress", started_at: T(5) },
          },
          started_at: null,
        },
        activity: [
          e(0, "tower", "A", "started"),
          e(2, "A1", "A", "agent_started"),
          e(5, "tower", "B", "started"),
          e(30, "A1", "A", "agent_exited"),
          e(40, "tower", "A", "completed"),
          e(50, "B1", "B", "note"),
        ],
        agents: {
          agents: { A2: { stream: "A", status: "exited", updated: T(35), exit_code: 0 } },
          version: 1,
        },
      }),
    );
    const agents = Object.fromEntries(report.agents.map((a) => [a.id, a]));
    expect([agents["A1"]!.started_at, agents["A1"]!.ended_at]).toEqual([T(2), T(30)]);
    expect([agents["A2"]!.started_at, agents["A2"]!.ended_at, agents["A2"]!.exit_code]).toEqual([
      T(0),
      T(35),
      0,
    ]);
    // B is still at work: its agent counts to the last event of the log.
    expect([agents["B1"]!.started_at, agents["B1"]!.ended_at]).toEqual([T(5), T(50)]);
    expect(agents["C1"]!.active_ms).toBeNull();
    expect(agents["A1"]!.role_name).toBe("Architect");
    expect(report.run).toMatchObject({
      started_at: T(0),
      ended_at: T(50),
      wall_ms: 50 * 60_000,
      agent_ms: (28 + 35 + 45) * 60_000,
      parallelism: 2.16,
      saved_ms: 58 * 60_000,
      finished: false,
    });
    expect(report.streams.find((s) => s.id === "B")!.waited_ms).toBe(5 * 60_000);
  });

  it("follows locks through renewals and takeovers, and counts refusals", () => {
    const report = buildRunReport(
      sources({
        activity: [
          e(1, "A1", "A", "locked", { file: "src/a.ts" }),
          e(2, "A1", "A", "locked", { file: "src/a.ts", renewed: true }),
          e(3, "A2", "A", "refused", {
            what: "lock",
            file: "src/a.ts",
            holder: "A1",
            reason: "held",
          }),
          e(70, "B1", "B", "locked", { file: "src/a.ts", taken_over_from: "A1" }),
          e(75, "B1", "B", "released", { file: "src/a.ts" }),
          e(76, "A2", "A", "locked", { file: "src/b.ts" }),
        ],
      }),
    );
    expect(report.locks).toEqual([
      {
        agent: "A1",
        stream: "A",
        file: "src/a.ts",
        taken_at: T(1),
        released_at: T(70),
        held_ms: 69 * 60_000,
      },
      {
        agent: "B1",
        stream: "B",
        file: "src/a.ts",
        taken_at: T(70),
        released_at: T(75),
        held_ms: 5 * 60_000,
      },
      {
        agent: "A2",
        stream: "A",
        file: "src/b.ts",
        taken_at: T(76),
        released_at: null,
        held_ms: null,
      },
    ]);
    expect(report.refusals).toEqual([
      {
        at: T(3),
        agent: "A2",
        stream: "A",
        what: "lock",
        file: "src/a.ts",
        holder: "A1",
        reason: "held",
      },
    ]);
    expect(report.agents.find((a) => a.id === "A2")).toMatchObject({ refusals: 1, locks_taken: 1 });
  });

  it("reports conflicts found and cleared, failed merges and validations, and a forged pass", () => {
    const report = buildRunReport(
      sources({
        orchestrator: {
          streams: {
            A: {
              status: "merged",
              started_at: T(0),
              completed_at: T(10),
              merged_at: T(30),
              merge_commit: "abc",
              last_validation: { ok: true, commands: ["npm test"] },
            },
          },
          started_at: null,
        },
        activity: [
          e(20, "tower", "A", "validation_failed", { command: "npm test", exit_code: 2 }),
          e(21, "tower", "A", "merge_failed"),
          e(29, "tower", "A", "conflict_cleared", {
            kind: "overlap",
            streams: ["A", "B"],
            files: ["x"],
            message: "A and B both change x",
          }),
          e(30, "tower", "A", "merged"),
        ],
        conflictWarnings: [
          { timestamp: T(12), agent: "A1", warning: "A and B both change x", severity: "medium" },
        ],
        // Written by hand: no seal.
        checkpoints: { checkpoints: { smoke: { status: "passed", by: "A1" } }, version: 1 },
        git: { A: { commits: 3, files: 2 } },
        warnings: ["warning: agent_activity.jsonl:9: not JSON"],
      }),
    );
    expect(report.streams[0]).toMatchObject({
      status: "merged",
      merge_failures: 1,
      commits: 3,
      files_changed: 2,
      work_ms: 10 * 60_000,
      review_ms: 20 * 60_000,
    });
    expect(report.validations).toEqual([
      { at: T(20), stream: "A", ok: false, commands: ["npm test"], exit_code: 2 },
      { at: T(30), stream: "A", ok: true, commands: ["npm test"], exit_code: 0 },
    ]);
    expect(report.conflicts).toEqual({
      found: [
        {
          at: T(12),
          agent: "A1",
          stream: "A",
          severity: "medium",
          warning: "A and B both change x",
        },
      ],
      cleared: [
        {
          at: T(29),
          kind: "overlap",
          streams: ["A", "B"],
          files: ["x"],
          message: "A and B both change x",
        },
      ],
    });
    expect(report.checkpoints.find((c) => c.id === "smoke")).toMatchObject({
      kind: "run",
      status: "forged",
    });
    expect(report.verdict.lines[1]).toEqual({
      criterion: "gates_passed",
      ok: false,
      text: "0 of 1 gates passed; not passed: smoke (forged)",
    });
    expect(report.warnings).toEqual(["warning: agent_activity.jsonl:9: not JSON"]);
  });
});
