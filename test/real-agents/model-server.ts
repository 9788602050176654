/**
 * A scripted model endpoint for the real agent CLIs: an HTTP server on 127.0.0.1 that speaks
 * the three APIs the pinned CLIs call, and answers from a script instead of a model.
 *
 * - Anthropic Messages (Claude Code): `POST /v1/messages` (SSE when `stream: true`, else JSON),
 *   `POST /v1/messages/count_tokens`; tool calls are `tool_use` blocks.
 * - OpenAI Responses (Codex): `POST /v1/responses`, always SSE; tool calls are `function_call`
 *   items, `custom_tool_call` for a freeform tool such as Codex's `apply_patch` and
 *   `tool_search_call` for its tool search, chosen by how the request declares the tool.
 * - Gemini (Gemini CLI): `POST /v1beta/models/<model>:streamGenerateContent?alt=sse`,
 *   `:generateContent`, `:countTokens`; tool calls are `functionCall` parts.
 *
 * The script is a list of turns, each answering one request of the agent's own loop. A request
 * that offers no tools or asks for a JSON answer to a schema is a side request (Claude Code's
 * and Codex's title, Gemini CLI's model routing): it gets a short answer that fits what it asked
 * for and does not consume a turn. Every request is recorded, so a test can read the tool results the CLI sent
 * back. Anything else (`HEAD /`, `GET /v1/models`, ...) gets a small sensible answer.
 *
 * Each API's wire format is in model/ (anthropic.ts, openai.ts, gemini.ts), following the APIs'
 * documentation and what the pinned CLIs parse; test/real-agents/FINDINGS.md records what each
 * CLI was seen to send.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { anthropic } from "./model/anthropic.js";
import { gemini } from "./model/gemini.js";
import { openai } from "./model/openai.js";
import {
  type Dialect,
  type PlannedCall,
  sendJson,
  sleep,
  type ToolCall,
  type ToolResult,
} from "./model/wire.js";

export type { ToolCall, ToolResult } from "./model/wire.js";

export type Api = "anthropic" | "openai" | "gemini";

const DIALECTS: Readonly<Record<Api, Dialect>> = { anthropic, openai, gemini };

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
    const dialect = api === "other" ? undefined : DIALECTS[api];
    const tools = dialect?.toolNames(body) ?? [];
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

    if (dialect === undefined) {
      this.notify(request);
      answerProbe(method, pathname, res);
      return;
    }
    const counted = dialect.countTokens(pathname);
    if (counted !== undefined) {
      this.notify(request);
      sendJson(res, counted);
      return;
    }

    let answer: TurnAnswer;
    if (tools.length === 0 || dialect.asksForJson(body)) {
      request.side = true;
      answer = { text: dialect.sideAnswer(body) };
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
    const calls = (answer.toolCalls ?? []).map((call) => this.plan(dialect, body, call, tools));
    request.calls = calls.map(({ id, name }) => ({ id, name }));
    const reply = { text: answer.text ?? "", calls, chunkDelayMs: answer.chunkDelayMs ?? 0 };
    const problem = (message: string) => this.errors.push(`${api}: ${message}`);
    await dialect.answer(res, { url, pathname, body, problem }, reply);
  }

  private notify(request: RecordedRequest): void {
    for (const waiter of this.waiters.filter((w) => w.match(request))) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(request);
    }
  }

  /**
   * The call as it will be sent, with its id. A scripted call to a tool the request does not
   * offer is a test bug: it is recorded in `errors` (and sent anyway, for the CLI to refuse).
   */
  private plan(dialect: Dialect, body: unknown, call: ToolCall, tools: string[]): PlannedCall {
    const kind = dialect.toolKind(body, call.name);
    // A namespaced tool (Codex's MCP tools) is offered in a tool search's output, not `tools`.
    const offered =
      tools.includes(call.name) ||
      (call.namespace !== undefined && JSON.stringify(body).includes(call.namespace));
    if (!offered) {
      this.errors.push(`scripted tool ${call.name} is not offered (offered: ${tools.join(", ")})`);
    }
    const unique = `${randomUUID().replaceAll("-", "").slice(0, 16)}${++this.ids}`;
    return { ...call, id: dialect.callId(unique), kind: kind ?? "function" };
  }
}

/**
 * The tool results a request carries (the whole conversation it sends, so results of earlier
 * turns too), whichever API it speaks.
 */
export function toolResults(request: RecordedRequest): ToolResult[] {
  return request.api === "other" ? [] : DIALECTS[request.api].toolResults(request.body);
}

function apiOf(method: string, pathname: string): Api | "other" {
  if (method !== "POST") return "other";
  for (const [api, dialect] of Object.entries(DIALECTS) as [Api, Dialect][]) {
    if (dialect.path.test(pathname)) return api;
  }
  return "other";
}

/** `HEAD /` (Claude Code's connectivity check), `GET /v1/models` and anything else. */
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

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}
