/** An agent's resolved role and the lines its briefing gets. */
import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/engine/plan/index.js";
import { agentRole, roleBriefing, roleLabel } from "../../src/engine/roles.js";

const plan = parsePlan(
  [
    "version: 1",
    "roles:",
    "  qa-validator: { criteria: [every checkout scenario passes] }",
    "  scribe: { name: Scribe, deliverables: docs/guide.md }",
    "streams:",
    "  A:",
    "    name: Alpha",
    '    scope: ["a/**"]',
    "    agents:",
    "      - { id: A1, task: design, role: architect }",
    "      - { id: A2, task: check, role: qa-validator }",
    "      - { id: A3, task: write, role: scribe }",
    "      - { id: A4, task: code }",
  ].join("\n"),
  "/repo/streams.yaml",
);

describe("agentRole", () => {
  it("resolves built-in, overridden and plan roles; none for an agent without one", () => {
    expect(agentRole(plan, "A1")).toEqual({
      id: "architect",
      name: "Architect",
      responsibilities: [
        "the system's design and module boundaries",
        "API contracts between the streams",
        "architecture decision records (ADRs)",
      ],
      deliverables: ["a design note with the module layout", "API contracts", "ADRs"],
      criteria: ["no circular dependencies between modules", "every public API has a contract"],
    });
    expect(agentRole(plan, "A2")?.criteria).toEqual(["every checkout scenario passes"]);
    expect(agentRole(plan, "A2")?.responsibilities).toEqual(["end-to-end tests", "user scenarios"]);
    expect(agentRole(plan, "A4")).toBeUndefined();
    expect(agentRole(plan, "nobody")).toBeUndefined();
    expect(roleLabel(plan, "A3")).toBe("Scribe");
  });

  it("says the role in a few lines, leaving out the parts it does not have", () => {
    expect(roleBriefing(agentRole(plan, "A2")!)).toBe(
      [
        "Your role: QA validator.",
        "You are responsible for: end-to-end tests; user scenarios.",
        "Deliver: end-to-end tests of the main user scenarios; a list of defects found.",
        "Your work is done when: every checkout scenario passes.",
      ].join("\n"),
    );
    expect(roleBriefing(agentRole(plan, "A3")!)).toBe(
      "Your role: Scribe.\nDeliver: docs/guide.md.",
    );
  });
});
