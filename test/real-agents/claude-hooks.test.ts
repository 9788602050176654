/**
 * Claude Code 2.1.197 hooks, as Tower will use them (given at launch with `--settings`): which
 * events fire with what payload, and what a PreToolUse hook's decision does. See FINDINGS.md.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudeSettings } from "../../src/agents/launch.js";
import { type HookCall, hookSettings, readHookLog } from "./claude-hooks.js";
import { claudeEnv } from "./cli-env.js";
import { type RealAgentRun, screenShows, startRun, until } from "./harness.js";
import { answerPrompt } from "./interact.js";
import { toolResults } from "./model-server.js";
import { guardOutside } from "./write-flow.js";

const REASON = "hello.txt is locked by agent B1 (stream B)";

/** Claude Code with hooks logging to `<repo>/.git/hooks.jsonl`, first turn a Write. */
async function startWithHooks(
  answers: Parameters<typeof hookSettings>[1] = {},
  options: {
    /** The user's ~/.claude/settings.json, and the repository's .claude/settings.local.json. */
    user?: Record<string, unknown>;
    local?: Record<string, unknown>;
    /** More of the `--settings` given. */
    settings?: Record<string, unknown>;
  } = {},
): Promise<{ run: RealAgentRun; log: string; target: string }> {
  let root = "";
  const run = await startRun({
    script: [
      () => ({
        text: "I'll create the file.",
        toolCalls: [
          { name: "Write", input: { file_path: path.join(root, "hello.txt"), content: "hi\n" } },
        ],
      }),
      { text: "Finished the scripted turn." },
    ],
    makeEnv: (modelUrl, repoRoot) => {
      root = repoRoot;
      const log = path.join(repoRoot, ".git", "hooks.jsonl");
      if (options.local) {
        mkdirSync(path.join(repoRoot, ".claude"), { recursive: true });
        writeFileSync(
          path.join(repoRoot, ".claude", "settings.local.json"),
          JSON.stringify(options.local),
        );
      }
      const settings = { ...JSON.parse(hookSettings(log, answers)), ...options.settings };
      return claudeEnv({
        modelUrl,
        trust: [repoRoot],
        ...(options.user && { settings: options.user }),
        args: ["--settings", JSON.stringify(settings), "Create hello.txt"],
      });
    },
  });
  return { run, log: path.join(root, ".git", "hooks.jsonl"), target: path.join(root, "hello.txt") };
}

function waitForHook(log: string, event: string, timeoutMs = 60_000): Promise<HookCall> {
  return until(
    () => readHookLog(log).find((call) => call.event === event),
    () =>
      `the ${event} hook; logged: ${readHookLog(log)
        .map((c) => c.event)
        .join(", ")}`,
    timeoutMs,
  );
}

describe("Claude Code hooks (real CLI)", () => {
  let outside: ReturnType<typeof guardOutside>;
  beforeAll(() => {
    outside = guardOutside();
  });
  afterAll(() => outside.check());

  it("fires every hook event, in order, with the session id, the tool call and the reasons", async () => {
    const { run, log, target } = await startWithHooks();
    try {
      await screenShows(run, [/Do you want to create hello\.txt\?/, /Esc to cancel/]);
      // Unanswered, the prompt is announced by a Notification hook (after about 6 s).
      const notification = await waitForHook(log, "Notification");
      expect(notification.payload.notification_type).toBe("permission_prompt");
      await answerPrompt(run, "1", [/Do you want to create hello\.txt\?/, /Esc to cancel/]);
      await screenShows(run, /Finished the scripted turn/);
      const stop = await waitForHook(log, "Stop");
      expect(stop.payload.last_assistant_message).toBe("Finished the scripted turn.");
      await run.session.stop();
      const end = await waitForHook(log, "SessionEnd");
      expect(end.payload.reason).toBe("other");

      const calls = readHookLog(log);
      expect(calls.map((c) => c.event)).toEqual([
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PermissionRequest",
        "Notification",
        "PostToolUse",
        "Stop",
        "SessionEnd",
      ]);
      const sessionIds = new Set(calls.map((c) => c.payload.session_id));
      expect(sessionIds.size).toBe(1);
      const [call] = await run.server.callsOfTurn(0);
      const byEvent = (event: string) => calls.find((c) => c.event === event)?.payload ?? {};
      expect(byEvent("SessionStart").source).toBe("startup");
      expect(byEvent("UserPromptSubmit").prompt).toBe("Create hello.txt");
      expect(byEvent("PreToolUse")).toMatchObject({
        tool_name: "Write",
        tool_input: { file_path: target, content: "hi\n" },
        tool_use_id: call!.id,
        cwd: path.dirname(target),
      });
      expect(byEvent("PermissionRequest").tool_name).toBe("Write");
      expect(byEvent("PostToolUse").tool_response).toBeDefined();
      // The session id is the one Claude Code sends the model endpoint.
      expect(run.server.loopRequests[0]?.headers["x-claude-code-session-id"]).toBe(
        [...sessionIds][0],
      );
    } finally {
      await run.dispose();
    }
  });

  it("a Write that fails after its prompt was answered sends PostToolUseFailure; one declined at its prompt sends nothing more", async () => {
    // Tower releases a write's provisional lock on the first, and can only let it lapse on the
    // second (src/agents/hook.ts, PROVISIONAL_LOCK_MS).
    const failing = await startWithHooks();
    try {
      const prompt = [/Do you want to create hello\.txt\?/, /Esc to cancel/];
      await screenShows(failing.run, prompt);
      // The file appears meanwhile: the Write, checked before the prompt, fails when it runs.
      writeFileSync(failing.target, "someone else's\n");
      await answerPrompt(failing.run, "1", prompt);
      const failure = await waitForHook(failing.log, "PostToolUseFailure");
      const pre = readHookLog(failing.log).find((c) => c.event === "PreToolUse");
      expect(failure.payload).toMatchObject({
        tool_name: "Write",
        tool_input: { file_path: failing.target },
        tool_use_id: pre?.payload.tool_use_id,
        error: expect.stringContaining("has not been read yet"),
        is_interrupt: false,
      });
      expect(readHookLog(failing.log).some((c) => c.event === "PostToolUse")).toBe(false);
    } finally {
      await failing.run.dispose();
    }
    const declined = await startWithHooks();
    try {
      const prompt = [/Do you want to create hello\.txt\?/, /Esc to cancel/];
      await screenShows(declined.run, prompt);
      declined.run.session.write("\x1b");
      await screenShows(declined.run, /User rejected write to hello\.txt/, 30_000);
      // Time for a hook that would come late: none does.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const events = readHookLog(declined.log).map((c) => c.event);
      expect(events.slice(events.indexOf("PreToolUse"))).toEqual([
        "PreToolUse",
        "PermissionRequest",
      ]);
    } finally {
      await declined.run.dispose();
    }
  });

  it("a PreToolUse hook's deny stops the Write without a prompt, and the model receives the reason", async () => {
    const { run, target } = await startWithHooks({
      PreToolUse: {
        json: {
          hookSpecificOutput: {
            hookEventName: "PreToolUse",
            permissionDecision: "deny",
            permissionDecisionReason: REASON,
          },
        },
      },
    });
    try {
      await screenShows(run, new RegExp(`Error: ${REASON.replace(/[.()]/g, "\\$&")}`));
      const [call] = await run.server.callsOfTurn(0);
      const { result } = await run.server.waitForToolResult(call!.id);
      expect(result).toMatchObject({ content: REASON, isError: true });
      await screenShows(run, /Finished the scripted turn/);
      expect(existsSync(target)).toBe(false);
      expect(run.session.text().join("\n")).not.toMatch(/Do you want to create/);
    } finally {
      await run.dispose();
    }
  });

  it("Tower's `disableAllHooks: false` keeps its hooks on though the user's and the project's settings turn all hooks off", async () => {
    // The key Tower's own --settings carry (src/agents/launch.ts).
    const { disableAllHooks } = claudeSettings(["node", "tower.js"]);
    expect(disableAllHooks).toBe(false);
    const { run, target } = await startWithHooks(
      {
        PreToolUse: {
          json: {
            hookSpecificOutput: {
              hookEventName: "PreToolUse",
              permissionDecision: "deny",
              permissionDecisionReason: REASON,
            },
          },
        },
      },
      {
        user: { disableAllHooks: true },
        local: { disableAllHooks: true },
        settings: { disableAllHooks },
      },
    );
    try {
      const [call] = await run.server.callsOfTurn(0);
      const { result } = await run.server.waitForToolResult(call!.id);
      expect(result).toMatchObject({ content: REASON, isError: true });
      await screenShows(run, /Finished the scripted turn/);
      expect(existsSync(target)).toBe(false);
    } finally {
      await run.dispose();
    }
  });

  it("a PreToolUse hook's allow runs the Write without a prompt", async () => {
    const { run, target } = await startWithHooks({
      PreToolUse: {
        json: {
          hookSpecificOutput: {
            hookEventName: "PreToolUse",
            permissionDecision: "allow",
            permissionDecisionReason: "no lock conflict",
          },
        },
      },
    });
    try {
      await screenShows(run, /Finished the scripted turn/);
      expect(existsSync(target)).toBe(true);
      const results = run.server.loopRequests.flatMap((r) => toolResults(r));
      expect(results.some((r) => !r.isError && /File created successfully/.test(r.content))).toBe(
        true,
      );
      expect(run.session.text().join("\n")).not.toMatch(/Do you want to create/);
    } finally {
      await run.dispose();
    }
  });
});
