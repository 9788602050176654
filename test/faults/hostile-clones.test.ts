/**
 * Hostile clones: a repository made to attack whoever clones it and runs Tower in it. Each case
 * builds such a repository, clones it with git (links and all), and runs what a user would: the
 * control room (in a real tmux), `tower status`, `check`, `start`, `merge`, `lock`, `handoff`,
 * `checkpoint run`, with a fake HOME and a Tower folder that trusts nothing. Every command the
 * plan holds would leave a marker in the temp folder and in HOME if it ran.
 *
 * Each case ends with the shared invariants (invariants.ts): no marker, nothing written in the
 * folder beside the clone that the repository's links point into nor in HOME, no commit or file
 * of the clone lost, no agent process left.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, git, type RunResult, tower, waitFor } from "../helpers/repo.js";
import { killAgents, readAgents, settle } from "./agents.js";
import { Invariants } from "./invariants.js";

interface Clone {
  parent: string;
  root: string;
  outside: string;
  home: string;
  env: NodeJS.ProcessEnv;
  markers: string[];
  invariants: Invariants;
}

const clones: Clone[] = [];
const rigs: TmuxRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
  for (const clone of clones.splice(0)) {
    await settle(path.dirname(clone.root));
    killAgents(clone.root);
    for (const marker of clone.markers) rmSync(path.join(os.tmpdir(), marker), { force: true });
    rmSync(clone.parent, { recursive: true, force: true });
  }
});

/** A shell command that leaves marker `name` in the temp folder and in HOME. */
const pwn = (marker: string) => `touch ${path.join(os.tmpdir(), marker)} "$HOME/${marker}"`;

type Entry = string | { link: string };

/** What the files beside the clone hold (hostileClone). */
const VICTIM = '{"locks": {}, "version": 1}\n';

/**
 * Commits `files` (text, or a symbolic link with a relative target) in a new repository and
 * clones it beside a folder `outside` (files in it: the victims of the links) and a fake HOME.
 */
async function hostileClone(
  make: (markers: (what: string) => string) => Record<string, Entry>,
  options: { outsideRepo?: boolean } = {},
) {
  const parent = realpathSync(mkdtempSync(path.join(os.tmpdir(), "tower-hostile-")));
  const tag = randomBytes(4).toString("hex");
  const markers: string[] = [];
  const marker = (what: string) => {
    const name = `tower-pwned-${tag}-${what}`;
    markers.push(name);
    return name;
  };
  const files = make(marker);
  const origin = path.join(parent, "origin");
  mkdirSync(origin);
  git(origin, "init", "-q", "-b", "main");
  git(origin, "config", "user.email", "evil@example.com");
  git(origin, "config", "user.name", "Evil");
  for (const [name, entry] of Object.entries(files)) {
    const file = path.join(origin, name);
    mkdirSync(path.dirname(file), { recursive: true });
    if (typeof entry === "string") writeFileSync(file, entry);
    else symlinkSync(entry.link, file);
  }
  git(origin, "add", "-A", "-f");
  git(origin, "commit", "-q", "-m", "a helpful project");
  const root = path.join(parent, "clone");
  git(parent, "clone", "-q", origin, root);
  git(root, "config", "user.email", "user@example.com");
  git(root, "config", "user.name", "User");
  const outside = path.join(parent, "outside");
  mkdirSync(path.join(outside, "state", "logs"), { recursive: true });
  mkdirSync(path.join(outside, "claude", "state"), { recursive: true });
  for (const name of ["victim.json", "state/file_locks.json", "claude/state/file_locks.json"]) {
    writeFileSync(path.join(outside, name), VICTIM);
  }
  writeFileSync(path.join(outside, "log.jsonl"), "");
  writeFileSync(path.join(outside, "handoffs.json"), '{"handoffs": []}\n');
  if (options.outsideRepo) {
    // A repository of the user's beside the clone, whose index git would refresh (rewrite) in
    // a `git status` there: a tracked file's times changed since it was added.
    git(outside, "init", "-q", "-b", "main");
    git(outside, "add", "-A");
    git(
      outside,
      "-c",
      "user.email=u@example.com",
      "-c",
      "user.name=U",
      "commit",
      "-q",
      "-m",
      "mine",
    );
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(outside, "victim.json"), later, later);
  }
  const home = path.join(parent, "home");
  mkdirSync(path.join(home, ".config"), { recursive: true });
  writeFileSync(path.join(home, ".profile"), "# the user's\n");
  // A Tower folder of this clone's own: nothing trusted.
  const env = { HOME: home, TOWER_CONFIG_DIR: path.join(parent, "tower-config") };
  const invariants = await Invariants.take({
    root,
    sentinels: [outside, home],
    tempMarkers: markers,
  });
  const clone = { parent, root, outside, home, env, markers, invariants };
  clones.push(clone);
  return clone;
}

const run = (clone: Clone, args: string[]) => tower(clone.root, args, clone.env);

/** Opens the control room in tmux and waits until it shows `text` (one of them). */
async function openRoom(clone: Clone, texts: string[]): Promise<string> {
  const env = Object.fromEntries(Object.entries(clone.env).map(([k, v]) => [k, String(v)]));
  const rig = new TmuxRig(clone.root, `node ${CLI}`, { cols: 160, rows: 48 }, env);
  rigs.push(rig);
  const screen = await rig.waitFor(
    (s) => texts.some((text) => s.includes(text)),
    texts.join(" or "),
  );
  return screen;
}

async function closeRooms(): Promise<void> {
  for (const rig of rigs.splice(0)) await rig.close();
}

/** No marker, nothing written outside, nothing lost, no agent left. */
async function expectNothingEscaped(clone: Clone): Promise<void> {
  await closeRooms();
  await settle(clone.parent);
  expect(await clone.invariants.check()).toEqual([]);
}

const HOSTILE_PLAN = (marker: (what: string) => string, extra = "") => `version: 1
project: helpful
agent: ${JSON.stringify(pwn(marker("agent")))}
validate:
  - ${JSON.stringify(pwn(marker("validate")))}
checkpoints:
  tests: { run: ${JSON.stringify(pwn(marker("checkpoint")))} }
${extra}streams:
  A:
    name: Alpha
    agents: [{ id: A1, task: "one" }]
  B:
    name: Beta
    agents: [{ id: B1, task: "two" }]
`;

/** A plan whose commands do nothing harmful, for cases where the user trusts it. */
const HARMLESS_PLAN = `version: 1
project: helpful
agent: [claude, "{task}"]
checkpoints:
  quality:
    criteria:
      - { name: tests, run: "true" }
streams:
  A:
    name: Alpha
    agents: [{ id: A1, task: "one" }]
`;

/** The command failed with `message` (a clear one, not an unexpected error). */
function expectRefused(result: RunResult, message: string, what = ""): void {
  expect(result.code, what).not.toBe(0);
  expect(result.stderr, what).toContain(message);
  expect(result.stderr, what).not.toContain("unexpected error");
}

describe("a hostile clone", () => {
  it("whose state names a folder outside as a stream's worktree: a merge of that stream never looks into it nor touches it", async () => {
    const clone = await hostileClone(
      () => ({
        "streams.yaml": `version: 1
project: helpful
streams:
  B:
    name: Beta
    agents: [{ id: B1, task: "two" }]
`,
        ".claude/state/orchestrator_state.json": JSON.stringify({
          streams: {
            B: {
              status: "completed",
              started_at: "2025-01-01T00:00:00Z",
              completed_at: "2025-01-01T00:00:00Z",
              worktree: "../outside",
              branch: "main",
              agents: ["B1"],
            },
          },
          started_at: null,
        }),
      }),
      { outsideRepo: true },
    );
    const merge = await run(clone, ["merge", "B"]);
    expect(merge.stderr).not.toContain("unexpected error");
    expect(merge.stdout).toContain(
      "worktree ../outside kept: not a worktree of this repository (Tower removes only its own); branch main kept with it",
    );
    await expectNothingEscaped(clone);
  });

  it("runs none of its plan's commands until the user trusts them: not on opening with a stream in progress, nor on start, merge or checkpoint run", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      // A committed state: A in progress in the clone itself (its agents would start on
      // opening), B completed (a merge would validate) in the folder beside the clone.
      ".claude/state/orchestrator_state.json": JSON.stringify({
        streams: {
          A: {
            status: "in_progress",
            started_at: "2025-01-01T00:00:00Z",
            worktree: ".",
            branch: "main",
            agents: ["A1"],
          },
          B: {
            status: "completed",
            started_at: "2025-01-01T00:00:00Z",
            completed_at: "2025-01-01T00:00:00Z",
            worktree: "../outside",
            branch: "main",
            agents: ["B1"],
          },
        },
        started_at: null,
      }),
    }));
    const screen = await openRoom(clone, ["Trust this plan?"]);
    expect(screen).toContain("Nothing of it runs until you trust it");
    await closeRooms();
    for (const args of [
      ["merge", "B"],
      ["checkpoint", "run", "tests"],
      ["start", "A"],
    ]) {
      const result = await run(clone, args);
      expect(result.stderr, args.join(" ")).not.toContain("unexpected error");
    }
    const merge = await run(clone, ["merge", "B"]);
    expect(merge.code).not.toBe(0);
    expect(merge.stderr).toContain("has not been trusted on this machine");
    await expectNothingEscaped(clone);
  });

  it("whose state folder is a link out of the repository: nothing is read or written through it", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      ".claude/state": { link: "../../outside/state" },
    }));
    for (const args of [
      ["lock", "a.txt", "--agent", "A1"],
      ["handoff", "--from", "A1", "--to", "B1", "--task", "t"],
      ["start", "A"],
      ["check"],
      ["status"],
    ]) {
      const result = await run(clone, args);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr, args.join(" ")).toContain("is a symbolic link");
      expect(result.stderr, args.join(" ")).not.toContain("unexpected error");
    }
    await openRoom(clone, ["is a symbolic link"]);
    await expectNothingEscaped(clone);
  });

  it("whose .claude folder is a link out of the repository: nothing is written through it", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      ".claude": { link: "../outside/claude" },
    }));
    for (const args of [["lock", "a.txt", "--agent", "A1"], ["start", "A"], ["check"]]) {
      const result = await run(clone, args);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr, args.join(" ")).toContain("is a symbolic link");
    }
    await openRoom(clone, ["is a symbolic link"]);
    await expectNothingEscaped(clone);
  });

  it("whose state files are links out of the repository: each is refused, naming it", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      ".claude/state/file_locks.json": { link: "../../../outside/victim.json" },
      ".claude/state/agent_activity.jsonl": { link: "../../../outside/log.jsonl" },
      ".claude/state/handoffs.json": { link: "../../../outside/handoffs.json" },
      ".claude/state/logs": { link: "../../../outside/state/logs" },
    }));
    for (const args of [
      ["lock", "a.txt", "--agent", "A1"],
      ["handoff", "--from", "A1", "--to", "B1", "--task", "t"],
      ["check"],
    ]) {
      const result = await run(clone, args);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr, args.join(" ")).toContain("is a symbolic link");
    }
    await openRoom(clone, ["is a symbolic link"]);
    await expectNothingEscaped(clone);
  });

  it("whose hook scripts folder holds a link out of the repository: start refuses it, naming it, and the file it points at is untouched", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      ".claude/state/git-hooks/post-merge": { link: "../../../../outside/victim.json" },
    }));
    const link = path.join(clone.root, ".claude/state/git-hooks/post-merge");
    const start = await run(clone, ["start", "A"]);
    expectRefused(start, `${link} is a symbolic link`);
    expect(readFileSync(path.join(clone.outside, "victim.json"), "utf8")).toBe(VICTIM);
    // Not recorded as started: the guard goes in before the start is recorded.
    expect(existsSync(path.join(clone.root, ".claude/state/orchestrator_state.json"))).toBe(false);
    await expectNothingEscaped(clone);
  });

  it("whose handoffs folder is a link out of the repository: a handoff is refused, naming it, before anything is recorded", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      ".claude/state/handoffs": { link: "../../../outside" },
    }));
    const link = path.join(clone.root, ".claude/state/handoffs");
    for (const args of [["handoff", "--from", "A1", "--to", "B1", "--task", "t"], ["check"]]) {
      expectRefused(await run(clone, args), `${link} is a symbolic link`, args.join(" "));
    }
    expect(existsSync(path.join(clone.outside, "B1.md"))).toBe(false);
    expect(existsSync(path.join(clone.root, ".claude/state/handoffs.json"))).toBe(false);
    await expectNothingEscaped(clone);
  });

  it("whose handoff summary is a link out of the repository: a handoff is refused, naming it, before anything is recorded", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      ".claude/state/handoffs/B1.md": { link: "../../../../outside/victim.json" },
    }));
    const link = path.join(clone.root, ".claude/state/handoffs/B1.md");
    const handoff = await run(clone, ["handoff", "--from", "A1", "--to", "B1", "--task", "t"]);
    expectRefused(handoff, `${link} is a symbolic link`);
    expect(readFileSync(path.join(clone.outside, "victim.json"), "utf8")).toBe(VICTIM);
    expect(existsSync(path.join(clone.root, ".claude/state/handoffs.json"))).toBe(false);
    await expectNothingEscaped(clone);
  });

  it("whose launch folder is a link out of the repository: every command refuses it, naming it", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker),
      ".claude/state/launch": { link: "../../../outside" },
    }));
    const link = path.join(clone.root, ".claude/state/launch");
    for (const args of [["start", "A"], ["check"], ["lock", "a.txt", "--agent", "A1"]]) {
      expectRefused(await run(clone, args), `${link} is a symbolic link`, args.join(" "));
    }
    await openRoom(clone, ["is a symbolic link"]);
    await expectNothingEscaped(clone);
  });

  it("whose launch folder for an agent is a link out of the repository: the agent does not start, and nothing is written through it", async () => {
    const clone = await hostileClone(() => ({
      "streams.yaml": HARMLESS_PLAN,
      ".claude/state/launch/A1": { link: "../../../../outside" },
    }));
    expect((await run(clone, ["trust", "--yes"])).code).toBe(0);
    expect((await run(clone, ["start", "A"])).code).toBe(0);
    // The room starts A1 (a Claude Code agent): its launch files would go in launch/A1.
    await openRoom(clone, ["launch/A1 is a symbolic link"]);
    expect(existsSync(path.join(clone.outside, "claude-settings.json"))).toBe(false);
    await expectNothingEscaped(clone);
  });

  it("whose checkpoint log is a link out of the repository: the gate is refused, naming it, before anything is recorded", async () => {
    const clone = await hostileClone(() => ({
      "streams.yaml": HARMLESS_PLAN,
      ".claude/state/logs/checkpoint-quality.log": { link: "../../../../outside/victim.json" },
    }));
    expect((await run(clone, ["trust", "--yes"])).code).toBe(0);
    const link = path.join(clone.root, ".claude/state/logs/checkpoint-quality.log");
    const gate = await run(clone, ["gate", "run", "quality"]);
    expectRefused(gate, `${link} is a symbolic link`);
    expect(readFileSync(path.join(clone.outside, "victim.json"), "utf8")).toBe(VICTIM);
    expect(existsSync(path.join(clone.root, ".claude/state/checkpoints.json"))).toBe(false);
    await expectNothingEscaped(clone);
  });

  it.each([
    ["state_dir: ../outside/state", "state_dir"],
    ["state_dir: /tmp", "state_dir"],
    ["worktrees: /", "worktrees"],
    ["project: ../../outside/x", "project"],
    ["branch_prefix: ../../", "branch_prefix"],
  ])("whose plan says %s: refused, naming the key, nothing created outside", async (line, key) => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": HOSTILE_PLAN(marker).replace("project: helpful\n", `${line}\n`),
    }));
    for (const args of [["check"], ["start", "A"], ["lock", "a.txt", "--agent", "A1"]]) {
      const result = await run(clone, args);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr, args.join(" ")).toContain(key);
      expect(result.stderr, args.join(" ")).not.toContain("unexpected error");
    }
    expect(existsSync("/helpful-stream-A")).toBe(false);
    await expectNothingEscaped(clone);
  });

  it("whose tasks smuggle shell code past quoted placeholders: the plan is refused, and nothing runs even once the user trusts its commands", async () => {
    const clone = await hostileClone((marker) => ({
      // The commands look harmless, and are what the user reviews and trusts; the tasks, which
      // are not commands, carry the attack.
      "streams.yaml": `version: 1
project: helpful
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: ${JSON.stringify(`$(${pwn(marker("double"))})`)}, agent: 'echo "{task}"' }
      - { id: A2, task: ${JSON.stringify(`'; ${pwn(marker("single"))}; '`)}, agent: "echo '{task}'" }
      - { id: A3, task: ${JSON.stringify(`$(${pwn(marker("list"))})`)}, agent: [bash, -c, 'echo "{task}"'] }
`,
    }));
    const check = await run(clone, ["check"]);
    expect(check.code).not.toBe(0);
    expect(check.stderr).toMatch(/streams\.yaml:7:\d+: .*placeholder \{task\} is inside quotes/);
    expect(check.stderr).toMatch(/streams\.yaml:9:\d+: .*placeholder \{task\} is inside quotes/);
    await run(clone, ["trust", "--yes"]);
    await run(clone, ["start", "A"]);
    await openRoom(clone, ["inside quotes"]);
    await expectNothingEscaped(clone);
  });

  it("whose tasks go into a shell's script in the list form: run as text, never as code", async () => {
    const clone = await hostileClone((marker) => ({
      "streams.yaml": `version: 1
project: helpful
streams:
  A:
    name: Alpha
    agents:
      - { id: A1, task: ${JSON.stringify(`$(${pwn(marker("sh"))})`)}, agent: [sh, -c, "echo {task}"] }
      - { id: A2, task: ${JSON.stringify(`x; ${pwn(marker("bash"))}`)}, agent: [bash, -ec, "echo {task}"] }
      - { id: A3, task: ${JSON.stringify(`\`${pwn(marker("env"))}\``)}, agent: [/usr/bin/env, sh, -c, "echo {task}"] }
`,
    }));
    const check = await run(clone, ["check"]);
    expect(check.code, check.stderr).toBe(0);
    expect((await run(clone, ["trust", "--yes"])).code).toBe(0);
    expect((await run(clone, ["start", "A"])).code).toBe(0);
    await openRoom(clone, ["A1"]);
    // Every agent printed its task as text and ended.
    await waitFor(
      () => {
        const agents = readAgents(path.join(clone.root, ".claude/state"));
        return ["A1", "A2", "A3"].every((id) => agents[id]?.status === "exited") ? true : undefined;
      },
      30_000,
      "the agents to end",
    );
    for (const id of ["A1", "A2", "A3"]) {
      const log = readFileSync(
        path.join(clone.root, ".claude/state/logs", `agent-${id}.log`),
        "utf8",
      );
      expect(log, id).toContain("tower-pwned-");
    }
    await expectNothingEscaped(clone);
  });
});
