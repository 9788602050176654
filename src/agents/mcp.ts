/**
 * `tower mcp`: the coordination protocol as MCP tools, over stdio, for the agent that started it
 * (Tower registers it for the agents it starts). Each tool acts as that agent and answers in
 * plain sentences the model can act on.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { parseDuration } from "../engine/plan/index.js";
import {
  type AgentContext,
  handOff,
  handoffsToMe,
  listAllLocks,
  listCheckpoints,
  lockFiles,
  logNote,
  moveTask,
  myConflicts,
  myStatus,
  myTasks,
  unlockFiles,
} from "./coordination.js";
import { MCP_SERVER_NAME } from "./mcp-names.js";

type Answer = { content: { type: "text"; text: string }[]; isError?: boolean };

async function answer(work: () => Promise<string>): Promise<Answer> {
  try {
    return { content: [{ type: "text", text: await work() }] };
  } catch (error) {
    return { content: [{ type: "text", text: (error as Error).message }], isError: true };
  }
}

const paths = z
  .array(z.string().min(1))
  .min(1)
  .describe("Paths relative to your worktree; a trailing / is a folder");

export function createMcpServer(ctx: AgentContext, version: string): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version });
  server.registerTool(
    "status",
    {
      description:
        "Your stream, task, scope and worktree; the streams you wait for; who holds locks in your scope; handoffs addressed to you.",
    },
    () => answer(() => myStatus(ctx)),
  );
  server.registerTool(
    "lock",
    {
      description:
        "Lock files or folders/ for yourself before editing them (all or none). Refused, with the holder, when another agent holds one.",
      inputSchema: {
        paths,
        task: z.string().optional().describe("What the lock is for (default: your task)"),
        ttl: z
          .string()
          .optional()
          .describe("How long, e.g. 30m or 2h (default: the plan's lock_ttl)"),
      },
    },
    ({ paths: files, task, ttl }) =>
      answer(() =>
        lockFiles(ctx, files, {
          ...(task !== undefined && { task }),
          ...(ttl !== undefined && { ttlMs: parseDuration(ttl) }),
        }),
      ),
  );
  server.registerTool(
    "unlock",
    { description: "Release your locks on files or folders/.", inputSchema: { paths } },
    ({ paths: files }) => answer(() => unlockFiles(ctx, files)),
  );
  server.registerTool(
    "locks",
    {
      description: "The locks held now, by whom, for what and until when.",
      inputSchema: { mine: z.boolean().optional().describe("Only your own") },
    },
    ({ mine }) => answer(() => listAllLocks(ctx, mine === true)),
  );
  server.registerTool(
    "handoff",
    {
      description:
        "Hand your work on to the agents that continue it: what you completed, new interfaces, breaking changes, test status.",
      inputSchema: {
        to: z.array(z.string().min(1)).min(1).describe("Receiving agent ids"),
        completed_tasks: z.array(z.string()).optional(),
        new_interfaces: z.array(z.string()).optional(),
        breaking_changes: z.array(z.string()).optional(),
        test_status: z.string().optional(),
        note: z.string().optional(),
      },
    },
    (input) =>
      answer(() =>
        handOff(ctx, {
          to: input.to,
          ...(input.completed_tasks && { completedTasks: input.completed_tasks }),
          ...(input.new_interfaces && { newInterfaces: input.new_interfaces }),
          ...(input.breaking_changes && { breakingChanges: input.breaking_changes }),
          ...(input.test_status && { testStatus: input.test_status }),
          ...(input.note && { note: input.note }),
        }),
      ),
  );
  server.registerTool("handoffs", { description: "The handoffs addressed to you, in full." }, () =>
    answer(() => handoffsToMe(ctx)),
  );
  server.registerTool(
    "log",
    {
      description: "Append a short note to the shared activity log.",
      inputSchema: { note: z.string().min(1) },
    },
    ({ note }) => answer(() => logNote(ctx, note)),
  );
  server.registerTool(
    "conflicts",
    {
      description:
        "Conflicts that involve your stream: overlapping changes, scope and lock violations, predicted merge conflicts.",
    },
    () => answer(() => myConflicts(ctx)),
  );
  server.registerTool(
    "tasks",
    { description: "Your tasks on your stream's board, by priority, and the one to take next." },
    () => answer(() => myTasks(ctx)),
  );
  for (const [tool, action, description] of [
    ["task_start", "start", "Start a task of your stream's board (its dependencies must be done)."],
    ["task_done", "done", "Mark a task done; Tower names your next task."],
    ["task_block", "block", "Mark a task blocked, saying why in the note."],
  ] as const) {
    server.registerTool(
      tool,
      {
        description,
        inputSchema: { id: z.string().min(1).describe("Task id"), note: z.string().optional() },
      },
      ({ id, note }) => answer(() => moveTask(ctx, action, id, note)),
    );
  }
  server.registerTool(
    "checkpoints",
    { description: "The plan's checkpoints and their status." },
    () => answer(() => listCheckpoints(ctx)),
  );
  return server;
}
