#!/usr/bin/env node
// A minimal MCP server over stdio (newline-delimited JSON-RPC 2.0) for the real-agents tests:
// one tool, `echo`, that answers "echo: <text>". Every call is appended to the file named by
// the first argument (if any), so a test sees that the CLI really called it.
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";

const log = process.argv[2];
const send = (message) =>
  process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);

const TOOL = {
  name: "echo",
  description: "Echoes the text it is given.",
  inputSchema: {
    type: "object",
    properties: { text: { type: "string", description: "What to echo." } },
    required: ["text"],
  },
};

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "") return;
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return;
  }
  const { id, method, params } = request;
  if (id === undefined) return; // a notification (notifications/initialized, ...)
  switch (method) {
    case "initialize":
      send({
        id,
        result: {
          protocolVersion: params?.protocolVersion ?? "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: { name: "echo", version: "1.0.0" },
        },
      });
      break;
    case "tools/list":
      send({ id, result: { tools: [TOOL] } });
      break;
    case "tools/call": {
      const text = String(params?.arguments?.text ?? "");
      if (log)
        appendFileSync(
          log,
          `${JSON.stringify({ tool: params?.name, arguments: params?.arguments })}\n`,
        );
      send({ id, result: { content: [{ type: "text", text: `echo: ${text}` }] } });
      break;
    }
    case "ping":
      send({ id, result: {} });
      break;
    default:
      send({ id, error: { code: -32601, message: `method not found: ${method}` } });
  }
});
