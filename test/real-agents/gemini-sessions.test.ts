/**
 * Gemini CLI 0.61.0: its session ids (`--session-id`, `--list-sessions`, `--resume`), its hooks
 * (settings `hooks`, BeforeTool deny) and an MCP server from its settings (`mcpServers`, `trust`),
 * as Tower will launch it. See FINDINGS.md.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/pty/index.js";
import { readHookLog } from "./claude-hooks.js";
import { geminiEnv } from "./cli-env.js";
import {
  makeGitRepo,
  screenShows,
  sessionFileHolding,
  startAgent,
  startRun,
  until,
} from "./harness.js";
import { ModelServer } from "./model-server.js";
import { guardOutside } from "./write-flow.js";

const PROGRAMS = path.join(path.dirname(fileURLToPath(import.meta.url)), "programs");

/** Gemini settings `hooks` logging `events` to `log`; `answers` makes an event's hook answer. */
function hookSettings(log: string, events: string[], answers: Record<string, unknown> = {}) {
  const hooks: Record<string, unknown> = {};
  for (const event of events) {
    const words = [process.execPath, path.join(PROGRAMS, "hook.mjs"), log];
    if (answers[event] !== undefined) words.push(JSON.stringify(answers[event]));
    const command = words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(" ");
    hooks[event] = [{ hooks: [{ type: "command", command }] }];
  }
  return hooks;
}

describe("Gemini CLI sessions, hooks and MCP (real CLI)", () => {
  let outside: ReturnType<typeof guardOutside>;
  beforeAll(() => {
    outside = guardOutside();
  });
  afterAll(() => outside.check());

  it("--session-id names the session, --list-sessions lists it, --resume latest continues it", async () => {
    const repo = makeGitRepo();
    const server = await new ModelServer({
      script: [{ text: "Noted the word." }, { text: "The word was papaya." }],
    }).listen();
    const log = path.join(repo.root, ".git", "hooks.jsonl");
    const agent = geminiEnv({
      modelUrl: server.url,
      trust: [repo.root],
      settings: { hooks: hookSettings(log, ["SessionStart"]) },
    });
    const sessions: Session[] = [];
    const id = randomUUID();
    const start = (...args: string[]) => {
      const { session } = startAgent({ ...agent, command: [...agent.command, ...args] }, repo.root);
      sessions.push(session);
      return { session, server };
    };
    try {
      const first = start("--session-id", id, "--prompt-interactive", "Remember the word papaya");
      await screenShows(first, /Noted the word\./);
      // Stopped before its chat file holds the answer, the resumed session would not have it.
      await sessionFileHolding(path.join(agent.home, ".gemini"), /chats\/session-.*\.jsonl?$/, [
        "Remember the word papaya",
        "Noted the word.",
      ]);
      await first.session.stop();
      const started = await until(
        () => readHookLog(log).find((c) => c.event === "SessionStart"),
        () => "the SessionStart hook",
      );
      expect(started.payload.session_id).toBe(id);

      const list = start("--list-sessions");
      expect((await list.session.waitForExit()).code).toBe(0);
      expect(list.session.text().join("\n")).toMatch(
        new RegExp(`Available sessions for this project \\(1\\):[\\s\\S]*1\\. .*\\[${id}\\]`),
      );

      const second = start("--resume", "latest", "--prompt-interactive", "What was the word?");
      await screenShows(second, /The word was papaya\./);
      const resumed = await server.waitForTurn(1);
      expect(JSON.stringify(resumed.body)).toContain("Remember the word papaya");
      expect(JSON.stringify(resumed.body)).toContain("Noted the word.");
    } finally {
      for (const session of sessions) await session.dispose(2_000);
      await server.close();
      agent.cleanup();
      repo.cleanup();
    }
  });

  it("a BeforeTool hook's deny stops write_file without a prompt, and the model receives the reason", async () => {
    let log = "";
    let target = "";
    const run = await startRun({
      script: [
        () => ({
          text: "Writing.",
          toolCalls: [{ name: "write_file", input: { file_path: target, content: "hi\n" } }],
        }),
        { text: "Finished the scripted turn." },
      ],
      makeEnv: (modelUrl, root) => {
        log = path.join(root, ".git", "hooks.jsonl");
        target = path.join(root, "hello.txt");
        const deny = { decision: "deny", reason: "hello.txt is locked by agent B1" };
        return geminiEnv({
          modelUrl,
          trust: [root],
          settings: { hooks: hookSettings(log, ["BeforeTool"], { BeforeTool: deny }) },
          args: ["--prompt-interactive", "Create hello.txt"],
        });
      },
    });
    try {
      await screenShows(run, /Finished the scripted turn\./);
      const [call] = await run.server.callsOfTurn(0);
      const { result } = await run.server.waitForToolResult(call!.id);
      expect(result.isError).toBe(true);
      expect(result.content).toContain("hello.txt is locked by agent B1");
      expect(existsSync(target)).toBe(false);
      expect(run.session.text().join("\n")).not.toMatch(/Apply this change\?/);
      expect(readHookLog(log)[0]?.payload).toMatchObject({
        tool_name: "write_file",
        tool_input: { file_path: target, content: "hi\n" },
      });
    } finally {
      await run.dispose();
    }
  });

  it("an MCP server from settings, trusted, has its tool run without a prompt", async () => {
    let log = "";
    const run = await startRun({
      script: [
        { text: "Calling echo.", toolCalls: [{ name: "mcp_echo_echo", input: { text: "hi" } }] },
        { text: "Echo answered." },
      ],
      makeEnv: (modelUrl, root) => {
        log = path.join(root, ".git", "mcp.jsonl");
        const echo = {
          command: process.execPath,
          args: [path.join(PROGRAMS, "mcp-echo.mjs"), log],
          trust: true,
        };
        return geminiEnv({
          modelUrl,
          trust: [root],
          settings: { mcpServers: { echo } },
          args: ["--prompt-interactive", "Use the echo tool"],
        });
      },
    });
    try {
      await screenShows(run, /Echo answered\./);
      const [call] = await run.server.callsOfTurn(0);
      const { result } = await run.server.waitForToolResult(call!.id);
      expect(result.content).toContain("echo: hi");
      expect(readFileSync(log, "utf8")).toContain('"text":"hi"');
      expect(run.server.errors).toEqual([]);
    } finally {
      await run.dispose();
    }
  });
});
