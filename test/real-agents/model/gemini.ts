/**
 * The Gemini API as Gemini CLI calls it (through @google/genai):
 * `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` (each event a
 * GenerateContentResponse as `data:`), `:generateContent` (JSON) and `:countTokens`. Tool calls
 * are `functionCall` parts, sent with the last chunk; results come back as `functionResponse`
 * parts (`response.output`, or `response.error`).
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
  type ToolResult,
} from "./wire.js";

/** The JSON schema a request asks the answer to fit (Gemini CLI's routing request). */
function jsonSchema(body: unknown): { schema: unknown } | undefined {
  const config = field(body, "generationConfig");
  const schema = field(config, "responseJsonSchema") ?? field(config, "responseSchema");
  if (schema === undefined && field(config, "responseMimeType") !== "application/json") {
    return undefined;
  }
  return { schema };
}

function declarations(body: unknown): unknown[] {
  return arr(field(body, "tools")).flatMap((t) => arr(field(t, "functionDeclarations")));
}

export const gemini: Dialect = {
  path: /^\/v1(beta|alpha)?\/models\/[^/]+:(streamGenerateContent|generateContent|countTokens)$/,
  countTokens: (pathname) => (pathname.endsWith(":countTokens") ? { totalTokens: 10 } : undefined),
  toolNames: (body) => declarations(body).map((d) => str(field(d, "name")) ?? ""),
  toolKind: (body, name) =>
    declarations(body).some((d) => field(d, "name") === name) ? "function" : undefined,
  asksForJson: (body) => jsonSchema(body) !== undefined,
  sideAnswer(body) {
    const asked = jsonSchema(body);
    return asked === undefined ? "OK" : JSON.stringify(fromSchema(asked.schema));
  },
  callId: (unique) => `call_${unique}`,

  async answer(res, request, reply) {
    const model = /\/models\/([^:/]+):/.exec(request.pathname)?.[1] ?? "gemini-test";
    const calls = reply.calls.map((call) => ({
      functionCall: { id: call.id, name: call.name, args: call.input },
    }));
    const response = (parts: unknown[], finished: boolean) => ({
      candidates: [
        {
          content: { role: "model", parts },
          index: 0,
          ...(finished ? { finishReason: "STOP" } : {}),
        },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 10, totalTokenCount: 20 },
      modelVersion: model,
      responseId: randomUUID(),
    });
    if (!request.pathname.endsWith(":streamGenerateContent")) {
      const parts = [...(reply.text === "" ? [] : [{ text: reply.text }]), ...calls];
      sendJson(res, response(parts.length > 0 ? parts : [{ text: "" }], true));
      return;
    }
    if (!request.url.includes("alt=sse")) request.problem(`stream without alt=sse: ${request.url}`);
    const sse = startSse(res, reply.chunkDelayMs);
    const pieces = reply.text === "" ? [] : chunks(reply.text);
    for (const [n, piece] of pieces.entries()) {
      const last = n === pieces.length - 1;
      await sse.data(response([{ text: piece }, ...(last ? calls : [])], last));
    }
    if (pieces.length === 0) {
      await sse.data(response(calls.length > 0 ? calls : [{ text: "" }], true));
    }
    res.end();
  },

  toolResults: (body) =>
    arr(field(body, "contents"))
      .flatMap((content) => arr(field(content, "parts")))
      .map((part) => field(part, "functionResponse"))
      .filter((fr) => fr !== undefined)
      .map((fr): ToolResult => {
        const response = field(fr, "response");
        return {
          id: str(field(fr, "id")) ?? str(field(fr, "name")) ?? "",
          name: str(field(fr, "name")),
          content: contentText(response),
          isError: field(response, "error") !== undefined,
        };
      }),
};
