import type { Command } from "commander";
import { agentFromEnv } from "../../agents/identity.js";
import { streamOfAgent } from "../../engine/handoffs.js";
import { openProject } from "../../engine/project.js";
import { usageError } from "../errors.js";
import { VERSION } from "../version.js";

/** `tower mcp`: the coordination tools over stdio, acting as the agent that runs it. */
export function registerMcp(program: Command): void {
  program
    .command("mcp")
    .description(
      "serve Tower's coordination tools (lock, unlock, status, handoff, ...) to an agent over MCP on stdio",
    )
    .option("--agent <id>", "the agent the tools act for (default: $TOWER_AGENT_ID)")
    .action(async (options: { agent?: string }) => {
      const fromEnv = agentFromEnv();
      const agent = options.agent ?? fromEnv?.agent;
      if (!agent)
        throw usageError("tower mcp needs to know its agent: --agent ID or TOWER_AGENT_ID");
      const project = await openProject(fromEnv?.worktree ?? process.cwd());
      const stream = streamOfAgent(project.plan, agent);
      if (stream === undefined) {
        const known = project.plan.streams.flatMap((s) => s.agents.map((a) => a.id));
        throw usageError(`unknown agent "${agent}" (known: ${known.join(", ")})`);
      }
      const spec = project.plan.streams
        .find((s) => s.id === stream)
        ?.agents.find((a) => a.id === agent);
      const worktree =
        fromEnv?.agent === agent
          ? fromEnv.worktree
          : ((await project.store.read("orchestrator")).streams[stream]?.worktree ??
            project.repo.worktreeRoot);
      const { StdioServerTransport } = await import("@modelcontextprotocol/sdk/server/stdio.js");
      // Loaded here, with the MCP SDK and its schemas: every other command starts without them.
      const { createMcpServer } = await import("../../agents/mcp.js");
      const server = createMcpServer(
        { project, identity: { agent, stream, worktree, task: spec?.task ?? "" } },
        VERSION,
      );
      await server.connect(new StdioServerTransport());
      // Serve until the client closes stdin.
      await new Promise<void>((resolve) => {
        process.stdin.once("end", resolve);
        process.stdin.once("close", resolve);
      });
      await server.close();
    });
}
