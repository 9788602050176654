/**
 * Claude Code 2.1.197, the real CLI, started by Tower's room as for a user (tower start, then the
 * room starts the plan's agent) against the scripted model endpoint: its writes meet Tower's
 * hooks (locks and scope bind, allowed writes take the lock), its prompts are answered with
 * Tower's approve and deny, its status comes from its hooks, its conversation is resumed by id,
 * and Tower's MCP tools change the shared state.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PROVISIONAL_LOCK_MS } from "../../src/agents/hook.js";
import { acquireLocks, lockLife } from "../../src/engine/locks.js";
import type { LockEntry } from "../../src/engine/state/formats.js";
import { git, readJson, tower, waitFor, waitForContent } from "../helpers/repo.js";
import { claudeEnv } from "./cli-env.js";
import type { RecordedRequest, TurnAnswer } from "./model-server.js";
import {
  expectLockedByMcp,
  holdFile,
  roomShowsLock,
  screenOf,
  screenShowsLine,
  snapshotHolding,
  startTowerRun,
  statusIs,
  type TowerRun,
} from "./tower-rig.js";
import { guardOutside } from "./write-flow.js";

const PLAN = `version: 1
project: demo
streams:
  A:
    name: Alpha
    scope: ["src/**"]
    agents:
      - { id: A1, task: "Write the files", agent: ["{CLI}", "{task}"] }
  B:
    name: Beta
    agents: [{ id: B1, task: "Logging" }]
`;

const PERMISSION = /Do you want to create/;

let run: TowerRun | undefined;
let outside: ReturnType<typeof guardOutside>;
beforeAll(() => {
  outside = guardOutside();
});
afterEach(async () => {
  await run?.cleanup();
  run = undefined;
});
afterAll(() => outside.check());

const write =
  (file: () => string, content = "x\n"): (() => TurnAnswer) =>
  () => ({
    text: "Writing.",
    toolCalls: [{ name: "Write", input: { file_path: file(), content } }],
  });

/** The room's word that A1 cannot start. */
const refusalOf = (r: TowerRun) =>
  waitFor(
    () => r.messages.find((m) => m.startsWith("A1: cannot start")),
    60_000,
    () => `A1 refused; messages: ${JSON.stringify(r.messages)}`,
  );

/** The plan with `words` (JSON list items) before A1's task in its command. */
const planWith = (words: string) =>
  PLAN.replace('agent: ["{CLI}", "{task}"]', `agent: ["{CLI}", ${words}, "{task}"]`);

/** Claude Code in stream A, whose model writes `files` of its worktree in turn, then is done. */
const writesRun = (...files: string[]) =>
  startTowerRun({
    plan: PLAN,
    stream: "A",
    cli: "claude",
    makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
    script: [
      ...files.map((file) => write(() => path.join(run!.worktree, file))),
      { text: "All done." },
    ],
  });

async function resultOfTurn(r: TowerRun, turn: number) {
  const [call] = await r.server.callsOfTurn(turn);
  if (!call) throw new Error(`turn ${turn} made no call`);
  return (await r.server.waitForToolResult(call.id)).result;
}

const resultText = (result: { content: unknown }): string =>
  typeof result.content === "string" ? result.content : JSON.stringify(result.content);

/**
 * Claude Code in stream A with `words` (JSON list items) before its task, B1 holding
 * src/held.ts: its model writes that file, refused by Tower's hooks, then src/ok.ts, which is
 * written without a prompt (its options let it) and takes its lock.
 */
async function heldThenOwnWrite(words: string): Promise<TowerRun> {
  const inWorktree = (file: string) => () => path.join(run!.worktree, file);
  run = await startTowerRun({
    plan: planWith(words),
    stream: "A",
    cli: "claude",
    makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
    before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
    script: [
      write(inWorktree("src/held.ts")),
      write(inWorktree("src/ok.ts"), "ok\n"),
      { text: "All done." },
    ],
  });
  const r = run;
  const held = await resultOfTurn(r, 0);
  expect(resultText(held)).toContain("src/held.ts is locked by agent B1");
  expect(existsSync(path.join(r.worktree, "src/held.ts"))).toBe(false);
  await waitForContent(path.join(r.worktree, "src/ok.ts"), "ok\n", 60_000);
  await roomShowsLock(r, "src/ok.ts", "A1");
  return r;
}

describe("Claude Code in Tower (real CLI)", () => {
  it("binds its writes: a locked file and one outside the scope are refused with why; an allowed write takes the lock, waits for y, n denies", async () => {
    const inWorktree = (file: string) => () => path.join(run!.worktree, file);
    run = await startTowerRun({
      plan: PLAN,
      stream: "A",
      cli: "claude",
      resume: true,
      makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
      // B1 holds src/held.ts before the agent starts.
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        write(inWorktree("src/held.ts")),
        write(inWorktree("docs/out.md")),
        write(inWorktree("src/ok.ts"), "ok\n"),
        write(inWorktree("src/no.ts")),
        { text: "All done." },
      ],
    });
    const r = run;
    const held = await resultOfTurn(r, 0);
    expect(held.isError).toBe(true);
    expect(resultText(held)).toContain(
      'src/held.ts is locked by agent B1, stream B, working on "logging" until',
    );
    const outside = await resultOfTurn(r, 1);
    expect(resultText(outside)).toContain("docs/out.md is outside the scope of stream A (src/**)");
    // The allowed write: the lock is A1's before the human answers, and the agent waits.
    await statusIs(r, "A1", "waiting");
    await screenShowsLine(r, "A1", PERMISSION);
    await roomShowsLock(r, "src/ok.ts", "A1");
    expect(existsSync(path.join(r.worktree, "src/ok.ts"))).toBe(false);
    r.services.sessions.approve("A1");
    await waitForContent(path.join(r.worktree, "src/ok.ts"), "ok\n", 30_000);
    // The next write waits too; n denies it.
    await waitFor(
      () =>
        r.services.sessions
          .get("A1")
          ?.text()
          .some((row) => /create no\.ts/.test(row))
          ? true
          : undefined,
      60_000,
      "the prompt for src/no.ts",
    );
    await statusIs(r, "A1", "waiting");
    r.services.sessions.deny("A1");
    await waitFor(
      () =>
        r.services.sessions
          .get("A1")
          ?.text()
          .some((row) => /rejected|Interrupted/.test(row))
          ? true
          : undefined,
      30_000,
      "the denial",
    );
    expect(existsSync(path.join(r.worktree, "src/no.ts"))).toBe(false);
    // Nothing made the "model" send a tool it does not have.
    expect(r.server.errors).toEqual([]);
    // The refused writes took no lock; the denied one's lock goes when the agent exits.
    const locks = JSON.parse((await tower(r.repo.root, ["locks", "--json"])).stdout) as {
      path: string;
      agent: string;
    }[];
    expect(locks.find((l) => l.path === "src/held.ts")?.agent).toBe("B1");
    expect(locks.some((l) => l.path === "docs/out.md")).toBe(false);
    // Stopped: the lock of the denied write goes; the written file's stays, left uncommitted.
    await r.services.sessions.stop("A1");
    const after = await waitFor(
      async () => {
        const now = JSON.parse((await tower(r.repo.root, ["locks", "--json"])).stdout) as {
          path: string;
          agent: string;
        }[];
        return now.some((l) => l.path === "src/no.ts") ? undefined : now;
      },
      15_000,
      "src/no.ts released",
    );
    expect(after.map((l) => `${l.path} ${l.agent}`).sort()).toEqual([
      "src/held.ts B1",
      "src/ok.ts A1",
    ]);
  });

  it("a write that fails after its prompt releases its lock at once; one declined at its prompt is released once the agent has been idle a moment", async () => {
    run = await writesRun("src/racy.ts", "src/no.ts");
    const r = run;
    const entry = async (file: string): Promise<LockEntry | undefined> =>
      (await r.project.store.read("locks")).locks[file];
    const lockGone = (file: string) =>
      waitFor(
        async () => ((await entry(file)) === undefined ? true : undefined),
        15_000,
        () =>
          `${file} released; the locks are ${readFileSync(path.join(r.repo.stateDir, "file_locks.json"), "utf8")}`,
      );
    // Allowed: the lock is A1's before the human answers, and provisional (short).
    await statusIs(r, "A1", "waiting");
    await screenShowsLine(r, "A1", /create racy\.ts/);
    await roomShowsLock(r, "src/racy.ts", "A1");
    expect(lockLife((await entry("src/racy.ts"))!)).toBe(PROVISIONAL_LOCK_MS);
    // The file appears while the prompt waits: Claude Code's Write then fails ("not read yet"),
    // after the human said yes, and its PostToolUseFailure releases the lock at once.
    mkdirSync(path.join(r.worktree, "src"), { recursive: true });
    writeFileSync(path.join(r.worktree, "src/racy.ts"), "someone else's\n");
    r.services.sessions.approve("A1");
    const failed = await resultOfTurn(r, 0);
    expect(failed.isError).toBe(true);
    expect(resultText(failed)).toMatch(/has not been read yet/);
    await lockGone("src/racy.ts");
    // Declined at its prompt: Claude Code tells no hook. The lock stays, provisional, until A1
    // has been idle for a moment (its turn is over: no write of it is still to come), then goes:
    // B1 need not wait for it to lapse.
    await screenShowsLine(r, "A1", /create no\.ts/);
    await statusIs(r, "A1", "waiting");
    r.services.sessions.deny("A1");
    await screenShowsLine(r, "A1", /rejected|Interrupted/);
    const declined = (await entry("src/no.ts"))!;
    expect(declined).toMatchObject({ agent: "A1", source: "hook" });
    expect(lockLife(declined)).toBe(PROVISIONAL_LOCK_MS);
    await statusIs(r, "A1", "idle");
    await lockGone("src/no.ts");
    // Its activity line follows the locks file's write.
    const activity = path.join(r.repo.stateDir, "agent_activity.jsonl");
    await waitFor(
      () =>
        /"action":"released","file":"src\/no\.ts","auto":true,"provisional":true/.test(
          readFileSync(activity, "utf8"),
        ) || undefined,
      10_000,
      () => `the release of src/no.ts in the activity log: ${readFileSync(activity, "utf8")}`,
    );
    const byB1 = await acquireLocks(r.project.store, {
      paths: ["src/no.ts"],
      agent: "B1",
      stream: "B",
      task: "logging",
    });
    expect(byB1.results[0]?.outcome).toBe("acquired");
    expect(existsSync(path.join(r.worktree, "src/no.ts"))).toBe(false);
    expect(r.server.errors).toEqual([]);
  });

  it("a write declined with word of what to do instead releases its lock as the agent goes on (its batch's end), before the turn is over", async () => {
    run = await writesRun("src/no.ts", "src/instead.ts");
    const r = run;
    const locks = async () => (await r.project.store.read("locks")).locks;
    await screenShowsLine(r, "A1", /create no\.ts/);
    await statusIs(r, "A1", "waiting");
    expect((await locks())["src/no.ts"]).toMatchObject({ agent: "A1" });
    // Tab amends the answer: the human declines and says what to do instead; the model hears it
    // and goes on with another write, whose prompt waits. The agent never was idle.
    r.services.sessions.input("A1", "\x1b[B\x1b[B");
    await screenShowsLine(r, "A1", /❯ 3\. No/);
    r.services.sessions.input("A1", "\t");
    await new Promise((resolve) => setTimeout(resolve, 300));
    r.services.sessions.input("A1", "write instead.ts");
    await screenShowsLine(r, "A1", /write instead\.ts/);
    r.services.sessions.input("A1", "\r");
    const declined = await resultOfTurn(r, 0);
    expect(resultText(declined)).toMatch(/write instead\.ts/);
    await screenShowsLine(r, "A1", /create instead\.ts/);
    await statusIs(r, "A1", "waiting");
    // The declined write's lock is gone now, while the agent works on; the next write's is there.
    await waitFor(
      async () => ((await locks())["src/no.ts"] === undefined ? true : undefined),
      5_000,
      () =>
        `src/no.ts released; the locks are ${readFileSync(path.join(r.repo.stateDir, "file_locks.json"), "utf8")}`,
    );
    expect((await locks())["src/instead.ts"]).toMatchObject({ agent: "A1" });
    expect(r.store.getState().agents.A1?.status).toBe("waiting");
    expect(existsSync(path.join(r.worktree, "src/no.ts"))).toBe(false);
    expect(r.server.errors).toEqual([]);
  });

  it("keeps the plan's own --settings and --append-system-prompt, which Tower's (given after them) would replace, and binds its writes all the same", async () => {
    const own = JSON.stringify({ permissions: { allow: ["Write"] } });
    const r = await heldThenOwnWrite(
      `"--settings", ${JSON.stringify(own)}, "--append-system-prompt", "Answer in French."`,
    );
    // Both prompts in the model's instructions.
    const first = await r.server.waitForTurn(0);
    const system = JSON.stringify((first.body as { system?: unknown }).system);
    expect(system).toContain("Answer in French.");
    expect(system).toContain("You are agent A1 of stream A");
  });

  it("binds its writes where it accepts edits without asking (--permission-mode acceptEdits): Tower's hooks still refuse a held file", async () => {
    // (--dangerously-skip-permissions Claude Code refuses to run as root, as CI runs.)
    const r = await heldThenOwnWrite('"--permission-mode", "acceptEdits"');
    // Its write, told by its PostToolUse hook, is in a snapshot of the stream's worktree.
    const snapshot = await snapshotHolding(r, "src/ok.ts");
    expect(snapshot.message).toBe("after A1's PostToolUse");
    expect(git(r.repo.root, "show", `${snapshot.commit}:src/ok.ts`)).toBe("ok\n");
  });

  it("binds the writes of a subagent it starts (its Agent tool): a file another agent holds is refused, the subagent hears why", async () => {
    const held = () => path.join(run!.worktree, "src/held.ts");
    run = await startTowerRun({
      plan: planWith('"--permission-mode", "acceptEdits"'),
      stream: "A",
      cli: "claude",
      makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [
        () => ({
          text: "Delegating.",
          toolCalls: [
            {
              name: "Agent",
              input: {
                subagent_type: "general-purpose",
                description: "Write held.ts",
                prompt: "Write src/held.ts.",
              },
            },
          ],
        }),
        // The subagent's first request: its write.
        write(held),
        { text: "Could not." },
        { text: "All done." },
      ],
    });
    const r = run;
    expect(resultText(await resultOfTurn(r, 1))).toContain("src/held.ts is locked by agent B1");
    expect(resultText(await resultOfTurn(r, 0))).toContain("Could not.");
    expect(existsSync(held())).toBe(false);
  });

  it("takes its status from its hooks, and its session id is recorded; reopening resumes that session without sending the task again", async () => {
    let reopened = false;
    run = await startTowerRun({
      plan: PLAN,
      stream: "A",
      cli: "claude",
      // The control room resumes by default: an agent that never had a session starts afresh.
      resume: true,
      makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
      script: [{ text: "Noted: the word is papaya." }, { text: "The word was papaya." }],
    });
    const r = run;
    await r.server.waitForTurn(0);
    await statusIs(r, "A1", "idle");
    await waitFor(
      () =>
        r.store.getState().agents.A1?.source === "hook" ||
        r.store.getState().agents.A1?.source === "title"
          ? true
          : undefined,
      20_000,
      "a status announced by the agent",
    );
    type Recorded = {
      session_id?: string;
      transcript_path?: string;
      announced?: { event: string };
    };
    // The room answers a hook first and records what it announced right after.
    const recorded = await waitFor(
      async () => {
        const agents = (await readJson(path.join(r.repo.stateDir, "agents.json"))) as {
          agents: Record<string, Recorded>;
        };
        const a1 = agents.agents.A1;
        return a1?.announced?.event === "Stop" ? a1 : undefined;
      },
      10_000,
      "the Stop hook's announcement in agents.json",
    );
    expect(recorded?.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.server.requests.find((q) => q.turn === 0)?.headers["x-claude-code-session-id"]).toBe(
      recorded?.session_id,
    );
    expect(recorded?.transcript_path && existsSync(recorded.transcript_path)).toBe(true);
    // Close the control room and open it again.
    await r.closeRoom();
    const before = r.server.requests.length;
    await r.reopen();
    reopened = true;
    await screenShowsLine(r, "A1", /❯/);
    // Not exited, and not sent its task again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(r.store.getState().agents.A1?.status).not.toBe("exited");
    expect(r.server.requests.slice(before).filter((q) => !q.side && q.api === "anthropic")).toEqual(
      [],
    );
    // A new prompt goes on in the same session, with the history.
    const session = r.services.sessions.get("A1")!;
    session.write("What was the word?");
    await screenShowsLine(r, "A1", /What was the word\?/);
    session.write("\r");
    const next = await r.server.waitForTurn(1);
    expect(next.headers["x-claude-code-session-id"]).toBe(recorded?.session_id);
    expect(JSON.stringify(next.body)).toContain("Noted: the word is papaya.");
    expect(reopened).toBe(true);
  });

  it("closing the room right after a turn keeps that turn: the next opening resumes with it", async () => {
    // Claude Code writes a turn into its transcript a few tens of milliseconds after its Stop
    // hook; a SIGTERM in between lost the turn. Each close here comes the moment the hook says idle.
    run = await startTowerRun({
      plan: PLAN,
      stream: "A",
      cli: "claude",
      resume: true,
      makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
      script: [
        { text: "Noted: the word is papaya." },
        { text: "Noted: the number is 47." },
        { text: "papaya and 47" },
      ],
    });
    const r = run;
    const idleByHook = () =>
      waitFor(
        () => {
          const a1 = r.store.getState().agents.A1;
          return a1?.status === "idle" && a1.source === "hook" ? true : undefined;
        },
        60_000,
        () => {
          const a1 = r.store.getState().agents.A1;
          return `A1 idle by its Stop hook (it is ${a1?.status} by ${a1?.source}); its screen:\n${screenOf(r, "A1")}`;
        },
      );
    const transcript = async () => {
      const agents = (await readJson(path.join(r.repo.stateDir, "agents.json"))) as {
        agents: Record<string, { transcript_path?: string }>;
      };
      const file = agents.agents.A1?.transcript_path;
      return file && existsSync(file) ? readFileSync(file, "utf8") : "";
    };
    const ask = async (prompt: string, turn: number) => {
      await r.reopen();
      await screenShowsLine(r, "A1", /❯/);
      const session = r.services.sessions.get("A1")!;
      session.write(prompt);
      await screenShowsLine(r, "A1", new RegExp(prompt.replace("?", "\\?")));
      session.write("\r");
      return r.server.waitForTurn(turn);
    };
    await r.server.waitForTurn(0);
    await idleByHook();
    await r.closeRoom();
    expect(await transcript()).toContain("Noted: the word is papaya.");
    await ask("And the number?", 1);
    await idleByHook();
    await r.closeRoom();
    expect(await transcript()).toContain("Noted: the number is 47.");
    const last = await ask("Both?", 2);
    const sent = JSON.stringify(last.body);
    expect(sent).toContain("Noted: the word is papaya.");
    expect(sent).toContain("Noted: the number is 47.");
  });

  it("is refused by the guard when its shell brings another stream's file onto its branch (git cherry-pick), and the model hears why", async () => {
    let branch = "";
    run = await startTowerRun({
      plan: PLAN,
      stream: "A",
      cli: "claude",
      makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
      before: async (repo) => {
        // A commit of src/held.ts on a side branch, then B1 takes the file.
        const worktree = path.join(path.dirname(repo.root), "demo-stream-A");
        branch = git(worktree, "rev-parse", "--abbrev-ref", "HEAD").trim();
        git(worktree, "checkout", "-q", "-b", "side");
        mkdirSync(path.join(worktree, "src"), { recursive: true });
        writeFileSync(path.join(worktree, "src/held.ts"), "side\n");
        git(worktree, "add", "src/held.ts");
        git(
          worktree,
          "-c",
          "user.name=Side",
          "-c",
          "user.email=side@example.com",
          "commit",
          "-q",
          "-m",
          "side",
        );
        git(worktree, "checkout", "-q", branch);
        await holdFile(repo, "src/held.ts", "B1", "logging");
      },
      script: [
        {
          text: "Bringing the side change in.",
          toolCalls: [
            {
              name: "Bash",
              input: { command: "git cherry-pick side", description: "Take the side commit" },
            },
          ],
        },
        { text: "Refused." },
      ],
    });
    const r = run;
    const before = git(r.worktree, "rev-parse", branch).trim();
    // Claude Code asks before running a command; the human says yes.
    await screenShowsLine(r, "A1", /Do you want to proceed\?/);
    r.services.sessions.approve("A1");
    const result = await resultOfTurn(r, 0);
    expect(resultText(result)).toContain(
      'src/held.ts is locked by agent B1, stream B, working on "logging"',
    );
    expect(git(r.worktree, "rev-parse", branch).trim()).toBe(before);
    expect(git(r.worktree, "log", "--format=%s", branch)).not.toContain("side");
  });

  it("calls Tower's MCP tools without a prompt, and they change the shared state", async () => {
    const lockOrWait = (request: RecordedRequest): TurnAnswer =>
      request.tools.includes("mcp__tower__lock")
        ? {
            text: "Locking.",
            toolCalls: [
              { name: "mcp__tower__lock", input: { paths: ["src/m.ts"], task: "by MCP" } },
            ],
          }
        : { toolCalls: [{ name: "WaitForMcpServers", input: { servers: ["tower"] } }] };
    run = await startTowerRun({
      plan: PLAN,
      stream: "A",
      cli: "claude",
      // The user's own allowlist of MCP servers, which names others only (Claude Code starts
      // no server it leaves out): Tower's is started all the same.
      makeEnv: (modelUrl, trust) =>
        claudeEnv({ modelUrl, trust, settings: { allowedMcpServers: [{ serverName: "theirs" }] } }),
      script: [lockOrWait, lockOrWait, { text: "Locked it." }],
    });
    const r = run;
    await screenShowsLine(r, "A1", /Locked it\./);
    await expectLockedByMcp(r, "src/m.ts");
  });

  // Claude Code's minimal mode (`--bare`, or CLAUDE_CODE_SIMPLE true in its environment, as a
  // user's shell may export it) runs no hook: with it, an edit of a file another agent held went
  // through once approved at Claude Code's prompt (its status came from its title, not its hooks).
  it("is not started where Claude Code would run none of Tower's hooks (CLAUDE_CODE_SIMPLE=1), and says why", async () => {
    run = await startTowerRun({
      plan: PLAN,
      stream: "A",
      cli: "claude",
      makeEnv: (modelUrl, trust) =>
        claudeEnv({ modelUrl, trust, env: { CLAUDE_CODE_SIMPLE: "1" } }),
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      commit: { "src/held.ts": "old\n" },
      // Its minimal mode offers Bash, Read and Edit only.
      script: [
        () => ({
          text: "Reading.",
          toolCalls: [
            { name: "Read", input: { file_path: path.join(run!.worktree, "src/held.ts") } },
          ],
        }),
        () => ({
          text: "Editing.",
          toolCalls: [
            {
              name: "Edit",
              input: {
                file_path: path.join(run!.worktree, "src/held.ts"),
                old_string: "old",
                new_string: "new",
              },
            },
          ],
        }),
        { text: "Edited it." },
      ],
    });
    const r = run;
    const refusal = await refusalOf(r);
    expect(refusal).toContain(
      "A1: cannot start: its environment sets CLAUDE_CODE_SIMPLE=1: Claude Code would run none of Tower's hooks for agent A1",
    );
    expect(r.server.requests).toEqual([]);
    expect(readFileSync(path.join(r.worktree, "src/held.ts"), "utf8")).toBe("old\n");
    expect(r.store.getState().agents.A1?.failure).toContain("CLAUDE_CODE_SIMPLE");
  });

  // An organization's remote managed settings, which Claude Code keeps in its configuration
  // folder (remote-settings.json) and reads where it talks to Anthropic's own API, come instead
  // of the managed files: allowManagedHooksOnly there ran none of Tower's hooks, and a write of a
  // file another agent held went through. (The scripted endpoint is taken for Anthropic's own
  // with _CLAUDE_CODE_ASSUME_FIRST_PARTY_BASE_URL.)
  it("is not started where its organization's remote managed settings (its remote-settings.json) allow managed hooks only, and says which file", async () => {
    run = await startTowerRun({
      plan: planWith('"--permission-mode", "acceptEdits"'),
      stream: "A",
      cli: "claude",
      makeEnv: (modelUrl, trust) => {
        const made = claudeEnv({
          modelUrl,
          trust,
          env: { _CLAUDE_CODE_ASSUME_FIRST_PARTY_BASE_URL: "1" },
        });
        writeFileSync(
          path.join(made.home, ".claude", "remote-settings.json"),
          '{ "allowManagedHooksOnly": true }\n',
        );
        return made;
      },
      before: (repo) => holdFile(repo, "src/held.ts", "B1", "logging"),
      script: [write(() => path.join(run!.worktree, "src/held.ts")), { text: "Wrote it." }],
    });
    const r = run;
    const refusal = await refusalOf(r);
    expect(refusal).toContain(
      `A1: cannot start: ${path.join(r.agent.home, ".claude", "remote-settings.json")} (Claude Code's copy of your organization's remote managed settings) sets allowManagedHooksOnly: true: Claude Code would run none of Tower's hooks for agent A1`,
    );
    expect(r.server.requests).toEqual([]);
    expect(existsSync(path.join(r.worktree, "src/held.ts"))).toBe(false);
  });

  // Claude Code starts no server any settings file denies, and Tower cannot undo a denial (a
  // denial of the user's own kept Tower's tools from the agent: "No such tool available").
  it("is not started where the repository's committed settings deny Tower's MCP server, and says which file and entry", async () => {
    const settings = '{ "deniedMcpServers": [{ "serverName": "tower" }] }\n';
    run = await startTowerRun({
      plan: PLAN,
      stream: "A",
      cli: "claude",
      commit: { ".claude/settings.json": settings },
      makeEnv: (modelUrl, trust) => claudeEnv({ modelUrl, trust }),
      script: [{ text: "Never asked." }],
    });
    const r = run;
    const refusal = await refusalOf(r);
    const file = path.join(r.worktree, ".claude", "settings.json");
    expect(refusal).toContain(
      `A1: cannot start: ${file} lists {"serverName":"tower"} in deniedMcpServers: Claude Code would not start Tower's MCP server`,
    );
    expect(refusal).toContain("remove that entry, then start A1 again");
    expect(r.server.requests).toEqual([]);
    expect(r.store.getState().agents.A1?.failure).toContain("deniedMcpServers");
    expect(readFileSync(file, "utf8")).toBe(settings);
  });
});
