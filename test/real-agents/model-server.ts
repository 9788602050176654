/**
 * A scripted model endpoint for the real agent CLIs: an HTTP server on 127.0.0.1 that speaks
 * the three APIs the pinned CLIs call, and answers from a script instead of a model.
 *
 * - Anthropic Messages (Claude Code): `POST /v1/messages` (SSE when `stream: true`, else JSON),
 *   `POST /v1/messages/count_tokens`; tool calls are `tool_use` blocks.
 * - OpenAI Responses (Codex): `POST /v1/responses`, always SSE; tool calls are `function_call`
 *   items (or `custom_tool_call` for a freeform tool such as Codex's `apply_patch`), chosen by
 *   how the request declares the tool.
 * - Gemini (Gemini CLI): `POST /v1beta/models/<model>:streamGenerateContent?alt=sse`,
 *   `:generateContent`, `:countTokens`; tool calls are `functionCall` parts.
 *
 * The script is a list of turns, each answering one request that offers tools (a request of the
 * agent's own loop). A request without tools is a side request (Claude Code's title generation,
 * Gemini's model routing, ...): it gets a short answer shaped like what it asked for and does not
 * consume a turn. Every request is recorded, so a test can read the tool results the CLI sent
 * back. Anything else (`HEAD /`, `GET /v1/models`, ...) gets a small sensible answer.
 *
 * The wire shapes follow the APIs' documentation and what the pinned CLIs parse (codex-rs
 * `codex-api/src/sse/responses.rs`; the Anthropic and Google SDKs bundled in Claude Code and
 * Gemini CLI); test/real-agents/FINDINGS.md records what each CLI was seen to send.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Api = "anthropic" | "openai" | "gemini";

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

/** What the "model" answers to one request of the agent's loop. */
export interface TurnAnswer {
  /** Text before the tool calls (or the whole answer when there are none). */
  text?: string;
  toolCalls?: ToolCall[];
  /** Waited for before answering: a promise the test resolves, or a function making one. */
  until?: Promise<unknown> | ((request: RecordedRequest) => Promise<unknown>);
  /** Milliseconds to wait before answering (after `until`). */
  delayMs?: number;
  /** Milliseconds between streamed chunks, so the CLI shows itself working (default 0). */
  chunkDelayMs?: number;
}

/** A turn: a fixed answer, or one made from the request it answers. */
export type Turn = TurnAnswer | ((request: RecordedRequest) => TurnAnswer);

export interface RecordedRequest {
  /** Order of arrival, from 0. */
  seq: number;
  method: string;
  /** Path and query. */
  url: string;
  api: Api | "other";
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined when there is none or it is not JSON). */
  body: unknown;
  /** The names of the tools the request offers. */
  tools: string[];
  /** Whether it was answered as a side request (no tools offered, or a JSON answer asked for). */
  side: boolean;
  /** The index of the script turn that answered it (undefined for side and other requests). */
  turn?: number;
  /** Whether it came after the script ran out (answered with `fallbackText`). */
  unscripted?: boolean;
  /** The tool calls the answer made, with the ids the server gave them. */
  calls: { id: string; name: string }[];
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

export interface ModelServerOptions {
  script?: Turn[];
  /** The answer once the script ran out (default "Done."). */
  fallbackText?: string;
}

interface Waiter {
  match: (request: RecordedRequest) => boolean;
  resolve: (request: RecordedRequest) => void;
}

export class ModelServer {
  readonly requests: RecordedRequest[] = [];
  /** Problems found while answering (a scripted tool the request does not offer, ...). */
  readonly errors: string[] = [];
  private readonly server: http.Server;
  private turns: Turn[];
  private nextTurn = 0;
  private fallbackText: string;
  private waiters: Waiter[] = [];
  private ids = 0;
  private port = 0;

  constructor(options: ModelServerOptions = {}) {
    this.turns = [...(options.script ?? [])];
    this.fallbackText = options.fallbackText ?? "Done.";
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.errors.push(`${req.method} ${req.url}: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(error) } }));
      });
    });
  }

  /** Starts listening on 127.0.0.1 on a free port. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `http://127.0.0.1:<port>` (Claude Code's and Gemini CLI's base URL). */
  get url(): string {
    if (this.port === 0) throw new Error("model server: call listen() first");
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Appends turns to the script. */
  script(...turns: Turn[]): void {
    this.turns.push(...turns);
  }

  /** How many script turns have been answered (or are being answered). */
  get turnsUsed(): number {
    return this.nextTurn;
  }

  /** The requests of the agent's loop (not side requests, not probes). */
  get loopRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.api !== "other" && !r.side);
  }

  /** Resolves with the first request (already received or to come) that `match` accepts. */
  waitForRequest(
    match: (request: RecordedRequest) => boolean,
    timeoutMs = 120_000,
    what = "a matching request",
  ): Promise<RecordedRequest> {
    const seen = this.requests.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `model server: timed out waiting for ${what}; received:\n${this.describeRequests()}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (request) => {
          clearTimeout(timer);
          resolve(request);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** The loop request that answers script turn `turn` (the request after it carries its result). */
  waitForTurn(turn: number, timeoutMs?: number): Promise<RecordedRequest> {
    return this.waitForRequest(
      (r) => r.turn === turn || (r.unscripted === true && turn >= this.turns.length),
      timeoutMs,
      `the request for turn ${turn}`,
    );
  }

  /**
   * The first request that carries the result of the call `callId` (a call the script made),
   * with that result.
   */
  async waitForToolResult(
    callId: string,
    timeoutMs?: number,
  ): Promise<{ request: RecordedRequest; result: ToolResult }> {
    const request = await this.waitForRequest(
      (r) => toolResults(r).some((result) => result.id === callId),
      timeoutMs,
      `the result of tool call ${callId}`,
    );
    const result = toolResults(request).find((r) => r.id === callId) as ToolResult;
    return { request, result };
  }

  /** The calls the script's turn `turn` made (once it was answered). */
  async callsOfTurn(turn: number, timeoutMs?: number): Promise<{ id: string; name: string }[]> {
    return (await this.waitForTurn(turn, timeoutMs)).calls;
  }

  /** A one-line summary of each request received, for failure messages. */
  describeRequests(): string {
    return this.requests
      .map((r) => {
        const kind = r.side ? "side" : r.turn !== undefined ? `turn ${r.turn}` : r.api;
        return `  #${r.seq} ${r.method} ${r.url} (${kind}; tools: ${r.tools.length})`;
      })
      .join("\n");
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const url = req.url ?? "/";
    const pathname = url.split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const api = apiOf(method, pathname);
    const tools = api === "other" ? [] : toolNames(api, body);
    const request: RecordedRequest = {
      seq: this.requests.length,
      method,
      url,
      api,
      headers: req.headers,
      body,
      tools,
      side: false,
      calls: [],
    };
    this.requests.push(request);

    if (api === "other") {
      this.notify(request);
      answerProbe(method, pathname, res);
      return;
    }
    if (pathname.endsWith("/count_tokens") || pathname.endsWith(":countTokens")) {
      this.notify(request);
      return sendJson(res, api === "gemini" ? { totalTokens: 10 } : { input_tokens: 10 });
    }

    let answer: TurnAnswer;
    if (tools.length === 0 || asksForJson(api, body)) {
      request.side = true;
      answer = { text: sideAnswer(api, body) };
    } else if (this.nextTurn < this.turns.length) {
      request.turn = this.nextTurn;
      const turn = this.turns[this.nextTurn++] as Turn;
      answer = typeof turn === "function" ? turn(request) : turn;
    } else {
      request.unscripted = true;
      answer = { text: this.fallbackText };
    }
    this.notify(request);

    if (answer.until !== undefined) {
      await (typeof answer.until === "function" ? answer.until(request) : answer.until);
    }
    if (answer.delayMs) await sleep(answer.delayMs);
    const calls = (answer.toolCalls ?? []).map((call) => this.checkTool(api, body, call, tools));
    request.calls = calls.map(({ id, name }) => ({ id, name }));
    const reply = { text: answer.text ?? "", calls, chunkDelayMs: answer.chunkDelayMs ?? 0 };
    switch (api) {
      case "anthropic":
        return this.answerAnthropic(body, reply, res);
      case "openai":
        return this.answerOpenai(reply, res);
      case "gemini":
        return this.answerGemini(pathname, url, body, reply, res);
    }
  }

  private notify(request: RecordedRequest): void {
    for (const waiter of this.waiters.filter((w) => w.match(request))) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(request);
    }
  }

  /** A scripted call to a tool the request does not offer is a test bug: record it, say it. */
  private checkTool(api: Api, body: unknown, call: ToolCall, tools: string[]): PlannedCall {
    const kind = api === "openai" ? openaiToolKind(body, call.name) : "function";
    const offered =
      tools.includes(call.name) ||
      (call.namespace !== undefined && JSON.stringify(body).includes(call.namespace));
    if (!offered) {
      this.errors.push(`scripted tool ${call.name} is not offered (offered: ${tools.join(", ")})`);
    }
    return { ...call, id: this.id(api), kind: kind ?? "function" };
  }

  private id(api: Api): string {
    const n = ++this.ids;
    const unique = randomUUID().replaceAll("-", "").slice(0, 16);
    return api === "anthropic" ? `toolu_${unique}${n}` : `call_${unique}${n}`;
  }

  private async answerAnthropic(body: unknown, reply: Reply, res: http.ServerResponse) {
    const model = str(field(body, "model")) ?? "claude-test";
    const stream = field(body, "stream") === true;
    const blocks: Record<string, unknown>[] = [];
    if (reply.text !== "") blocks.push({ type: "text", text: reply.text });
    for (const call of reply.calls) {
      blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.input });
    }
    if (blocks.length === 0) blocks.push({ type: "text", text: "" });
    const stopReason = reply.calls.length > 0 ? "tool_use" : "end_turn";
    const message = {
      id: `msg_${randomUUID().replaceAll("-", "")}`,
      type: "message",
      role: "assistant",
      model,
      content: [] as unknown[],
      stop_reason: null as string | null,
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 1 },
    };
    if (!stream) {
      return sendJson(res, {
        ...message,
        content: blocks,
        stop_reason: stopReason,
        usage: { input_tokens: 10, output_tokens: 10 },
      });
    }
    const sse = startSse(res, reply.chunkDelayMs);
    await sse.event("message_start", { type: "message_start", message });
    await sse.event("ping", { type: "ping" });
    for (const [index, block] of blocks.entries()) {
      if (block.type === "text") {
        await sse.event("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "text", text: "" },
        });
        for (const piece of chunks(String(block.text))) {
          await sse.event("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "text_delta", text: piece },
          });
        }
      } else {
        await sse.event("content_block_start", {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
        });
        await sse.event("content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
        });
      }
      await sse.event("content_block_stop", { type: "content_block_stop", index });
    }
    await sse.event("message_delta", {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: 10 },
    });
    await sse.event("message_stop", { type: "message_stop" });
    res.end();
  }

  private async answerOpenai(reply: Reply, res: http.ServerResponse) {
    const id = `resp_${randomUUID().replaceAll("-", "")}`;
    const sse = startSse(res, reply.chunkDelayMs);
    await sse.event("response.created", {
      type: "response.created",
      response: { id, object: "response", status: "in_progress" },
    });
    if (reply.text !== "") {
      const itemId = `msg_${randomUUID().replaceAll("-", "")}`;
      const item = { type: "message", id: itemId, role: "assistant", content: [] as unknown[] };
      await sse.event("response.output_item.added", {
        type: "response.output_item.added",
        output_index: 0,
        item,
      });
      for (const piece of chunks(reply.text)) {
        await sse.event("response.output_text.delta", {
          type: "response.output_text.delta",
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta: piece,
        });
      }
      await sse.event("response.output_item.done", {
        type: "response.output_item.done",
        output_index: 0,
        item: { ...item, content: [{ type: "output_text", text: reply.text, annotations: [] }] },
      });
    }
    for (const [n, call] of reply.calls.entries()) {
      const item =
        call.kind === "tool_search"
          ? {
              type: "tool_search_call",
              id: `tsc_${call.id}`,
              status: "completed",
              call_id: call.id,
              execution: "client",
              arguments: call.input,
            }
          : call.kind === "custom"
            ? {
                type: "custom_tool_call",
                id: `ctc_${call.id}`,
                status: "completed",
                call_id: call.id,
                name: call.name,
                input: typeof call.input === "string" ? call.input : JSON.stringify(call.input),
              }
            : {
                type: "function_call",
                id: `fc_${call.id}`,
                status: "completed",
                call_id: call.id,
                name: call.name,
                ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
                arguments: typeof call.input === "string" ? call.input : JSON.stringify(call.input),
              };
      await sse.event("response.output_item.done", {
        type: "response.output_item.done",
        output_index: n + (reply.text === "" ? 0 : 1),
        item,
      });
    }
    await sse.event("response.completed", {
      type: "response.completed",
      response: {
        id,
        object: "response",
        status: "completed",
        usage: {
          input_tokens: 10,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 10,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 20,
        },
      },
    });
    res.end();
  }

  private async answerGemini(
    pathname: string,
    url: string,
    body: unknown,
    reply: Reply,
    res: http.ServerResponse,
  ) {
    const model = /\/models\/([^:/]+):/.exec(pathname)?.[1] ?? "gemini-test";
    const parts: Record<string, unknown>[] = [];
    if (reply.text !== "") parts.push({ text: reply.text });
    for (const call of reply.calls) {
      parts.push({ functionCall: { id: call.id, name: call.name, args: call.input } });
    }
    const response = (partList: Record<string, unknown>[], finished: boolean) => ({
      candidates: [
        {
          content: { role: "model", parts: partList },
          index: 0,
          ...(finished ? { finishReason: "STOP" } : {}),
        },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 10, totalTokenCount: 20 },
      modelVersion: model,
      responseId: randomUUID(),
    });
    if (!pathname.endsWith(":streamGenerateContent")) {
      return sendJson(res, response(parts.length > 0 ? parts : [{ text: "" }], true));
    }
    if (!url.includes("alt=sse")) this.errors.push(`gemini stream without alt=sse: ${url}`);
    void body;
    const sse = startSse(res, reply.chunkDelayMs);
    const textPieces = reply.text === "" ? [] : chunks(reply.text);
    const callParts = parts.filter((p) => "functionCall" in p);
    // Text streamed in pieces, the function calls with the last chunk, as the real API does.
    for (const [n, piece] of textPieces.entries()) {
      const last = n === textPieces.length - 1;
      await sse.data(response([{ text: piece }, ...(last ? callParts : [])], last));
    }
    if (textPieces.length === 0) {
      await sse.data(response(callParts.length > 0 ? callParts : [{ text: "" }], true));
    }
    res.end();
  }
}

/**
 * The tool results a request carries (the whole conversation it sends, so results of earlier
 * turns too), whichever API it speaks.
 */
export function toolResults(request: RecordedRequest): ToolResult[] {
  const body = request.body;
  if (request.api === "anthropic") {
    return arr(field(body, "messages"))
      .filter((message) => field(message, "role") === "user")
      .flatMap((message) => arr(field(message, "content")))
      .filter((block) => field(block, "type") === "tool_result")
      .map((block) => ({
        id: str(field(block, "tool_use_id")) ?? "",
        content: contentText(field(block, "content")),
        isError: field(block, "is_error") === true,
      }));
  }
  if (request.api === "openai") {
    const items = arr(field(body, "input"));
    return items
      .filter((item) => /_(call_)?output$/.test(str(field(item, "type")) ?? ""))
      .map((item) => {
        const output = field(item, "output") ?? field(item, "tools");
        return {
          id: str(field(item, "call_id")) ?? "",
          content: contentText(output),
          isError: false,
        };
      });
  }
  if (request.api === "gemini") {
    return arr(field(body, "contents"))
      .flatMap((content) => arr(field(content, "parts")))
      .map((part) => field(part, "functionResponse"))
      .filter((fr) => fr !== undefined)
      .map((fr) => {
        const response = field(fr, "response");
        return {
          id: str(field(fr, "id")) ?? str(field(fr, "name")) ?? "",
          name: str(field(fr, "name")),
          content: contentText(response),
          isError: field(response, "error") !== undefined,
        } as ToolResult;
      });
  }
  return [];
}

interface PlannedCall extends ToolCall {
  id: string;
  kind: ToolKind;
}

type ToolKind = "function" | "custom" | "tool_search";

interface Reply {
  text: string;
  calls: PlannedCall[];
  chunkDelayMs: number;
}

function apiOf(method: string, pathname: string): Api | "other" {
  if (method !== "POST") return "other";
  if (/^\/v1\/messages(\/count_tokens)?$/.test(pathname)) return "anthropic";
  if (/^\/(v1\/)?responses$/.test(pathname)) return "openai";
  if (
    /^\/v1(beta|alpha)?\/models\/[^/]+:(streamGenerateContent|generateContent|countTokens)$/.test(
      pathname,
    )
  ) {
    return "gemini";
  }
  return "other";
}

/** The names of the tools a request offers. */
function toolNames(api: Api, body: unknown): string[] {
  if (api === "gemini") {
    return arr(field(body, "tools")).flatMap((t) =>
      arr(field(t, "functionDeclarations")).map((d) => str(field(d, "name")) ?? ""),
    );
  }
  // Anthropic: {name}; Responses: {type: "function" | "custom", name}, or a namespace of them.
  // A built-in tool without a name (`tool_search`, `web_search`) goes by its type.
  return openaiTools(body)
    .map((t) => str(field(t, "name")) ?? str(field(t, "type")) ?? "")
    .filter((name) => name !== "");
}

/**
 * The tool declarations of a request: `tools`, and for the Responses API also the tools of
 * `additional_tools` input items (Codex sends its tools that way for the newest models), with
 * namespaces flattened (their tools are called by their own names).
 */
function openaiTools(body: unknown): unknown[] {
  const declared = [
    ...arr(field(body, "tools")),
    ...arr(field(body, "input"))
      .filter((item) => field(item, "type") === "additional_tools")
      .flatMap((item) => arr(field(item, "tools"))),
  ];
  return declared.flatMap((t) =>
    field(t, "type") === "namespace" ? [t, ...arr(field(t, "tools"))] : [t],
  );
}

/** How a Responses request declares a tool: JSON `function`, freeform `custom`, `tool_search`. */
function openaiToolKind(body: unknown, name: string): ToolKind | undefined {
  const tool = openaiTools(body).find(
    (t) =>
      field(t, "name") === name || (field(t, "name") === undefined && field(t, "type") === name),
  );
  if (tool === undefined) return undefined;
  const type = field(tool, "type");
  return type === "custom" ? "custom" : type === "tool_search" ? "tool_search" : "function";
}

/**
 * Whether a request asks for a JSON answer to a schema: the CLIs' side requests do (Claude
 * Code's and Codex's title, Gemini's routing), their agent loops never do; Codex's title
 * request even offers a tool.
 */
function asksForJson(api: Api, body: unknown): boolean {
  if (api === "gemini") {
    const config = field(body, "generationConfig");
    return (
      field(config, "responseJsonSchema") !== undefined ||
      field(config, "responseSchema") !== undefined ||
      field(config, "responseMimeType") === "application/json"
    );
  }
  const format =
    field(field(body, "output_config"), "format") ?? field(field(body, "text"), "format");
  return field(format, "type") === "json_schema";
}

/**
 * The answer to a side request: JSON when the request asks for JSON (Claude Code's title, Gemini's
 * routing decision), built to fit the schema it gives; a short text otherwise.
 */
function sideAnswer(api: Api, body: unknown): string {
  if (api === "gemini") {
    const config = field(body, "generationConfig");
    const schema = field(config, "responseJsonSchema") ?? field(config, "responseSchema");
    if (schema !== undefined || field(config, "responseMimeType") === "application/json") {
      return JSON.stringify(fromSchema(schema));
    }
    return "OK";
  }
  // Anthropic structured output (`output_config.format`), Responses `text.format`.
  const format =
    field(field(body, "output_config"), "format") ?? field(field(body, "text"), "format");
  if (field(format, "type") === "json_schema")
    return JSON.stringify(fromSchema(field(format, "schema")));
  return "OK";
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

function answerProbe(method: string, pathname: string, res: http.ServerResponse): void {
  if (method === "HEAD" || (method === "GET" && pathname === "/")) {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(method === "HEAD" ? undefined : "scripted model server\n");
    return;
  }
  if (method === "GET" && /^\/(v1|v1beta)\/models\/?$/.test(pathname)) {
    sendJson(res, { object: "list", data: [], models: [] });
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(
    JSON.stringify({ error: { type: "not_found_error", message: `no ${method} ${pathname}` } }),
  );
}

function startSse(res: http.ServerResponse, chunkDelayMs: number) {
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

function sendJson(res: http.ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

/** Text in a few pieces, so a stream has more than one delta. */
function chunks(text: string): string[] {
  if (text.length < 24) return [text];
  const size = Math.ceil(text.length / 3);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Tool result content as text: strings as they are, text blocks joined, anything else as JSON. */
function contentText(content: unknown): string {
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

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object"
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
