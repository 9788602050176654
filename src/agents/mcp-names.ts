/**
 * The names of Tower's MCP server and its tools, apart from the server itself (mcp.ts): the
 * agents' launch (launch.ts) registers them, and the Tower server that launches the agents then
 * does not load the MCP SDK it never runs (with its schema validators, 395 of the 2,103 KB of
 * code the server loaded).
 */

/** The server's name, so its tools are `mcp__tower__<tool>` in Claude Code. */
export const MCP_SERVER_NAME = "tower";

export const MCP_TOOLS = [
  "status",
  "lock",
  "unlock",
  "locks",
  "handoff",
  "handoffs",
  "log",
  "conflicts",
  "checkpoints",
  "tasks",
  "task_start",
  "task_done",
  "task_block",
] as const;
