/**
 * `tower hook <event>` as Claude Code runs it for an agent Tower started: the event's JSON on
 * stdin, the agent's identity in TOWER_* variables, the answer on stdout. Real files, the built
 * CLI. (The same hooks driven by the real Claude Code CLI are in test/real-agents/.)
 */
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { patchFiles } from "../../src/agents/hook.js";
import {
  CLI,
  cleanEnv,
  makeRepo,
  readJson,
  readJsonlFile,
  run,
  type TempRepo,
  tower,
} from "../helpers/repo.js";
import { addStream, writeStreamsState } from "../helpers/streams.js";

let repo: TempRepo;
let worktreeA: string;
let worktreeB: string;

beforeEach(async () => {
  repo = await makeRepo();
  plainPlan = "";
  const a = addStream(repo, "A");
  const b = addStream(repo, "B");
  writeStreamsState(repo, [a, b]);
  worktreeA = a.worktree;
  worktreeB = b.worktree;
});
afterEach(() => repo.cleanup());

function agentEnv(agent: string, stream: string, worktree: string): NodeJS.ProcessEnv {
  return {
    TOWER_AGENT_ID: agent,
    TOWER_STREAM: stream,
    TOWER_WORKTREE: worktree,
    TOWER_REPO_ROOT: repo.root,
    TOWER_STATE_DIR: repo.stateDir,
    TOWER_TASK: `task of ${agent}`,
  };
}

/** The plan as made, with `policy` (lines such as `locks: advisory`) under its project line. */
let plainPlan = "";
async function setPolicy(policy: string): Promise<void> {
  const file = path.join(repo.root, "streams.yaml");
  plainPlan ||= await fsp.readFile(file, "utf8");
  await fsp.writeFile(file, plainPlan.replace("project: demo", `project: demo\n${policy}`));
}

function hook(
  event: string,
  payload: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, "hook", event],
      { cwd: String(env.TOWER_WORKTREE ?? repo.root), env: cleanEnv(env) },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
    child.stdin?.end(JSON.stringify(payload));
  });
}

const write = (file: string) => ({
  session_id: "11111111-2222-3333-4444-555555555555",
  transcript_path: "/tmp/none.jsonl",
  hook_event_name: "PreToolUse",
  tool_name: "Write",
  tool_input: { file_path: file, content: "x\n" },
  tool_use_id: "toolu_1",
});

const decision = (stdout: string) =>
  stdout.trim() === ""
    ? undefined
    : (JSON.parse(stdout) as { hookSpecificOutput?: Record<string, string> }).hookSpecificOutput;

describe("PreToolUse", () => {
  it("denies a write to a name that differs from a held file's only in case where git takes them for one (core.ignorecase: macOS, Windows)", async () => {
    expect((await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"])).code).toBe(0);
    run("git", ["config", "core.ignorecase", "true"], repo.root);
    const result = await hook(
      "PreToolUse",
      write(path.join(worktreeA, "config/App.py")),
      agentEnv("A1", "A", worktreeA),
    );
    expect(decision(result.stdout)?.permissionDecision).toBe("deny");
    expect(decision(result.stdout)?.permissionDecisionReason).toContain(
      "config/App.py is locked by agent B1",
    );
  });

  it("denies a write to a file another agent holds, naming the holder, its stream, task and expiry", async () => {
    expect(
      (
        await tower(repo.root, [
          "lock",
          "config/app.py",
          "--agent",
          "B1",
          "--task",
          "logging setup",
        ])
      ).code,
    ).toBe(0);
    const result = await hook(
      "PreToolUse",
      write(path.join(worktreeA, "config/app.py")),
      agentEnv("A1", "A", worktreeA),
    );
    expect(result.code).toBe(0);
    const answer = decision(result.stdout);
    expect(answer?.permissionDecision).toBe("deny");
    expect(answer?.permissionDecisionReason).toMatch(
      /config\/app\.py is locked by agent B1, stream B, working on "logging setup" until (\d{4}-\d\d-\d\d )?\d\d:\d\d \(in \d+ min\)/,
    );
    // Nothing taken for A1.
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, { agent: string }>;
    };
    expect(locks.locks["config/app.py"]?.agent).toBe("B1");
  });

  it("denies through a lock on a folder, and denies another agent of the same stream too", async () => {
    expect((await tower(repo.root, ["lock", "config/", "--agent", "A2"])).code).toBe(0);
    const result = await hook(
      "PreToolUse",
      write(path.join(worktreeA, "config/x.py")),
      agentEnv("A1", "A", worktreeA),
    );
    expect(decision(result.stdout)?.permissionDecisionReason).toMatch(
      /locked by agent A2.*through its lock on config\//,
    );
  });

  it("takes the lock for an allowed write (source hook), renews it on the next, and says nothing to Claude Code", async () => {
    const env = agentEnv("A1", "A", worktreeA);
    const first = await hook("PreToolUse", write(path.join(worktreeA, "config/new.py")), env);
    expect(first.stdout.trim()).toBe("");
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, Record<string, string>>;
    };
    expect(locks.locks["config/new.py"]).toMatchObject({
      agent: "A1",
      stream: "A",
      task: "task of A1",
      source: "hook",
    });
    await hook("PreToolUse", write(path.join(worktreeA, "config/new.py")), env);
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    const locked = activity.filter((e) => e.action === "locked" && e.file === "config/new.py");
    expect(locked).toHaveLength(2);
    expect(locked[1]?.renewed).toBe(true);
    // The lock shows in `tower locks` like any other.
    const listed = JSON.parse((await tower(repo.root, ["locks", "--json"])).stdout) as {
      path: string;
      agent: string;
    }[];
    expect(listed).toContainEqual(expect.objectContaining({ path: "config/new.py", agent: "A1" }));
    // And the agent's session id is recorded for resuming.
    const agents = (await readJson(path.join(repo.stateDir, "agents.json"))) as {
      agents: Record<string, Record<string, unknown>>;
    };
    expect(agents.agents.A1?.session_id).toBe("11111111-2222-3333-4444-555555555555");
  });

  it("denies a write outside the stream's scope, with the scope; scope_mode: warn lets it through with a note", async () => {
    const env = agentEnv("A1", "A", worktreeA);
    const denied = await hook("PreToolUse", write(path.join(worktreeA, "logging/log.py")), env);
    expect(decision(denied.stdout)).toMatchObject({
      permissionDecision: "deny",
      permissionDecisionReason: expect.stringContaining(
        "logging/log.py is outside the scope of stream A (config/**)",
      ),
    });
    await setPolicy("scope_mode: warn");
    const warned = await hook("PreToolUse", write(path.join(worktreeA, "logging/log.py")), env);
    const output = JSON.parse(warned.stdout) as {
      systemMessage: string;
      hookSpecificOutput: Record<string, string>;
    };
    expect(output.hookSpecificOutput.permissionDecision).toBeUndefined();
    expect(output.systemMessage).toContain("outside the scope of stream A");
  });

  it("denies a write into the main worktree or another stream's worktree", async () => {
    const env = agentEnv("A1", "A", worktreeA);
    const main = await hook("PreToolUse", write(path.join(repo.root, "config/app.py")), env);
    expect(decision(main.stdout)?.permissionDecisionReason).toContain(
      `Edit ${path.join(worktreeA, "config/app.py")} instead`,
    );
    const other = await hook("PreToolUse", write(path.join(worktreeB, "config/app.py")), env);
    expect(decision(other.stdout)?.permissionDecision).toBe("deny");
    // The state directory, through the worktree's .claude/state link, is not the agent's either.
    await fsp.mkdir(path.join(worktreeA, ".claude"), { recursive: true });
    await fsp.symlink(repo.stateDir, path.join(worktreeA, ".claude/state"));
    const state = await hook(
      "PreToolUse",
      write(path.join(worktreeA, ".claude/state/checkpoints.json")),
      env,
    );
    expect(decision(state.stdout)?.permissionDecision).toBe("deny");
  });

  it("with locks: advisory, tells of the holder and denies nothing; with locks: off, says nothing", async () => {
    await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"]);
    await setPolicy("locks: advisory");
    const env = agentEnv("A1", "A", worktreeA);
    const advisory = await hook("PreToolUse", write(path.join(worktreeA, "config/app.py")), env);
    expect(JSON.parse(advisory.stdout).systemMessage).toContain("locked by agent B1");
    await setPolicy("locks: off");
    const off = await hook("PreToolUse", write(path.join(worktreeA, "config/app.py")), env);
    expect(off.stdout.trim()).toBe("");
  });

  it("allows and records a warning when Tower's state cannot be read, but still denies a live lock of another agent", async () => {
    const env = agentEnv("A1", "A", worktreeA);
    await fsp.writeFile(path.join(repo.root, "streams.yaml"), "version: [broken");
    const allowed = await hook("PreToolUse", write(path.join(worktreeA, "config/app.py")), env);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.trim()).toBe("");
    expect(allowed.stderr).toContain("the tool was allowed");
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(
      activity.some(
        (e) => e.action === "warning" && String(e.warning).includes("the tool was allowed"),
      ),
    ).toBe(true);
    // A live lock of B1, written as the protocol writes it.
    const expires = new Date(Date.now() + 3600_000);
    const naive = (d: Date) =>
      `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}T${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}:00.000000`;
    await fsp.writeFile(
      path.join(repo.stateDir, "file_locks.json"),
      JSON.stringify({
        locks: {
          "config/app.py": {
            agent: "B1",
            stream: "B",
            acquired: naive(new Date()),
            expires: naive(expires),
            task: "",
          },
        },
        version: 1,
      }),
    );
    const denied = await hook("PreToolUse", write(path.join(worktreeA, "config/app.py")), env);
    expect(decision(denied.stdout)?.permissionDecision).toBe("deny");
    // Gemini's BeforeTool likewise, in Gemini's words.
    const geminiDenied = await hook(
      "BeforeTool",
      { ...write(path.join(worktreeA, "config/app.py")), tool_name: "write_file" },
      env,
    );
    expect(JSON.parse(geminiDenied.stdout)).toMatchObject({ decision: "deny" });
    // And Codex's patch that touches it among other files, naming the file held.
    const codexDenied = await hook(
      "PreToolUse",
      {
        cwd: worktreeA,
        tool_name: "apply_patch",
        tool_input: {
          command:
            "*** Begin Patch\n*** Add File: config/new.py\n+x\n*** Update File: config/app.py\n@@\n+y\n*** End Patch\n",
        },
      },
      env,
    );
    expect(decision(codexDenied.stdout)?.permissionDecisionReason).toMatch(
      /^config\/app\.py is locked by agent B1/,
    );
  });

  it("does nothing for a process Tower did not start, and answers other tools with nothing", async () => {
    const stranger = await hook("PreToolUse", write(path.join(worktreeA, "config/app.py")), {});
    expect(stranger).toMatchObject({ code: 0, stdout: "" });
    const bash = await hook(
      "PreToolUse",
      { tool_name: "Bash", tool_input: { command: "ls" } },
      agentEnv("A1", "A", worktreeA),
    );
    expect(bash).toMatchObject({ code: 0, stdout: "" });
  });
});

describe("Gemini CLI's BeforeTool and AfterTool", () => {
  const geminiWrite = (file: string, tool = "write_file") => ({
    session_id: "gemini-session",
    hook_event_name: "BeforeTool",
    tool_name: tool,
    tool_input: { file_path: file, content: "x\n" },
  });

  it("refuse a write to a file another agent holds in Gemini's words, take the lock of an allowed one, log the edit, and announce no status", async () => {
    expect(
      (await tower(repo.root, ["lock", "config/app.py", "--agent", "B1", "--task", "logging"]))
        .code,
    ).toBe(0);
    const env = agentEnv("A1", "A", worktreeA);
    const refused = await hook(
      "BeforeTool",
      geminiWrite(path.join(worktreeA, "config/app.py")),
      env,
    );
    expect(refused.code).toBe(0);
    const answer = JSON.parse(refused.stdout) as { decision: string; reason: string };
    expect(answer.decision).toBe("deny");
    expect(answer.reason).toMatch(
      /^config\/app\.py is locked by agent B1, stream B, working on "logging" until/,
    );
    // An edit (Gemini's replace) of a free file: allowed with nothing said, the lock taken.
    const allowed = await hook(
      "BeforeTool",
      geminiWrite(path.join(worktreeA, "config/new.py"), "replace"),
      env,
    );
    expect(allowed.stdout.trim()).toBe("");
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, { agent: string; source?: string }>;
    };
    expect(locks.locks["config/new.py"]).toMatchObject({ agent: "A1", source: "hook" });
    await hook(
      "AfterTool",
      {
        ...geminiWrite(path.join(worktreeA, "config/new.py"), "replace"),
        hook_event_name: "AfterTool",
      },
      env,
    );
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(activity).toContainEqual(
      expect.objectContaining({ agent: "A1", action: "edited", file: "config/new.py" }),
    );
    // Gemini's title tells its status: its hooks announce none (one would win over the title).
    const agents = await fsp
      .readFile(path.join(repo.stateDir, "agents.json"), "utf8")
      .catch(() => "{}");
    expect(agents).not.toContain('"announced"');
  });

  it("tell the human (BeforeTool's systemMessage) and the model (AfterTool's additionalContext) of an allowed write out of scope or to a file another agent holds", async () => {
    await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"]);
    await setPolicy("scope_mode: warn\nlocks: advisory");
    const env = agentEnv("A1", "A", worktreeA);
    const afterTool = (file: string) => ({
      ...geminiWrite(file),
      hook_event_name: "AfterTool",
      tool_response: { llmContent: "Successfully wrote the file." },
    });
    for (const [file, note] of [
      ["logging/log.py", "outside the scope of stream A (config/**): prefer to change only"],
      ["config/app.py", "config/app.py is locked by agent B1, stream B"],
    ] as const) {
      const before = await hook("BeforeTool", geminiWrite(path.join(worktreeA, file)), env);
      const told = JSON.parse(before.stdout) as Record<string, unknown>;
      expect(told.decision).toBeUndefined();
      expect(told.systemMessage).toContain(note);
      const done = await hook("AfterTool", afterTool(path.join(worktreeA, file)), env);
      expect(JSON.parse(done.stdout)).toEqual({
        hookSpecificOutput: {
          hookEventName: "AfterTool",
          additionalContext: expect.stringContaining(note),
        },
      });
    }
    // A write with nothing to tell: nothing said before or after.
    const quiet = path.join(worktreeA, "config/other.py");
    expect((await hook("BeforeTool", geminiWrite(quiet), env)).stdout.trim()).toBe("");
    expect((await hook("AfterTool", afterTool(quiet), env)).stdout.trim()).toBe("");
  });
});

describe("Codex's apply_patch", () => {
  const patch = (...lines: string[]) => ({
    session_id: "codex-session",
    hook_event_name: "PreToolUse",
    cwd: worktreeA,
    tool_name: "apply_patch",
    tool_input: { command: ["*** Begin Patch", ...lines, "*** End Patch", ""].join("\n") },
  });

  it("names every file a patch adds, updates, deletes or moves to", () => {
    expect(
      patchFiles(
        "*** Begin Patch\n*** Add File: a.txt\n+x\n*** Update File: src/b.ts\n*** Move to: src/c.ts\n@@\n-x\n+y\n*** Delete File: d.md\n*** End Patch\n",
      ),
    ).toEqual(["a.txt", "src/b.ts", "src/c.ts", "d.md"]);
    // Codex trims each header line: an indented one is a header all the same.
    expect(
      patchFiles(
        "*** Begin Patch\n *** Update File: shared/x.py\n@@\n-s\n+t\n\t*** Add File: a.txt\n+x\n  *** Delete File: d.md\n   *** Move to: e.md\n*** End Patch\n",
      ),
    ).toEqual(["shared/x.py", "a.txt", "d.md", "e.md"]);
  });

  it("refuses an indented header's file another agent holds", async () => {
    expect((await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"])).code).toBe(0);
    const refused = await hook(
      "PreToolUse",
      patch(" *** Update File: config/app.py", "@@", "-a", "+b"),
      agentEnv("A1", "A", worktreeA),
    );
    expect(decision(refused.stdout)?.permissionDecisionReason).toMatch(
      /^config\/app\.py is locked by agent B1/,
    );
  });

  it("checks a patch the model runs through the shell (Codex applies it itself), against the cwd or the folder it cds to", async () => {
    expect((await tower(repo.root, ["lock", "config/app.py", "--agent", "B1"])).code).toBe(0);
    const env = agentEnv("A1", "A", worktreeA);
    // As Codex 0.171 sends it for `exec_command` with a heredoc: the shell tool, named Bash.
    const shell = (command: string) => ({
      session_id: "codex-session",
      turn_id: "t",
      hook_event_name: "PreToolUse",
      cwd: worktreeA,
      model: "gpt-5.5",
      permission_mode: "bypassPermissions",
      tool_name: "Bash",
      tool_input: { command },
      tool_use_id: "call_1",
    });
    const body = (file: string) =>
      `*** Begin Patch\n*** Update File: ${file}\n@@\n-a\n+b\n*** End Patch\n`;
    for (const command of [
      `apply_patch <<'EOF'\n${body("config/app.py")}EOF\n`,
      `cd config && apply_patch <<'EOF'\n${body("app.py")}EOF\n`,
      `cd "${worktreeA}/config" && applypatch <<"PATCH"\n${body("app.py")}PATCH\n`,
      `apply_patch '${body("config/app.py")}'`,
      `cat <<'EOF' | apply_patch\n${body("config/app.py")}EOF\n`,
    ]) {
      const refused = await hook("PreToolUse", shell(command), env);
      expect(decision(refused.stdout)?.permissionDecisionReason, command).toMatch(
        /^config\/app\.py is locked by agent B1/,
      );
    }
    // A patch Tower cannot read (not in the command) is refused, saying how to give it.
    const unread = await hook("PreToolUse", shell('apply_patch "$(cat /tmp/p)"'), env);
    expect(decision(unread.stdout)?.permissionDecision).toBe("deny");
    // Other commands, and a patch of files nobody holds, go on; the latter takes its locks.
    for (const command of [
      "ls",
      "grep -rn apply_patch src",
      "echo '*** Update File: config/app.py'",
    ])
      expect((await hook("PreToolUse", shell(command), env)).stdout.trim(), command).toBe("");
    const allowed = await hook(
      "PreToolUse",
      shell(`apply_patch <<'EOF'\n${body("config/other.py")}EOF\n`),
      env,
    );
    expect(allowed.stdout.trim()).toBe("");
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, { agent: string }>;
    };
    expect(locks.locks["config/other.py"]).toMatchObject({ agent: "A1" });
    const agents = await fsp
      .readFile(path.join(repo.stateDir, "agents.json"), "utf8")
      .catch(() => "{}");
    expect(agents).not.toContain('"announced"');
  });

  it("refuses a patch that touches a file another agent holds, takes the locks of an allowed one, logs its edits, and announces no status", async () => {
    expect(
      (await tower(repo.root, ["lock", "config/app.py", "--agent", "B1", "--task", "logging"]))
        .code,
    ).toBe(0);
    const env = agentEnv("A1", "A", worktreeA);
    const refused = await hook(
      "PreToolUse",
      patch("*** Add File: config/new.py", "+x", "*** Update File: config/app.py", "@@", "+y"),
      env,
    );
    expect(decision(refused.stdout)).toMatchObject({
      permissionDecision: "deny",
      permissionDecisionReason: expect.stringMatching(
        /^config\/app\.py is locked by agent B1, stream B, working on "logging"/,
      ),
    });
    const allowed = await hook(
      "PreToolUse",
      patch("*** Add File: config/new.py", "+x", "*** Add File: config/other.py", "+z"),
      env,
    );
    expect(allowed.stdout.trim()).toBe("");
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, { agent: string; source?: string }>;
    };
    expect(locks.locks["config/new.py"]).toMatchObject({ agent: "A1", source: "hook" });
    expect(locks.locks["config/other.py"]).toMatchObject({ agent: "A1", source: "hook" });
    await hook(
      "PostToolUse",
      {
        ...patch("*** Add File: config/new.py", "+x", "*** Add File: config/other.py", "+z"),
        hook_event_name: "PostToolUse",
      },
      env,
    );
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    for (const file of ["config/new.py", "config/other.py"])
      expect(activity).toContainEqual(
        expect.objectContaining({ agent: "A1", action: "edited", file, tool: "apply_patch" }),
      );
    // Codex's own status line tells its status: its patches announce none.
    const agents = await fsp
      .readFile(path.join(repo.stateDir, "agents.json"), "utf8")
      .catch(() => "{}");
    expect(agents).not.toContain('"announced"');
  });
});

describe("status and session events", () => {
  it("announce the agent's status and session into agents.json; PostToolUse logs the edit", async () => {
    const env = agentEnv("A1", "A", worktreeA);
    const session = { session_id: "abc-123", transcript_path: path.join(repo.root, "t.jsonl") };
    const announced = async () =>
      (
        (await readJson(path.join(repo.stateDir, "agents.json"))) as {
          agents: Record<
            string,
            {
              announced?: { status: string; event: string };
              session_id?: string;
              transcript_path?: string;
            }
          >;
        }
      ).agents.A1;
    await hook("SessionStart", { ...session, source: "startup" }, env);
    expect(await announced()).toMatchObject({
      session_id: "abc-123",
      transcript_path: session.transcript_path,
    });
    await hook("UserPromptSubmit", { ...session, prompt: "go" }, env);
    expect((await announced())?.announced).toMatchObject({
      status: "running",
      event: "UserPromptSubmit",
    });
    await hook("PermissionRequest", { ...session, tool_name: "Write" }, env);
    expect((await announced())?.announced?.status).toBe("waiting");
    await hook(
      "PostToolUse",
      { ...write(path.join(worktreeA, "config/a.py")), tool_response: {} },
      env,
    );
    expect((await announced())?.announced?.status).toBe("running");
    await hook(
      "Notification",
      { ...session, notification_type: "idle_prompt", message: "waiting" },
      env,
    );
    expect((await announced())?.announced?.status).toBe("idle");
    await hook("Stop", session, env);
    expect((await announced())?.announced).toMatchObject({ status: "idle", event: "Stop" });
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(activity).toContainEqual(
      expect.objectContaining({
        agent: "A1",
        stream: "A",
        action: "edited",
        file: "config/a.py",
        tool: "Write",
      }),
    );
  });

  it("Codex's SessionStart (CodexSessionStart) records its session and file, and announces no status", async () => {
    const env = agentEnv("A1", "A", worktreeA);
    // As Codex 0.171 sends it at the first prompt.
    const payload = {
      session_id: "01a25103-ec11-7260-be2a-7776ae2ec0c5",
      transcript_path: path.join(repo.root, "rollout.jsonl"),
      cwd: worktreeA,
      hook_event_name: "SessionStart",
      model: "gpt-5.5",
      permission_mode: "default",
      source: "startup",
    };
    const result = await hook("CodexSessionStart", payload, env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const agents = (await readJson(path.join(repo.stateDir, "agents.json"))) as {
      agents: Record<string, Record<string, unknown>>;
    };
    expect(agents.agents.A1).toMatchObject({
      session_id: payload.session_id,
      transcript_path: payload.transcript_path,
    });
    expect(agents.agents.A1).not.toHaveProperty("announced");
  });

  it("rejects an unknown event with the valid ones", async () => {
    const result = await hook("PreToolUze", {}, agentEnv("A1", "A", worktreeA));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'unknown event "PreToolUze" (valid: SessionStart, UserPromptSubmit, PreToolUse',
    );
  });
});
