/**
 * `tower mcp` driven by the MCP SDK's own client over stdio, as an agent CLI drives it: the tools
 * act as the agent of the environment and change the same state as the CLI.
 */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  cleanEnv,
  makeRepo,
  readJson,
  readJsonlFile,
  type TempRepo,
  tower,
} from "../helpers/repo.js";
import { addStream, writeStreamsState } from "../helpers/streams.js";

let repo: TempRepo;
let client: Client;
let worktree: string;

beforeEach(async () => {
  repo = await makeRepo();
  const a = addStream(repo, "A");
  writeStreamsState(repo, [a]);
  worktree = a.worktree;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "mcp"],
    cwd: worktree,
    env: cleanEnv({
      TOWER_AGENT_ID: "A1",
      TOWER_STREAM: "A",
      TOWER_WORKTREE: worktree,
      TOWER_REPO_ROOT: repo.root,
      TOWER_STATE_DIR: repo.stateDir,
      TOWER_TASK: "Consolidate config",
    }) as Record<string, string>,
    stderr: "pipe",
  });
  client = new Client({ name: "test", version: "1" });
  await client.connect(transport);
});
afterEach(async () => {
  await client.close();
  repo.cleanup();
});

async function call(
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ text: string; isError: boolean }> {
  const result = (await client.callTool({ name, arguments: args })) as {
    content: { type: string; text: string }[];
    isError?: boolean;
  };
  return { text: result.content.map((c) => c.text).join("\n"), isError: result.isError === true };
}

describe("tower mcp", () => {
  it("lists the coordination tools", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        "checkpoints",
        "conflicts",
        "handoff",
        "handoffs",
        "lock",
        "locks",
        "log",
        "status",
        "task_block",
        "task_done",
        "task_start",
        "tasks",
        "unlock",
      ].sort(),
    );
  });

  it("locks and unlocks as the agent, refuses another agent's lock with the holder", async () => {
    expect((await call("lock", { paths: ["config/app.py"], task: "settings" })).text).toMatch(
      /^locked config\/app\.py until/,
    );
    const locks = (await readJson(path.join(repo.stateDir, "file_locks.json"))) as {
      locks: Record<string, { agent: string; task: string }>;
    };
    expect(locks.locks["config/app.py"]).toMatchObject({ agent: "A1", task: "settings" });
    await tower(repo.root, ["lock", "config/b.py", "--agent", "B1"]);
    const refused = await call("lock", { paths: ["config/b.py"] });
    expect(refused.text).toContain("Nothing was locked.");
    expect(refused.text).toContain("config/b.py is locked by agent B1, stream B");
    expect((await call("locks", { mine: true })).text).toMatch(
      /^config\/app\.py: A1 \(stream A\), "settings"/,
    );
    expect((await call("unlock", { paths: ["config/app.py"] })).text).toBe(
      "released config/app.py",
    );
    expect((await call("unlock", { paths: ["config/b.py"] })).text).toContain(
      "held by B1, not by you",
    );
  });

  it("status tells the agent its stream, scope, worktree and who holds locks in its scope", async () => {
    await tower(repo.root, ["lock", "config/b.py", "--agent", "B1", "--task", "logging"]);
    const { text } = await call("status");
    expect(text).toContain("You are agent A1 of stream A (Foundation, in_progress).");
    expect(text).toContain("Your task: Consolidate config");
    expect(text).toContain(`Your worktree: ${worktree}`);
    expect(text).toContain("Your scope (enforced): config/**");
    expect(text).toMatch(
      /Locked by others in your scope:\n {2}config\/b\.py: B1 \(stream B\), "logging"/,
    );
  });

  it("handoff and log record into the shared state; checkpoints lists them", async () => {
    expect(
      (
        await call("handoff", {
          to: ["E1"],
          completed_tasks: ["config merged"],
          test_status: "passing",
        })
      ).text,
    ).toBe("Handed off to E1.");
    const handoffs = (await readJson(path.join(repo.stateDir, "handoffs.json"))) as {
      handoffs: { from_agent: string; to_agents: string[] }[];
    };
    expect(handoffs.handoffs[0]).toMatchObject({ from_agent: "A1", to_agents: ["E1"] });
    await call("log", { note: "halfway there" });
    const activity = await readJsonlFile(path.join(repo.stateDir, "agent_activity.jsonl"));
    expect(activity).toContainEqual(
      expect.objectContaining({ agent: "A1", action: "note", note: "halfway there" }),
    );
    expect((await call("checkpoints")).text).toContain("design_review: pending (approval)");
    const unknown = await call("handoff", { to: ["Z9"] });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('unknown agent "Z9"');
  });

  it("tasks, task_start and task_done move the agent's task on the board", async () => {
    expect((await call("tasks")).text).toContain("A1");
    expect((await call("task_start", { id: "A1" })).isError).toBe(false);
    const done = await call("task_done", { id: "A1" });
    expect(done.isError).toBe(false);
    const file = (await readJson(path.join(repo.stateDir, "tasks.json"))) as {
      tasks: Record<string, { status: string; agent?: string }>;
    };
    expect(file.tasks.A1).toMatchObject({ status: "done", agent: "A1" });
    const other = await call("task_start", { id: "E1" });
    expect(other.isError).toBe(true);
  });

  it("conflicts reports the agent's stream only", async () => {
    expect((await call("conflicts")).text).toBe("No conflicts involve your stream.");
  });
});
