/**
 * The lock an agent's write takes through Tower's hooks, over the life of that write: taken
 * provisional (short) before it, made full (the stream's lock_ttl) once the write is made,
 * released at once when the CLI says it was not (a failed tool), and lapsing by itself when the
 * CLI says nothing (a permission prompt declined). A lock the agent held before the write is
 * never shortened or released by it. And an agent the plan does not have is still bound by the
 * other agents' locks. handleHook in this process on real files, with injected times (no
 * waiting for a lock to expire); then the room's hook endpoint and `tower hook` (the built CLI),
 * which must answer alike.
 */
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type HookContext,
  type HookEvent,
  handleHook,
  PROVISIONAL_LOCK_MS,
} from "../../src/agents/hook.js";
import type { HookAnswer } from "../../src/agents/hook-events.js";
import type { AgentIdentity } from "../../src/agents/identity.js";
import { acquireLocks, listLocks, lockLife } from "../../src/engine/locks.js";
import { loadPlan } from "../../src/engine/plan/index.js";
import { openProject } from "../../src/engine/project.js";
import { StateStore } from "../../src/engine/state/index.js";
import { type HookEndpoint, startHookEndpoint } from "../../src/room/hook-endpoint.js";
import {
  CLI,
  cleanEnv,
  makeRepo,
  readJsonlFile,
  TEST_PLAN,
  type TempRepo,
} from "../helpers/repo.js";
import { addStream, writeStreamsState } from "../helpers/streams.js";

const MIN = 60_000;
const TTL = 60 * MIN; // TEST_PLAN's lock_ttl
const T0 = new Date("2026-03-02T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

let repo: TempRepo;
let store: StateStore;
let worktreeA: string;

beforeEach(async () => {
  repo = await makeRepo();
  const a = addStream(repo, "A");
  const b = addStream(repo, "B");
  writeStreamsState(repo, [a, b]);
  worktreeA = a.worktree;
  store = new StateStore(repo.stateDir);
});
afterEach(() => repo.cleanup());

function identity(agent: string, stream = "A"): AgentIdentity {
  return {
    agent,
    stream,
    worktree: worktreeA,
    repoRoot: repo.root,
    stateDir: repo.stateDir,
    task: `task of ${agent}`,
  };
}

/** One hook event of `agent` (in stream A's worktree) at `now`, on the plan as it is now. */
async function event(
  name: HookEvent,
  payload: Record<string, unknown>,
  agent: string,
  now: Date,
): Promise<HookAnswer> {
  const plan = await loadPlan(path.join(repo.root, "streams.yaml"));
  const ctx: HookContext = { identity: identity(agent), plan, store, now };
  return handleHook(name, payload, ctx);
}

/** Claude Code's payload of a Write (or, with `extra`, of its PostToolUse and so on). */
const write = (file: string, extra: Record<string, unknown> = {}) => ({
  session_id: "s-1",
  cwd: worktreeA,
  tool_name: "Write",
  tool_input: { file_path: path.join(worktreeA, file), content: "x\n" },
  tool_use_id: `toolu_${file}`,
  ...extra,
});
const failure = { error: "EISDIR: illegal operation on a directory", is_interrupt: false };

/** The reason of a refusal (PreToolUse's deny), if the answer is one. */
function denial(answer: HookAnswer): string | undefined {
  const decision = answer.output?.hookSpecificOutput as
    | { permissionDecision?: string; permissionDecisionReason?: string }
    | undefined;
  return decision?.permissionDecision === "deny"
    ? String(decision.permissionDecisionReason)
    : undefined;
}

async function lockOf(file: string) {
  return listLocks(await store.read("locks"), T0).find((l) => l.path === file);
}

describe("a write's lock", () => {
  it("is provisional before the write: short, so a write never made keeps no one out for the stream's lock_ttl", async () => {
    expect(denial(await event("PreToolUse", write("config/a.py"), "A1", T0))).toBeUndefined();
    const lock = await lockOf("config/a.py");
    expect(lock).toMatchObject({ agent: "A1", source: "hook" });
    expect(lock?.expiresAt?.getTime()).toBe(at(PROVISIONAL_LOCK_MS).getTime());
    expect(PROVISIONAL_LOCK_MS).toBeLessThan(TTL);
    // The human has not answered (nothing came after PreToolUse): A2 waits...
    expect(denial(await event("PreToolUse", write("config/a.py"), "A2", at(MIN)))).toMatch(
      /^config\/a\.py is locked by agent A1, stream A, working on "task of A1"/,
    );
    // ...but not past the provisional life, though the stream's lock_ttl is an hour.
    const later = at(PROVISIONAL_LOCK_MS + 1000);
    expect(denial(await event("PreToolUse", write("config/a.py"), "A2", later))).toBeUndefined();
    expect((await store.read("locks")).locks["config/a.py"]?.agent).toBe("A2");
  });

  it("is made full by the write's PostToolUse: the stream's lock_ttl from the write", async () => {
    await event("PreToolUse", write("config/a.py"), "A1", T0);
    await event("PostToolUse", write("config/a.py", { tool_response: {} }), "A1", at(30_000));
    expect((await lockOf("config/a.py"))?.expiresAt?.getTime()).toBe(at(30_000 + TTL).getTime());
    expect(denial(await event("PreToolUse", write("config/a.py"), "A2", at(TTL)))).toMatch(
      /locked by agent A1/,
    );
    // A human who answered after the provisional life: PostToolUse takes the lock again.
    await event("PreToolUse", write("config/b.py"), "A1", T0);
    const late = at(PROVISIONAL_LOCK_MS + 5 * MIN);
    await event("PostToolUse", write("config/b.py", { tool_response: {} }), "A1", late);
    expect((await lockOf("config/b.py"))?.expiresAt?.getTime()).toBe(late.getTime() + TTL);
    // Unless another agent took the file meanwhile: it keeps it, and the write is told of.
    await event("PreToolUse", write("config/c.py"), "A1", T0);
    await event("PreToolUse", write("config/c.py"), "A2", late);
    const told = await event(
      "PostToolUse",
      write("config/c.py", { tool_response: {} }),
      "A1",
      at(PROVISIONAL_LOCK_MS + 6 * MIN),
    );
    expect(told.warning).toMatch(
      /agent A1 wrote a file after its provisional lock on it lapsed, and another agent locked it meanwhile: config\/c\.py by agent A2 until/,
    );
    expect((await store.read("locks")).locks["config/c.py"]?.agent).toBe("A2");
  });

  it("is released at once when the tool fails (PostToolUseFailure), and the other agents may write", async () => {
    await event("PreToolUse", write("config/a.py"), "A1", T0);
    await event("PostToolUseFailure", write("config/a.py", failure), "A1", at(2000));
    expect(await lockOf("config/a.py")).toBeUndefined();
    expect(denial(await event("PreToolUse", write("config/a.py"), "A2", at(3000)))).toBeUndefined();
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(activity).toContainEqual(
      expect.objectContaining({ agent: "A1", action: "released", file: "config/a.py" }),
    );
    // Claude Code's auto mode denying the write (PermissionDenied) likewise.
    await event("PreToolUse", write("config/c.py"), "A1", at(4000));
    await event("PermissionDenied", write("config/c.py", { reason: "no" }), "A1", at(5000));
    expect(await lockOf("config/c.py")).toBeUndefined();
  });

  it("left provisional at its batch's end (PostToolBatch) is released, but on a file the agent changed; full locks and the other files stay", async () => {
    for (const file of ["config/no.py", "config/made.py", "config/lost.py", "config/later.py"])
      await event("PreToolUse", write(file), "A1", T0);
    await event("PostToolUse", write("config/made.py", { tool_response: {} }), "A1", at(1000));
    // lost.py was written, and its PostToolUse lost: the worktree says so.
    await fsp.mkdir(path.join(worktreeA, "config"), { recursive: true });
    await fsp.writeFile(path.join(worktreeA, "config/lost.py"), "x\n");
    const calls = ["config/no.py", "config/made.py", "config/lost.py"].map((file) => {
      const { tool_name, tool_input, tool_use_id } = write(file);
      return { tool_name, tool_input, tool_use_id, tool_response: "rejected" };
    });
    const batch = { session_id: "s-1", cwd: worktreeA, tool_calls: calls };
    expect(await event("PostToolBatch", batch, "A1", at(2000))).toEqual({});
    expect(await lockOf("config/no.py")).toBeUndefined();
    expect((await lockOf("config/made.py"))?.expiresAt?.getTime()).toBe(at(1000 + TTL).getTime());
    expect((await lockOf("config/lost.py"))?.expiresAt?.getTime()).toBe(
      at(PROVISIONAL_LOCK_MS).getTime(),
    );
    // A write of a later batch, not resolved yet, keeps its lock.
    expect((await lockOf("config/later.py"))?.agent).toBe("A1");
    expect(
      denial(await event("PreToolUse", write("config/no.py"), "A2", at(3000))),
    ).toBeUndefined();
    // A batch of other tools, or of another agent's files, releases nothing.
    const other = { tool_name: "Bash", tool_input: { command: "ls" }, tool_use_id: "toolu_ls" };
    await event("PostToolBatch", { ...batch, tool_calls: [other, "junk", null] }, "A1", at(4000));
    await event("PostToolBatch", { ...batch, tool_calls: calls.slice(0, 1) }, "A1", at(4000));
    expect((await lockOf("config/no.py"))?.agent).toBe("A2");
    expect((await lockOf("config/later.py"))?.agent).toBe("A1");
  });

  it("held before the write (taken by hand, or made full by an earlier write) is neither shortened nor released by it", async () => {
    // By hand, for three hours.
    const byHand = await acquireLocks(store, {
      paths: ["config/held.py"],
      agent: "A1",
      stream: "A",
      task: "by hand",
      ttlMs: 180 * MIN,
      now: T0,
    });
    expect(byHand.ok).toBe(true);
    await event("PreToolUse", write("config/held.py"), "A1", at(1000));
    expect((await lockOf("config/held.py"))?.expiresAt?.getTime()).toBe(at(180 * MIN).getTime());
    await event("PostToolUseFailure", write("config/held.py", failure), "A1", at(2000));
    expect((await store.read("locks")).locks["config/held.py"]).toMatchObject({ agent: "A1" });
    expect((await store.read("locks")).locks["config/held.py"]?.source).toBeUndefined();
    expect((await lockOf("config/held.py"))?.expiresAt?.getTime()).toBe(at(180 * MIN).getTime());
    await event("PostToolUse", write("config/held.py", { tool_response: {} }), "A1", at(3000));
    expect((await lockOf("config/held.py"))?.expiresAt?.getTime()).toBe(at(180 * MIN).getTime());
    // Made full by a write; the next write of the file fails.
    await event("PreToolUse", write("config/a.py"), "A1", T0);
    await event("PostToolUse", write("config/a.py", { tool_response: {} }), "A1", at(1000));
    await event("PreToolUse", write("config/a.py"), "A1", at(2000));
    await event("PostToolUseFailure", write("config/a.py", failure), "A1", at(3000));
    expect((await lockOf("config/a.py"))?.expiresAt?.getTime()).toBe(at(1000 + TTL).getTime());
  });

  it("left provisional by a write declined at its prompt is taken afresh by the next write, whose failure releases it", async () => {
    await event("PreToolUse", write("config/a.py"), "A1", T0);
    // Declined: Claude Code sends nothing. The model tries again a minute later, and fails.
    await event("PreToolUse", write("config/a.py"), "A1", at(MIN));
    expect((await lockOf("config/a.py"))?.expiresAt?.getTime()).toBe(
      at(MIN + PROVISIONAL_LOCK_MS).getTime(),
    );
    await event("PostToolUseFailure", write("config/a.py", failure), "A1", at(MIN + 1000));
    expect(await lockOf("config/a.py")).toBeUndefined();
  });

  it("with a lock_ttl shorter than the provisional life, lasts that long; made full, a later failure keeps it", async () => {
    const file = path.join(repo.root, "streams.yaml");
    await fsp.writeFile(file, TEST_PLAN.replace("lock_ttl: 60m", "lock_ttl: 2m"));
    await event("PreToolUse", write("config/a.py"), "A1", T0);
    expect((await lockOf("config/a.py"))?.expiresAt?.getTime()).toBe(at(2 * MIN).getTime());
    await event("PostToolUse", write("config/a.py", { tool_response: {} }), "A1", at(1000));
    // The next write's PreToolUse moves its expiry later to cover that write, never earlier.
    await event("PreToolUse", write("config/a.py"), "A1", at(2000));
    await event("PostToolUseFailure", write("config/a.py", failure), "A1", at(3000));
    expect((await lockOf("config/a.py"))?.expiresAt?.getTime()).toBe(at(2000 + 2 * MIN).getTime());
  });

  it("of Gemini CLI: AfterTool makes it full, or releases it when the write failed", async () => {
    const gemini = (file: string, extra: Record<string, unknown> = {}) => ({
      session_id: "g-1",
      cwd: worktreeA,
      tool_name: "write_file",
      tool_input: { file_path: path.join(worktreeA, file), content: "x\n" },
      ...extra,
    });
    await event("BeforeTool", gemini("config/ok.py"), "A1", T0);
    await event("BeforeTool", gemini("config/no.py"), "A1", T0);
    expect((await lockOf("config/no.py"))?.expiresAt?.getTime()).toBe(
      at(PROVISIONAL_LOCK_MS).getTime(),
    );
    const ok = { tool_response: { llmContent: "Successfully wrote", returnDisplay: "" } };
    await event("AfterTool", gemini("config/ok.py", ok), "A1", at(1000));
    const failed = {
      tool_response: {
        llmContent: "Error writing",
        error: { type: "file_write_failure", message: "EACCES" },
      },
    };
    await event("AfterTool", gemini("config/no.py", failed), "A1", at(1000));
    expect((await lockOf("config/ok.py"))?.expiresAt?.getTime()).toBe(at(1000 + TTL).getTime());
    expect(await lockOf("config/no.py")).toBeUndefined();
    // The failed write is no edit in the activity log.
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    const edited = activity.filter((e) => e.action === "edited").map((e) => e.file);
    expect(edited).toEqual(["config/ok.py"]);
  });

  it("of Codex's patch: PostToolUse (sent for a patch applied) makes the locks of all its files full", async () => {
    const patch = {
      session_id: "c-1",
      cwd: worktreeA,
      tool_name: "apply_patch",
      tool_input: {
        command:
          "*** Begin Patch\n*** Add File: config/p.py\n+x\n*** Add File: config/q.py\n+y\n*** End Patch\n",
      },
    };
    await event("PreToolUse", patch, "A1", T0);
    expect((await lockOf("config/q.py"))?.expiresAt?.getTime()).toBe(
      at(PROVISIONAL_LOCK_MS).getTime(),
    );
    await event("PostToolUse", { ...patch, tool_response: "Success." }, "A1", at(1000));
    for (const file of ["config/p.py", "config/q.py"])
      expect((await lockOf(file))?.expiresAt?.getTime()).toBe(at(1000 + TTL).getTime());
  });
});

/** TEST_PLAN without stream A (and E, which depends on it), while A1 runs on. */
async function removeStreamA(): Promise<void> {
  const plan = TEST_PLAN.replace(/ {2}A:\n[\s\S]*?(?= {2}B:\n)/, "").replace(
    / {2}E:\n[\s\S]*$/,
    "",
  );
  expect(plan).not.toMatch(/A1|E1/);
  await fsp.writeFile(path.join(repo.root, "streams.yaml"), plan);
}

describe("an agent whose stream is not in the plan", () => {
  it("is refused a file another agent holds, in the usual words; writes another with a warning, taking no lock", async () => {
    await acquireLocks(store, {
      paths: ["config/app.py"],
      agent: "B1",
      stream: "B",
      task: "logging",
      now: T0,
    });
    await removeStreamA();
    const refused = await event("PreToolUse", write("config/app.py"), "A1", at(1000));
    expect(denial(refused)).toMatch(
      /^config\/app\.py is locked by agent B1, stream B, working on "logging" until .*Work on something else/,
    );
    const allowed = await event("PreToolUse", write("config/free.py"), "A1", at(1000));
    expect(denial(allowed)).toBeUndefined();
    expect(allowed.warning).toMatch(
      /A1 \(stream A\), which the plan does not have: config\/free\.py checked only against the other agents' locks/,
    );
    expect(await lockOf("config/free.py")).toBeUndefined();
    // Its PostToolUse takes none either.
    await event("PostToolUse", write("config/free.py", { tool_response: {} }), "A1", at(2000));
    expect(await lockOf("config/free.py")).toBeUndefined();
  });
});

describe("the room's hook endpoint and tower hook", () => {
  let endpoint: HookEndpoint | undefined;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  /** One event through the room's socket, as `tower hook` sends it. */
  function viaRoom(
    socket: string,
    name: string,
    payload: Record<string, unknown>,
    agent: string,
  ): Promise<HookAnswer> {
    return new Promise((resolve, reject) => {
      let reply = "";
      const connection = net.connect(socket, () =>
        connection.write(
          `${JSON.stringify({ event: name, payload, agent: { id: agent, stream: "A", worktree: worktreeA } })}\n`,
        ),
      );
      connection.setEncoding("utf8");
      connection.on("data", (chunk: string) => {
        reply += chunk;
      });
      connection.on("end", () => resolve(JSON.parse(reply) as HookAnswer));
      connection.on("error", reject);
    });
  }

  /** One event through `tower hook` with no room: the built CLI, the agent's variables. */
  function viaCli(
    name: string,
    payload: Record<string, unknown>,
    agent: string,
  ): Promise<HookAnswer> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, "hook", name],
        {
          cwd: worktreeA,
          env: cleanEnv({
            TOWER_AGENT_ID: agent,
            TOWER_STREAM: "A",
            TOWER_WORKTREE: worktreeA,
            TOWER_REPO_ROOT: repo.root,
            TOWER_STATE_DIR: repo.stateDir,
            TOWER_TASK: `task of ${agent}`,
          }),
        },
        (_error, stdout, stderr) =>
          resolve({
            ...(String(stdout).trim() && { output: JSON.parse(String(stdout)) }),
            ...(String(stderr).trim() && { warning: String(stderr).trim() }),
          }),
      );
      child.stdin?.end(JSON.stringify(payload));
    });
  }

  async function lifeOf(file: string): Promise<number | undefined> {
    const entry = (await store.read("locks")).locks[file];
    return entry ? lockLife(entry) : undefined;
  }

  it("both take a provisional lock, release it on PostToolUseFailure, make it full on PostToolUse", async () => {
    const project = await openProject(repo.root, cleanEnv());
    endpoint = await startHookEndpoint(project, () => {});
    const socket = endpoint.socket;
    const ways = [
      ["room", (n: string, p: Record<string, unknown>) => viaRoom(socket, n, p, "A1")],
      ["tower hook", (n: string, p: Record<string, unknown>) => viaCli(n, p, "A1")],
    ] as const;
    for (const [way, send] of ways) {
      const failed = `config/failed-${way.replace(" ", "-")}.py`;
      const written = `config/written-${way.replace(" ", "-")}.py`;
      for (const file of [failed, written]) {
        expect(denial(await send("PreToolUse", write(file))), way).toBeUndefined();
        expect(await lifeOf(file), way).toBe(PROVISIONAL_LOCK_MS);
      }
      expect(await send("PostToolUseFailure", write(failed, failure)), way).toEqual({});
      expect(await lifeOf(failed), way).toBeUndefined();
      expect(await send("PostToolUse", write(written, { tool_response: {} })), way).toEqual({});
      expect(await lifeOf(written), way).toBeGreaterThan(TTL);
    }
  });

  it("both refuse an agent whose stream is not in the plan a file another agent holds, and warn of the rest", async () => {
    await acquireLocks(store, {
      paths: ["config/app.py"],
      agent: "B1",
      stream: "B",
      task: "logging",
    });
    // A1's stream is gone from the plan (the room reads it as it follows the edit).
    await removeStreamA();
    endpoint = await startHookEndpoint(await openProject(repo.root, cleanEnv()), () => {});
    const socket = endpoint.socket;
    for (const [way, send] of [
      ["room", (n: string, p: Record<string, unknown>) => viaRoom(socket, n, p, "A1")],
      ["tower hook", (n: string, p: Record<string, unknown>) => viaCli(n, p, "A1")],
    ] as const) {
      const refused = await send("PreToolUse", write("config/app.py"));
      expect(denial(refused), way).toMatch(
        /^config\/app\.py is locked by agent B1, stream B, working on "logging" until/,
      );
      const allowed = await send("PreToolUse", write("config/free.py"));
      expect(denial(allowed), way).toBeUndefined();
      expect(allowed.warning, way).toMatch(/which the plan does not have: config\/free\.py/);
      expect(await lifeOf("config/free.py"), way).toBeUndefined();
    }
  });
});
