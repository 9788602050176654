import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mergeOrder, parsePlan, phases } from "../../src/engine/plan/index.js";

const file = fileURLToPath(new URL("../../streams.yaml", import.meta.url));
const text = readFileSync(file, "utf8");

describe("the example streams.yaml at the repository root", () => {
  const plan = parsePlan(text, file);

  it("starts with the schema modeline", () => {
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./streams.schema.json");
  });

  it("parses without warnings into eight streams in file order", () => {
    expect(plan.warnings).toEqual([]);
    expect(plan.streams.map((s) => `${s.id} ${s.name}`)).toEqual([
      "A Foundation",
      "B Observability",
      "C Analytics",
      "D Scanners",
      "E Models",
      "F LLM",
      "G Execution",
      "H Applications",
    ]);
    for (const stream of plan.streams) {
      expect(stream.agents.length, stream.id).toBeGreaterThanOrEqual(1);
      expect(stream.agents.length, stream.id).toBeLessThanOrEqual(3);
      expect(stream.scope.length, stream.id).toBeGreaterThan(0);
    }
  });

  it("has the settings and checkpoints of the example", () => {
    expect(plan.project).toBe("trading-bot");
    expect(plan.base).toBe("develop");
    expect(plan.lockTtlMs).toBe(60 * 60_000);
    expect(plan.validate.length).toBeGreaterThan(0);
    expect(plan.checkpoints.map((c) => c.id)).toEqual([
      "architecture_review",
      "implementation_complete",
      "integration_tests_pass",
      "quality",
      "acceptance",
    ]);
    expect(plan.streams.find((s) => s.id === "E")?.requires).toEqual(["architecture_review"]);
  });

  it("shows roles, a task board and a quality gate", () => {
    expect(
      plan.streams.flatMap((s) => s.agents.filter((a) => a.role).map((a) => `${a.id} ${a.role}`)),
    ).toEqual(["A1 architect", "E1 senior-developer", "E2 quant"]);
    expect(
      plan.streams.find((s) => s.id === "E")?.tasks.map((t) => `${t.id} ${t.priority}`),
    ).toEqual(["split-models P0", "seeds P1", "backtest P1", "model-docs P3"]);
    const quality = plan.checkpoints.find((c) => c.id === "quality");
    expect(quality?.auto).toBe(true);
    expect(quality?.criteria?.map((c) => c.name)).toEqual(["types", "coverage", "latency"]);
  });

  it("runs in four phases", () => {
    expect(phases(plan)).toEqual([["A", "B", "C", "D"], ["E", "F"], ["G"], ["H"]]);
    expect(mergeOrder(plan)).toEqual(["A", "B", "C", "D", "E", "F", "G", "H"]);
  });
});
