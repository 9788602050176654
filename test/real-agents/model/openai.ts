/**
 * The OpenAI Responses API as Codex calls it: `POST /v1/responses`, always SSE. The events are
 * those codex-rs reads (`codex-api/src/sse/responses.rs`): response.created,
 * response.output_item.added/done, response.output_text.delta, and response.completed (with
 * `id` and `usage`, without which Codex fails the turn). Tool calls are `function_call` items,
 * `custom_tool_call` for a freeform tool (`apply_patch`), `tool_search_call` for Codex's
 * client-side tool search; results come back as `*_output` items in `input`.
 */
import { randomUUID } from "node:crypto";
import {
  arr,
  chunks,
  contentText,
  type Dialect,
  field,
  fromSchema,
  type PlannedCall,
  startSse,
  str,
} from "./wire.js";

/**
 * The tool declarations of a request: `tools`, and the tools of `additional_tools` input items
 * (Codex sends its tools that way for the newest models), with namespaces flattened (their
 * tools are called by their own names).
 */
function declaredTools(body: unknown): unknown[] {
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

/** A built-in tool without a name (`tool_search`, `web_search`) goes by its type. */
function toolName(tool: unknown): string {
  return str(field(tool, "name")) ?? str(field(tool, "type")) ?? "";
}

/** Structured output requested with `text.format` (Codex's title request). */
function jsonFormat(body: unknown): unknown {
  const format = field(field(body, "text"), "format");
  return field(format, "type") === "json_schema" ? format : undefined;
}

/** The output item for a scripted call. */
function callItem(call: PlannedCall): Record<string, unknown> {
  const raw = typeof call.input === "string" ? call.input : JSON.stringify(call.input);
  const common = { status: "completed", call_id: call.id };
  switch (call.kind) {
    case "tool_search":
      return {
        type: "tool_search_call",
        id: `tsc_${call.id}`,
        ...common,
        execution: "client",
        arguments: call.input,
      };
    case "custom":
      return {
        type: "custom_tool_call",
        id: `ctc_${call.id}`,
        ...common,
        name: call.name,
        input: raw,
      };
    default:
      return {
        type: "function_call",
        id: `fc_${call.id}`,
        ...common,
        name: call.name,
        ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
        arguments: raw,
      };
  }
}

export const openai: Dialect = {
  path: /^\/(v1\/)?responses$/,
  countTokens: () => undefined,
  toolNames: (body) =>
    declaredTools(body)
      .map(toolName)
      .filter((name) => name !== ""),
  toolKind(body, name) {
    const tool = declaredTools(body).find((t) => toolName(t) === name);
    if (tool === undefined) return undefined;
    const type = field(tool, "type");
    return type === "custom" ? "custom" : type === "tool_search" ? "tool_search" : "function";
  },
  asksForJson: (body) => jsonFormat(body) !== undefined,
  sideAnswer(body) {
    const format = jsonFormat(body);
    return format === undefined ? "OK" : JSON.stringify(fromSchema(field(format, "schema")));
  },
  callId: (unique) => `call_${unique}`,

  async answer(res, _request, reply) {
    const id = `resp_${randomUUID().replaceAll("-", "")}`;
    const sse = startSse(res, reply.chunkDelayMs);
    const event = (type: string, data: Record<string, unknown>) =>
      sse.event(type, { type, ...data });
    await event("response.created", {
      response: { id, object: "response", status: "in_progress" },
    });
    let index = 0;
    if (reply.text !== "") {
      const itemId = `msg_${randomUUID().replaceAll("-", "")}`;
      const item = { type: "message", id: itemId, role: "assistant", content: [] as unknown[] };
      await event("response.output_item.added", { output_index: index, item });
      for (const piece of chunks(reply.text)) {
        await event("response.output_text.delta", {
          item_id: itemId,
          output_index: index,
          content_index: 0,
          delta: piece,
        });
      }
      const content = [{ type: "output_text", text: reply.text, annotations: [] }];
      await event("response.output_item.done", {
        output_index: index++,
        item: { ...item, content },
      });
    }
    for (const call of reply.calls) {
      await event("response.output_item.done", { output_index: index++, item: callItem(call) });
    }
    await event("response.completed", {
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
  },

  // function_call_output, custom_tool_call_output, tool_search_output (whose `tools` are the
  // result).
  toolResults: (body) =>
    arr(field(body, "input"))
      .filter((item) => /_(call_)?output$/.test(str(field(item, "type")) ?? ""))
      .map((item) => ({
        id: str(field(item, "call_id")) ?? "",
        content: contentText(field(item, "output") ?? field(item, "tools")),
        isError: false,
      })),
};
