/**
 * The five standard roles Tower ships. A plan uses them by id (`role: architect`) and may
 * override any field of one under `roles:`; the fields it does not give keep these.
 */
export interface RoleText {
  name: string;
  responsibilities: string[];
  deliverables: string[];
  criteria: string[];
}

export const BUILTIN_ROLES: Readonly<Record<string, RoleText>> = {
  architect: {
    name: "Architect",
    responsibilities: [
      "the system's design and module boundaries",
      "API contracts between the streams",
      "architecture decision records (ADRs)",
    ],
    deliverables: ["a design note with the module layout", "API contracts", "ADRs"],
    criteria: ["no circular dependencies between modules", "every public API has a contract"],
  },
  "senior-developer": {
    name: "Senior developer",
    responsibilities: ["core logic", "integration of the streams' work", "code review"],
    deliverables: ["the core implementation, integrated", "review notes"],
    criteria: ["all tests pass"],
  },
  specialist: {
    name: "Specialist",
    responsibilities: ["one integration or area, in depth"],
    deliverables: ["that integration or area, with its own validation tests"],
    criteria: ["its own validation tests pass"],
  },
  "performance-engineer": {
    name: "Performance engineer",
    responsibilities: ["benchmarks", "profiling and optimisation of hot paths"],
    deliverables: ["benchmarks that run in CI", "a before/after comparison"],
    criteria: ["no performance regression against the base branch"],
  },
  "qa-validator": {
    name: "QA validator",
    responsibilities: ["end-to-end tests", "user scenarios"],
    deliverables: ["end-to-end tests of the main user scenarios", "a list of defects found"],
    criteria: ["every user scenario passes end to end"],
  },
};

export const BUILTIN_ROLE_IDS = Object.keys(BUILTIN_ROLES);
