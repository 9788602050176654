import { describe, expect, it } from "vitest";
import { type PlanError, parsePlan } from "../../src/engine/plan/index.js";

const plan = (ui: string) => `version: 1
${ui}
streams:
  A:
    name: A
    agents: [{ id: A1, task: t }]
`;

const errors = (text: string): string[] => {
  try {
    parsePlan(text, "/repo/streams.yaml");
    return [];
  } catch (error) {
    return (error as PlanError).message.split("\n");
  }
};

describe("ui.keys in streams.yaml", () => {
  it("reads keys by command id, one or several", () => {
    const parsed = parsePlan(
      plan("ui:\n  keys:\n    agent.handoff: o\n    app.help: ['?', F]"),
      "/repo/streams.yaml",
    );
    expect(parsed.uiKeys).toEqual({ "agent.handoff": ["o"], "app.help": ["?", "F"] });
    expect(parsePlan(plan(""), "/repo/streams.yaml").uiKeys).toEqual({});
  });
  it("reports unknown commands, bad key names and unknown keys with their positions", () => {
    const found = errors(
      plan("ui:\n  keys:\n    pane.lft: x\n    app.quit: [ctrl+q, 'not a key']\n  kyes: {}"),
    );
    expect(found[0]).toMatch(
      /^streams\.yaml:4:5: ui\.keys: unknown command "pane\.lft" \(valid: pane\.left, /,
    );
    expect(found[1]).toMatch(
      /^streams\.yaml:5:24: ui: keys\.app\.quit\[1\] "not a key" is not a key name: /,
    );
    expect(found[2]).toBe('streams.yaml:6:3: ui: unknown key "kyes" (valid: notify, mouse, keys)');
  });
});
