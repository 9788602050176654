import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderStreamsJsonSchema, streamsJsonSchema } from "../../src/engine/plan/index.js";

const root = (name: string) => fileURLToPath(new URL(`../../${name}`, import.meta.url));

type Schema = Record<string, unknown>;

/**
 * Checks `value` against the subset of JSON Schema that the generated schema uses, returning
 * the paths that fail. Enough to tell that the schema accepts what it should and rejects the rest.
 */
function violations(schema: Schema, value: unknown, path = "$"): string[] {
  const fail = (why: string) => [`${path}: ${why}`];
  const isMap = typeof value === "object" && value !== null && !Array.isArray(value);
  const types: Record<string, boolean> = {
    object: isMap,
    array: Array.isArray(value),
    string: typeof value === "string",
    number: typeof value === "number",
    boolean: typeof value === "boolean",
  };
  if (typeof schema["type"] === "string" && !types[schema["type"]])
    return fail(`not ${schema["type"]}`);
  if ("const" in schema && value !== schema["const"]) return fail("wrong const");
  if (Array.isArray(schema["enum"]) && !schema["enum"].includes(value)) return fail("not in enum");
  if (typeof value === "string") {
    if (typeof schema["pattern"] === "string" && !new RegExp(schema["pattern"]).test(value))
      return fail("pattern");
    if (typeof schema["minLength"] === "number" && value.length < schema["minLength"])
      return fail("too short");
  }
  const errors: string[] = [];
  if (Array.isArray(schema["anyOf"])) {
    const options = schema["anyOf"] as Schema[];
    if (options.every((option) => violations(option, value, path).length > 0))
      errors.push(...fail("no anyOf"));
  }
  if (schema["not"] && violations(schema["not"] as Schema, value, path).length === 0)
    errors.push(...fail("not"));
  if (Array.isArray(value)) {
    if (typeof schema["minItems"] === "number" && value.length < schema["minItems"])
      errors.push(...fail("too few"));
    const items = schema["items"] as Schema | undefined;
    if (items) {
      for (const [i, item] of value.entries())
        errors.push(...violations(items, item, `${path}[${i}]`));
    }
  }
  if (isMap) {
    const map = value as Record<string, unknown>;
    const properties = (schema["properties"] ?? {}) as Record<string, Schema>;
    for (const key of (schema["required"] ?? []) as string[])
      if (!(key in map)) errors.push(...fail(`missing ${key}`));
    for (const [key, item] of Object.entries(map)) {
      if (schema["propertyNames"])
        errors.push(...violations(schema["propertyNames"] as Schema, key, `${path}{${key}}`));
      const sub = properties[key] ?? schema["additionalProperties"];
      if (sub === false) errors.push(...fail(`unknown key ${key}`));
      else if (sub && sub !== true)
        errors.push(...violations(sub as Schema, item, `${path}.${key}`));
    }
  }
  return errors;
}

describe("streams.schema.json", () => {
  it("is up to date with the zod schema", () => {
    const committed = readFileSync(root("streams.schema.json"), "utf8");
    expect(committed, "streams.schema.json is stale: run `npx tsx scripts/gen-schema.ts`").toBe(
      renderStreamsJsonSchema(),
    );
  });

  it("is a draft 2020-12 schema that editors can use", () => {
    const schema = streamsJsonSchema();
    expect(schema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      additionalProperties: false,
      required: ["version", "streams"],
      title: expect.any(String),
      description: expect.any(String),
    });
    expect(schema["properties"]).toHaveProperty("streams");
  });

  const schema = streamsJsonSchema();
  const example = parse(readFileSync(root("streams.yaml"), "utf8")) as Record<string, unknown>;

  it("accepts the example streams.yaml", () => {
    expect(violations(schema, example)).toEqual([]);
  });

  it("rejects what parsePlan rejects for its shape", () => {
    const streams = example["streams"] as Record<string, Record<string, unknown>>;
    expect(violations(schema, { ...example, bsae: "main" })).toEqual(["$: unknown key bsae"]);
    expect(violations(schema, { ...example, version: 2 })).toEqual(["$.version: wrong const"]);
    expect(violations(schema, { ...example, lock_ttl: "0m" })).toEqual(["$.lock_ttl: pattern"]);
    expect(
      violations(schema, { ...example, streams: { ...streams, "bad id": streams["A"] } }),
    ).toEqual(["$.streams{bad id}: pattern"]);
    expect(
      violations(schema, { ...example, checkpoints: { x: { approval: "human", run: "make" } } }),
    ).toEqual(["$.checkpoints.x: not"]);
    expect(
      violations(schema, {
        ...example,
        checkpoints: { x: { run: "make", criteria: [{ name: "t", run: "x" }] } },
      }),
    ).toEqual(["$.checkpoints.x: not"]);
    expect(
      violations(schema, {
        ...example,
        streams: { A: { ...streams["A"], tasks: [{ id: "t", title: "T", priority: "P9" }] } },
      }),
    ).toEqual(["$.streams.A.tasks[0].priority: not in enum"]);
    expect(
      violations(schema, { ...example, streams: { A: { ...streams["A"], agents: [] } } }),
    ).toEqual(["$.streams.A.agents: too few"]);
  });
});
