/**
 * `tower demo`: a throwaway repository with a small codebase and a plan whose agents are the
 * scripted fake agent, chosen so that within a minute or two the control room shows agents
 * working side by side, locks taken and released, an agent asking to proceed, two streams
 * changing the same file (an overlap and a predicted merge conflict), a scope violation, a stream
 * completing with a handoff to the stream that depends on it, a checkpoint waiting for approval,
 * a merge that passes validation, agents with roles moving their tasks on stream A's board, and a
 * quality gate that runs by itself once the docs are completed. Everything lives in one folder marked as Tower's demo, which
 * `--clean` (or the next `tower demo`) removes; no other folder is ever removed.
 */
import { existsSync, promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RefusedError } from "./errors.js";
import { commitAll, initRepository } from "./git/index.js";
import { initProject } from "./init.js";
import { startStream } from "./orchestrator/start.js";
import { openProject, type Project } from "./project.js";
import { trustPlan } from "./trust.js";

export const DEMO_MARKER = ".tower-demo";
/** The demo's repository, a folder of the demo's folder (its worktrees are beside it). */
export const DEMO_REPO = "shop";
export const defaultDemoDir = () => path.join(os.tmpdir(), "tower-demo");

const FILES: Record<string, string> = {
  "README.md": "# shop\n\nA small shop: an API, billing and docs. Tower's demo repository.\n",
  "src/api.ts": "export function charge(amount: number): number {\n  return amount;\n}\n",
  "src/util.ts": "export const round = (x: number): number => Math.round(x * 100) / 100;\n",
  "src/billing.ts":
    'import { charge } from "./api.js";\n\nexport const invoice = (amount: number) => charge(amount);\n',
  "docs/guide.md": "# Guide\n\nHow to use the shop.\n",
};

/** Each agent's script for the fake agent (see `tower-fake-agent`). */
const SCRIPTS: Record<string, string[]> = {
  A1: [
    "banner",
    "tower task start api",
    "lock src/api.ts",
    "work 4000 Reading the API",
    "edit src/api.ts export function refund(amount: number): number { return -amount; }",
    "commit Add refunds to the API",
    "work 2000 Running the tests",
    "ask Do you want to proceed?",
    "say Proceeding: the API is ready for the engine.",
    "tower task done api",
    "unlock src/api.ts",
    "echo",
  ],
  A2: [
    "banner",
    "tower task start helpers",
    "work 9000 Tidying helpers",
    "edit src/util.ts export const clamp = (x: number) => Math.max(0, x);",
    "commit Add clamp",
    "tower task done helpers",
    "echo",
  ],
  B1: [
    "banner",
    "lock src/billing.ts",
    "work 3000 Planning invoices",
    "edit src/billing.ts export const credit = (amount: number) => -amount;",
    "edit src/api.ts export const CURRENCY = 'EUR';",
    "commit Billing: credits, and a currency in the API",
    "unlock src/billing.ts",
    "echo",
  ],
  C1: [
    "banner",
    "work 3000 Writing the guide",
    "edit docs/guide.md Refunds are negative charges.",
    "commit Document refunds",
    "tower complete {stream}",
    "tower handoff --from {agent} --to D1 --note the-guide-explains-refunds",
    "echo",
  ],
  D1: ["banner", "work 3000 Building the engine", "echo"],
  E1: ["banner", "work 3000 Preparing the release", "echo"],
};

function planText(fakeAgent: string): string {
  const agent = (id: string, task: string, role: string) =>
    `      - id: ${id}\n        task: ${JSON.stringify(task)}\n        role: ${role}\n        agent: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fakeAgent)}, --step, ${JSON.stringify((SCRIPTS[id] ?? ["banner", "echo"]).join("\n"))}]\n        preset: claude\n`;
  return `# Tower's demo plan: five streams of a small shop, run by the scripted fake agent.
version: 1
project: shop
base: main
validate:
  - test -f src/api.ts
checkpoints:
  design_review: { approval: human }
  smoke: { run: "test -f src/api.ts", depends_on: [design_review] }
  # A quality gate: runs by itself once the docs are completed, and records what it measured.
  docs_quality:
    after: [C]
    auto: true
    criteria:
      - { name: guide_lines, run: "wc -l < docs/guide.md", metric: '(\\d+)', expect: ">= 2" }
streams:
  A:
    name: Foundation
    scope: ["src/api.ts", "src/util.ts"]
    agents:
${agent("A1", "Add refunds to the API", "architect")}${agent("A2", "Tidy the helpers", "senior-developer")}    tasks:
      - { id: api, title: Refunds in the API, priority: P0, agent: A1 }
      - { id: helpers, title: Tidy the helpers, priority: P2, agent: A2 }
      - { id: api_tests, title: Tests for refunds, priority: P1, depends_on: [api] }
  B:
    name: Billing
    scope: ["src/billing.ts"]
    agents:
${agent("B1", "Credits in billing", "specialist")}
  C:
    name: Docs
    scope: ["docs/**"]
    agents:
${agent("C1", "Document refunds", "senior-developer")}
  D:
    name: Engine
    depends_on: [A, C]
    requires: [design_review, docs_quality]
    scope: ["src/engine/**"]
    agents:
${agent("D1", "The pricing engine", "performance-engineer")}
  E:
    name: Release
    depends_on: [D, B]
    scope: ["CHANGELOG.md"]
    agents:
${agent("E1", "Prepare the release", "qa-validator")}
`;
}

/** Removes a demo folder made by `tower demo`; refuses any folder without the demo's marker. */
export async function cleanDemo(dir: string = defaultDemoDir()): Promise<boolean> {
  if (!existsSync(dir)) return false;
  if (!existsSync(path.join(dir, DEMO_MARKER))) {
    throw new RefusedError(
      `${dir} is not a Tower demo folder (no ${DEMO_MARKER} in it): it was left alone`,
    );
  }
  await fsp.rm(dir, { recursive: true, force: true });
  return true;
}

export interface Demo {
  dir: string;
  project: Project;
  started: string[];
  /** Their worktrees, in the same order. */
  worktrees: string[];
}

/** Makes the demo (replacing a previous one in the same folder) and starts every phase-1 stream. */
export async function createDemo(options: { dir?: string; fakeAgent: string }): Promise<Demo> {
  const dir = path.resolve(options.dir ?? defaultDemoDir());
  await cleanDemo(dir);
  const root = path.join(dir, DEMO_REPO);
  await fsp.mkdir(root, { recursive: true });
  await fsp.writeFile(
    path.join(dir, DEMO_MARKER),
    "made by `tower demo`; `tower demo --clean` removes this folder\n",
  );
  for (const [file, content] of Object.entries(FILES)) {
    await fsp.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fsp.writeFile(path.join(root, file), content);
  }
  await fsp.writeFile(path.join(root, "streams.yaml"), planText(options.fakeAgent));
  await initRepository(root, "main", { name: "Tower demo", email: "demo@tower.invalid" });
  await commitAll(root, "The shop, and Tower's plan for it");
  await initProject(root, {});
  const project = await openProject(root, {});
  // The demo's plan is Tower's own: it runs the fake agent and nothing else.
  await trustPlan(project.plan);
  const started: string[] = [];
  const worktrees: string[] = [];
  for (const stream of project.plan.streams.filter((s) => s.dependsOn.length === 0)) {
    worktrees.push((await startStream(project, stream.id)).worktree);
    started.push(stream.id);
  }
  return { dir, project, started, worktrees };
}
