/**
 * Claude Code 2.1.197: choosing and resuming its session (`--session-id`, `--resume`,
 * `--continue`) and giving it an MCP server at launch (`--mcp-config`), as Tower will launch
 * it. See FINDINGS.md.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/pty/index.js";
import { claudeEnv } from "./cli-env.js";
import {
  makeGitRepo,
  screenShows,
  sessionFileHolding,
  startAgent,
  startRun,
  until,
} from "./harness.js";
import { ModelServer, type RecordedRequest, type TurnAnswer } from "./model-server.js";
import { guardOutside } from "./write-flow.js";

const MCP_ECHO = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "programs",
  "mcp-echo.mjs",
);

const ECHO = "mcp__echo__echo";

/** Calls the echo tool once offered, else waits for the MCP servers. */
function echoOrWait(request: RecordedRequest): TurnAnswer {
  if (request.tools.includes(ECHO)) {
    return { text: "Calling echo.", toolCalls: [{ name: ECHO, input: { text: "hi" } }] };
  }
  return { toolCalls: [{ name: "WaitForMcpServers", input: { servers: ["echo"] } }] };
}

describe("Claude Code sessions and MCP (real CLI)", () => {
  let outside: ReturnType<typeof guardOutside>;
  beforeAll(() => {
    outside = guardOutside();
  });
  afterAll(() => outside.check());

  it("--session-id names the session; --resume <id> continues it with its history", async () => {
    const repo = makeGitRepo();
    const server = await new ModelServer({
      script: [{ text: "Noted the word." }, { text: "The word was papaya." }],
    }).listen();
    const agent = claudeEnv({ modelUrl: server.url, trust: [repo.root] });
    const sessions: Session[] = [];
    const id = randomUUID();
    try {
      const first = startAgent(
        { ...agent, command: [...agent.command, "--session-id", id, "Remember the word papaya"] },
        repo.root,
      );
      sessions.push(first.session);
      await screenShows({ session: first.session, server }, /Noted the word\./);
      expect(server.loopRequests[0]?.headers["x-claude-code-session-id"]).toBe(id);
      const transcripts = path.join(agent.home, ".claude", "projects");
      // Claude Code writes its transcript as it goes: stopped before the prompt and the answer
      // are in it, the resumed session would not have them (seen once on a loaded machine).
      await sessionFileHolding(transcripts, new RegExp(`/${id}\\.jsonl$`), [
        "Remember the word papaya",
        "Noted the word.",
      ]);
      await first.session.stop();

      const second = startAgent(
        { ...agent, command: [...agent.command, "--resume", id, "What was the word?"] },
        repo.root,
      );
      sessions.push(second.session);
      await screenShows({ session: second.session, server }, /The word was papaya\./);
      const resumed = await server.waitForTurn(1);
      expect(JSON.stringify(resumed.body)).toContain("Remember the word papaya");
      expect(JSON.stringify(resumed.body)).toContain("Noted the word.");
      // The resumed session keeps its id, and its transcript is named by it.
      expect(resumed.headers["x-claude-code-session-id"]).toBe(id);
      const dirs = readdirSync(transcripts);
      expect(dirs.some((dir) => existsSync(path.join(transcripts, dir, `${id}.jsonl`)))).toBe(true);
    } finally {
      for (const session of sessions) await session.dispose(2_000);
      await server.close();
      agent.cleanup();
      repo.cleanup();
    }
  });

  it("--continue with no conversation exits 1 saying so", async () => {
    const run = await startRun({
      script: [],
      makeEnv: (modelUrl, root) => claudeEnv({ modelUrl, trust: [root], args: ["--continue"] }),
    });
    try {
      const exit = await run.session.waitForExit();
      expect(exit.code).toBe(1);
      expect(run.session.text().join("\n")).toMatch(/No conversation found to continue/);
      expect(run.server.loopRequests).toEqual([]);
    } finally {
      await run.dispose();
    }
  });

  it("--mcp-config gives it an MCP server; with --allowedTools its tool runs without a prompt", async () => {
    let log = "";
    const run = await startRun({
      // MCP servers connect in the background: a first request can come before, offering
      // WaitForMcpServers instead of the server's tools.
      script: [echoOrWait, echoOrWait, { text: "Echo answered." }],
      makeEnv: (modelUrl, root) => {
        log = path.join(root, ".git", "mcp.jsonl");
        const config = {
          mcpServers: { echo: { command: process.execPath, args: [MCP_ECHO, log] } },
        };
        return claudeEnv({
          modelUrl,
          trust: [root],
          // Both flags take several values: the prompt goes first, or it is taken for one.
          args: [
            "Use the echo tool",
            "--mcp-config",
            JSON.stringify(config),
            "--allowedTools",
            ECHO,
          ],
        });
      },
    });
    try {
      await screenShows(run, /Echo answered\./);
      const call = run.server.requests.flatMap((r) => r.calls).find((c) => c.name === ECHO);
      expect(call, run.server.describeRequests()).toBeDefined();
      const { result } = await run.server.waitForToolResult(call!.id);
      expect(result).toMatchObject({ content: "echo: hi", isError: false });
      await until(
        () => (existsSync(log) ? true : undefined),
        () => `${log}`,
      );
      expect(readFileSync(log, "utf8")).toContain('"text":"hi"');
      expect(run.session.text().join("\n")).not.toMatch(/Do you want to proceed/);
    } finally {
      await run.dispose();
    }
  });
});
