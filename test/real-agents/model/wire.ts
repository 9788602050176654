/**
 * What the three API dialects of the scripted model endpoint (anthropic.ts, openai.ts,
 * gemini.ts) share: the shape of a scripted reply, SSE and JSON responses, and small readers
 * for untyped request bodies.
 */
import type http from "node:http";

/** One tool call, in the CLI's own tool names (`Write`, `exec_command`, `write_file`, ...). */
export interface ToolCall {
  /**
   * The tool's name. Responses API: `tool_search` is Codex's client-side tool search (which
   * makes deferred tools, such as MCP servers' tools, available to the next request).
   */
  name: string;
  /** The arguments; a string is the raw input of a freeform (custom) tool, e.g. a patch. */
  input: Record<string, unknown> | string;
  /** Responses API: the namespace of a namespaced tool (Codex's `mcp__<server>`). */
  namespace?: string;
}

/** How a request declares a tool: JSON `function`, freeform `custom`, Codex's `tool_search`. */
export type ToolKind = "function" | "custom" | "tool_search";

/** A scripted call about to be sent, with the id the server gave it. */
export interface PlannedCall extends ToolCall {
  id: string;
  kind: ToolKind;
}

/** What to answer one request with. */
export interface Reply {
  text: string;
  calls: PlannedCall[];
  /** Milliseconds between streamed chunks. */
  chunkDelayMs: number;
}

/** A tool result the CLI sent back, normalised across the APIs. */
export interface ToolResult {
  /** The id of the call it answers (`tool_use_id`, `call_id`, or the Gemini function name). */
  id: string;
  /** The Gemini function name when known. */
  name?: string;
  /** The result as text (content blocks joined, JSON for structured results). */
  content: string;
  isError: boolean;
}

/** One API as the endpoint speaks it. */
export interface Dialect {
  /** The POST paths it answers. */
  path: RegExp;
  /** Whether the path is its token-counting call, and what to answer it. */
  countTokens(pathname: string): unknown;
  /** The names of the tools a request offers. */
  toolNames(body: unknown): string[];
  /** How the request declares the tool `name` (undefined: not offered). */
  toolKind(body: unknown, name: string): ToolKind | undefined;
  /** Whether the request asks for a JSON answer to a schema (a CLI's side request does). */
  asksForJson(body: unknown): boolean;
  /** A fitting answer to a side request. */
  sideAnswer(body: unknown): string;
  /** The id of a tool call, made from a unique part. */
  callId(unique: string): string;
  /** Writes the response for `reply`. */
  answer(res: http.ServerResponse, request: WireRequest, reply: Reply): Promise<void>;
  /** The tool results a request body carries (the whole conversation it sends). */
  toolResults(body: unknown): ToolResult[];
}

export interface WireRequest {
  url: string;
  pathname: string;
  body: unknown;
  /** Records a problem with the request (shown by the test that fails). */
  problem(message: string): void;
}

/** Starts an SSE response; `event` writes a named event, `data` an unnamed one. */
export function startSse(res: http.ServerResponse, chunkDelayMs: number) {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  res.flushHeaders();
  const write = async (text: string) => {
    res.write(text);
    if (chunkDelayMs > 0) await sleep(chunkDelayMs);
  };
  return {
    event: (name: string, data: unknown) =>
      write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`),
    data: (data: unknown) => write(`data: ${JSON.stringify(data)}\r\n\r\n`),
  };
}

export function sendJson(res: http.ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Text in a few pieces, so a stream has more than one delta. */
export function chunks(text: string): string[] {
  if (text.length < 24) return [text];
  const size = Math.ceil(text.length / 3);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Tool result content as text: strings as they are, text blocks joined, anything else as JSON. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((block) =>
        typeof block === "string" ? block : (str(field(block, "text")) ?? JSON.stringify(block)),
      )
      .join("\n");
  }
  return JSON.stringify(content ?? "");
}

/** A value that fits a JSON schema: the first enum value, the minimum, a short text for strings. */
export function fromSchema(schema: unknown): unknown {
  const type = String(field(schema, "type") ?? "object").toLowerCase();
  const values = arr(field(schema, "enum"));
  if (values.length > 0) return values[0];
  switch (type) {
    case "object": {
      const properties = field(schema, "properties");
      const out: Record<string, unknown> = {};
      if (properties !== null && typeof properties === "object") {
        for (const [key, sub] of Object.entries(properties)) out[key] = fromSchema(sub);
      }
      return out;
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return Number(field(schema, "minimum") ?? 1);
    case "boolean":
      return false;
    default:
      return "Scripted answer";
  }
}

/** `value[key]` when `value` is an object. */
export function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object"
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
