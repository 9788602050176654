import { z } from "zod";
import { PlanSchema } from "./schema.js";

/** JSON Schema (draft 2020-12) for streams.yaml, generated from the schema that validates it. */
export function streamsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PlanSchema, { target: "draft-2020-12", io: "input" }) as Record<
    string,
    unknown
  >;
}

/** The contents of streams.schema.json: pretty JSON with a trailing newline. */
export function renderStreamsJsonSchema(): string {
  return `${JSON.stringify(streamsJsonSchema(), null, 2)}\n`;
}
