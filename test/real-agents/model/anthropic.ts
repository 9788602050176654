/**
 * The Anthropic Messages API as Claude Code calls it: `POST /v1/messages` (SSE when
 * `stream: true`, else JSON) and `/v1/messages/count_tokens`; tool calls are `tool_use` blocks,
 * results come back as `tool_result` blocks in user messages. The events are those of the
 * Messages streaming documentation: message_start, content_block_start/delta/stop (text_delta,
 * input_json_delta), message_delta (stop_reason), message_stop.
 */
import { randomUUID } from "node:crypto";
import {
  arr,
  chunks,
  contentText,
  type Dialect,
  field,
  fromSchema,
  sendJson,
  startSse,
  str,
} from "./wire.js";

/** Structured output requested with `output_config.format` (Claude Code's title request). */
function jsonFormat(body: unknown): unknown {
  const format = field(field(body, "output_config"), "format");
  return field(format, "type") === "json_schema" ? format : undefined;
}

export const anthropic: Dialect = {
  path: /^\/v1\/messages(\/count_tokens)?$/,
  countTokens: (pathname) =>
    pathname.endsWith("/count_tokens") ? { input_tokens: 10 } : undefined,
  toolNames: (body) =>
    arr(field(body, "tools"))
      .map((t) => str(field(t, "name")) ?? "")
      .filter((name) => name !== ""),
  toolKind: (body, name) =>
    arr(field(body, "tools")).some((t) => field(t, "name") === name) ? "function" : undefined,
  asksForJson: (body) => jsonFormat(body) !== undefined,
  sideAnswer(body) {
    const format = jsonFormat(body);
    return format === undefined ? "OK" : JSON.stringify(fromSchema(field(format, "schema")));
  },
  callId: (unique) => `toolu_${unique}`,

  async answer(res, request, reply) {
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
      model: str(field(request.body, "model")) ?? "claude-test",
      content: [] as unknown[],
      stop_reason: null as string | null,
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 1 },
    };
    if (field(request.body, "stream") !== true) {
      sendJson(res, {
        ...message,
        content: blocks,
        stop_reason: stopReason,
        usage: { input_tokens: 10, output_tokens: 10 },
      });
      return;
    }
    const sse = startSse(res, reply.chunkDelayMs);
    await sse.event("message_start", { type: "message_start", message });
    await sse.event("ping", { type: "ping" });
    for (const [index, block] of blocks.entries()) {
      const start = (content_block: unknown) =>
        sse.event("content_block_start", { type: "content_block_start", index, content_block });
      const delta = (d: unknown) =>
        sse.event("content_block_delta", { type: "content_block_delta", index, delta: d });
      if (block.type === "text") {
        await start({ type: "text", text: "" });
        for (const piece of chunks(String(block.text))) {
          await delta({ type: "text_delta", text: piece });
        }
      } else {
        await start({ type: "tool_use", id: block.id, name: block.name, input: {} });
        await delta({ type: "input_json_delta", partial_json: JSON.stringify(block.input) });
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
  },

  toolResults: (body) =>
    arr(field(body, "messages"))
      .filter((message) => field(message, "role") === "user")
      .flatMap((message) => arr(field(message, "content")))
      .filter((block) => field(block, "type") === "tool_result")
      .map((block) => ({
        id: str(field(block, "tool_use_id")) ?? "",
        content: contentText(field(block, "content")),
        isError: field(block, "is_error") === true,
      })),
};
