/**
 * Codex CLI 0.171.0: its session ids and `codex resume`, its `notify` program, its hooks
 * (`$CODEX_HOME/hooks.json`, Claude Code's format, trusted once), and an MCP server given on the
 * command line (`-c mcp_servers.<name>...`), as Tower will launch it. See FINDINGS.md.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codexHookHash } from "../../src/agents/codex-hooks.js";
import type { Session } from "../../src/pty/index.js";
import { readHookLog, readJsonLines } from "./claude-hooks.js";
import { codexEnv } from "./cli-env.js";
import {
  makeGitRepo,
  screenShows,
  sessionFileHolding,
  startAgent,
  startRun,
  until,
} from "./harness.js";
import { answerPrompt, selectMenuItem } from "./interact.js";
import { ModelServer, type RecordedRequest } from "./model-server.js";
import { guardOutside } from "./write-flow.js";

const PROGRAMS = path.join(path.dirname(fileURLToPath(import.meta.url)), "programs");

/** The session (thread) id Codex sends with each request, in `x-codex-turn-metadata`. */
function sessionIdOf(request: RecordedRequest): string {
  const metadata = JSON.parse(String(request.headers["x-codex-turn-metadata"] ?? "{}"));
  return String(metadata.session_id);
}

describe("Codex sessions, notify, hooks and MCP (real CLI)", () => {
  let outside: ReturnType<typeof guardOutside>;
  beforeAll(() => {
    outside = guardOutside();
  });
  afterAll(() => outside.check());

  it("keeps each session in $CODEX_HOME/sessions; `codex resume <id>` continues it with its history", async () => {
    const repo = makeGitRepo();
    const server = await new ModelServer({
      script: [{ text: "Noted the word." }, { text: "The word was papaya." }],
    }).listen();
    const agent = codexEnv({ modelUrl: server.url, trust: [repo.root] });
    const sessions: Session[] = [];
    try {
      const first = startAgent(
        { ...agent, command: [...agent.command, "Remember the word papaya"] },
        repo.root,
      );
      sessions.push(first.session);
      await screenShows({ session: first.session, server }, /Noted the word\./);
      const id = sessionIdOf(await server.waitForTurn(0));
      // Each session is kept in $CODEX_HOME/sessions, in a file named by its id. The answer as
      // history (its response_item, which a resume sends back) is written after the screen and
      // the item_completed event show it: stopped before, the resumed request lacked it. The
      // turn's task_complete comes after both.
      await sessionFileHolding(
        path.join(agent.codexHome as string, "sessions"),
        new RegExp(`rollout-.*${id}.*\\.jsonl$`),
        [
          "Remember the word papaya",
          '{"type":"output_text","text":"Noted the word."',
          '"type":"task_complete"',
        ],
      );
      await first.session.stop();

      const second = startAgent(
        { ...agent, command: [...agent.command, "resume", id, "What was the word?"] },
        repo.root,
      );
      sessions.push(second.session);
      await screenShows({ session: second.session, server }, /The word was papaya\./);
      const resumed = await server.waitForTurn(1);
      expect(JSON.stringify(resumed.body)).toContain("Remember the word papaya");
      expect(JSON.stringify(resumed.body)).toContain("Noted the word.");
      expect(sessionIdOf(resumed)).toBe(id);
    } finally {
      for (const session of sessions) await session.dispose(2_000);
      await server.close();
      agent.cleanup();
      repo.cleanup();
    }
  });

  it("runs its notify program after each turn with the turn's JSON", async () => {
    let log = "";
    const run = await startRun({
      script: [{ text: "Turn finished." }],
      makeEnv: (modelUrl, root) => {
        log = path.join(root, ".git", "notify.jsonl");
        const notify = JSON.stringify([process.execPath, path.join(PROGRAMS, "notify.mjs"), log]);
        return codexEnv({ modelUrl, trust: [root], overrides: { notify }, args: ["Say hi"] });
      },
    });
    try {
      await screenShows(run, /Turn finished\./);
      const thread = sessionIdOf(await run.server.waitForTurn(0));
      // Codex may also notify for its title side request (its last message the
      // title's JSON), before or after the turn: the turn's line is found among
      // all of them, not taken as the first.
      const payload = await until(
        () =>
          readJsonLines(log).find((entry) => entry["last-assistant-message"] === "Turn finished."),
        () =>
          `the turn's line in ${log}: ${existsSync(log) ? readFileSync(log, "utf8") : "(none)"}`,
      );
      expect(payload).toMatchObject({ type: "agent-turn-complete", "thread-id": thread });
    } finally {
      await run.dispose();
    }
  });

  it("runs hooks from $CODEX_HOME/hooks.json once trusted; a PreToolUse deny blocks apply_patch and the model gets the reason", async () => {
    let log = "";
    let target = "";
    const deny = {
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason: "hello.txt is locked by agent B1",
      },
    };
    const hookCommand = (answer?: unknown) =>
      [process.execPath, path.join(PROGRAMS, "hook.mjs"), log]
        .concat(answer === undefined ? [] : [JSON.stringify(answer)])
        .map((w) => `'${w}'`)
        .join(" ");
    const run = await startRun({
      script: [
        {
          text: "Patching.",
          toolCalls: [
            {
              name: "apply_patch",
              input: "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** End Patch\n",
            },
          ],
        },
        { text: "Finished the scripted turn." },
      ],
      makeEnv: (modelUrl, root) => {
        log = path.join(root, ".git", "hooks.jsonl");
        target = path.join(root, "hello.txt");
        const agent = codexEnv({ modelUrl, trust: [root], args: ["Create hello.txt"] });
        const hook = (answer?: unknown) => [
          { hooks: [{ type: "command", command: hookCommand(answer) }] },
        ];
        const hooks = {
          SessionStart: hook(),
          UserPromptSubmit: hook(),
          PreToolUse: [{ matcher: "*", ...hook(deny)[0] }],
          PostToolUse: [{ matcher: "*", ...hook()[0] }],
          Stop: hook(),
        };
        writeFileSync(
          path.join(agent.codexHome as string, "hooks.json"),
          JSON.stringify({ hooks }),
        );
        return agent;
      },
    });
    try {
      // New hooks are a question first; the answer is kept in config.toml ([hooks.state]).
      await screenShows(run, [/Hooks need review/, /2\. Trust all and continue/]);
      await selectMenuItem(run, 2);
      await answerPrompt(run, "\r", [/Hooks need review/]);
      await screenShows(run, /Finished the scripted turn\./);
      const [call] = await run.server.callsOfTurn(0);
      const { result } = await run.server.waitForToolResult(call!.id);
      expect(result.content).toMatch(
        /^Command blocked by PreToolUse hook: hello\.txt is locked by agent B1/,
      );
      expect(existsSync(target)).toBe(false);
      const calls = await until(
        () => {
          const logged = readHookLog(log);
          return logged.some((c) => c.event === "Stop") ? logged : undefined;
        },
        () =>
          `the Stop hook; logged: ${readHookLog(log)
            .map((c) => c.event)
            .join(", ")}`,
      );
      expect(calls.map((c) => c.event)).toEqual([
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "Stop",
      ]);
      expect(calls.find((c) => c.event === "PreToolUse")?.payload).toMatchObject({
        tool_name: "apply_patch",
        tool_use_id: call!.id,
        session_id: sessionIdOf(await run.server.waitForTurn(0)),
      });
      const config = readFileSync(path.join(run.agent.codexHome as string, "config.toml"), "utf8");
      expect(config).toMatch(
        /\[hooks\.state\."[^"]+hooks\.json:pre_tool_use:0:0"\]\ntrusted_hash = "sha256:/,
      );
      // The hash Codex keeps is the one Tower computes for its own hooks (codex-hooks.ts).
      const trusted = (event: string) =>
        new RegExp(`hooks\\.json:${event}:0:0"\\]\\ntrusted_hash = "(sha256:[0-9a-f]+)"`).exec(
          config,
        )?.[1];
      expect(trusted("pre_tool_use")).toBe(
        codexHookHash({ event: "PreToolUse", matcher: "*", command: hookCommand(deny) }),
      );
      expect(trusted("post_tool_use")).toBe(
        codexHookHash({ event: "PostToolUse", matcher: "*", command: hookCommand() }),
      );
    } finally {
      await run.dispose();
    }
  });

  it("-c mcp_servers.<name> gives it an MCP server, found with tool_search; approve mode runs it without a prompt", async () => {
    let log = "";
    const run = await startRun({
      script: [
        { toolCalls: [{ name: "tool_search", input: { query: "echo" } }] },
        {
          text: "Calling echo.",
          toolCalls: [{ name: "echo", namespace: "mcp__echo", input: { text: "hi" } }],
        },
        { text: "Echo answered." },
      ],
      makeEnv: (modelUrl, root) => {
        log = path.join(root, ".git", "mcp.jsonl");
        return codexEnv({
          modelUrl,
          trust: [root],
          overrides: {
            "mcp_servers.echo.command": JSON.stringify(process.execPath),
            "mcp_servers.echo.args": JSON.stringify([path.join(PROGRAMS, "mcp-echo.mjs"), log]),
            "mcp_servers.echo.default_tools_approval_mode": '"approve"',
          },
          args: ["Use the echo tool"],
        });
      },
    });
    try {
      await screenShows(run, /Echo answered\./);
      const [call] = await run.server.callsOfTurn(1);
      const { result } = await run.server.waitForToolResult(call!.id);
      expect(result.content).toMatch(/echo: hi/);
      expect(readFileSync(log, "utf8")).toContain('"text":"hi"');
      expect(run.server.errors).toEqual([]);
    } finally {
      await run.dispose();
    }
  });
});
