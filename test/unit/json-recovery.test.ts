import { describe, expect, it } from "vitest";
import {
  JsonDepthError,
  MAX_JSON_DEPTH,
  mergeRecovered,
  parseJsonText,
  readJsonPrefix,
} from "../../src/engine/state/json-text.js";

const entry = (agent: string) => ({
  agent,
  stream: "A",
  acquired: "2030-01-01T00:00:00.000000",
  expires: "2030-01-01T01:00:00.000000",
  task: "x",
});

/** What a reader keeps from every prefix of `text`, as plain JSON. */
const keptFrom = (text: string, backup: unknown): unknown => {
  const merged = mergeRecovered(readJsonPrefix(text), backup);
  return merged === undefined ? undefined : JSON.parse(JSON.stringify(merged));
};

describe("reading what an interrupted rewrite left", () => {
  const full = {
    locks: { "a.py": entry("A1"), "b.py": entry("B1"), "c.py": entry("C1") },
    version: 1,
  };
  const text = JSON.stringify(full, null, 2);

  it("keeps every entry written completely, at every cut, and nothing cut in half", () => {
    for (let cut = 0; cut <= text.length; cut++) {
      const kept = keptFrom(text.slice(0, cut), undefined) as
        | { locks?: Record<string, unknown> }
        | undefined;
      for (const [key, value] of Object.entries(kept?.locks ?? {})) {
        expect(value, `cut at ${cut}`).toEqual(full.locks[key as keyof typeof full.locks]);
        // A key is kept only once its entry's closing brace was written.
        expect(text.slice(0, cut).includes(`"${key}": {`), `cut at ${cut}`).toBe(true);
      }
      const closed = [...text.slice(0, cut).matchAll(/\n {4}\}/g)].length;
      expect(Object.keys(kept?.locks ?? {}).length, `cut at ${cut}`).toBe(Math.min(closed, 3));
    }
    expect(readJsonPrefix(text.slice(0, 100)).truncated).toBe(true);
    expect(readJsonPrefix(text).truncated).toBe(false);
  });

  it("merged with the last good copy: nothing either holds is lost, the damaged file's entries win", () => {
    const backup = { locks: { "a.py": entry("OLD"), "z.py": entry("Z1") }, version: 1 };
    for (let cut = 0; cut <= text.length; cut++) {
      const merged = keptFrom(text.slice(0, cut), backup) as {
        locks: Record<string, { agent: string }>;
        version: number;
      };
      expect(merged.version, `cut at ${cut}`).toBe(1);
      expect(Object.keys(merged.locks), `cut at ${cut}`).toEqual(
        expect.arrayContaining(["a.py", "z.py"]),
      );
      const aWhole = text.slice(0, cut).includes('"a.py": {') && merged.locks["b.py"] !== undefined;
      if (aWhole) expect(merged.locks["a.py"]?.agent).toBe("A1");
    }
  });

  it("keeps a cut list's complete elements, then the copy's elements past them", () => {
    const handoffs = { handoffs: [{ n: 1 }, { n: 2 }, { n: 3 }] };
    const written = JSON.stringify(handoffs);
    const cut = written.indexOf('{"n":3') + 3;
    expect(keptFrom(written.slice(0, cut), { handoffs: [{ n: 1 }, { n: 2 }] })).toEqual({
      handoffs: [{ n: 1 }, { n: 2 }],
    });
    expect(keptFrom(written.slice(0, written.indexOf('{"n":2')), handoffs)).toEqual(handoffs);
  });

  it("stops at a syntax error, keeping what came before it, and never takes a half scalar", () => {
    const broken = readJsonPrefix('{"locks": {"a": {"agent": "A1"}}, "version": 1}}junk');
    expect(broken.truncated).toBe(false);
    expect(JSON.parse(JSON.stringify(broken.value))).toEqual({
      locks: { a: { agent: "A1" } },
      version: 1,
    });
    expect(readJsonPrefix("}{ not json").value).toBeUndefined();
    for (const [cut, kept] of [
      ['{"v": 12', {}],
      ['{"v": 12,', { v: 12 }],
      ['{"v": tr', {}],
      ['{"v": "ab\\', {}],
      ['{"v": "ab\\u00', {}],
      ['{"v": 1.', {}],
    ] as const) {
      const read = readJsonPrefix(cut);
      expect(JSON.parse(JSON.stringify(read.value)), cut).toEqual(kept);
      expect(read.truncated, cut).toBe(true);
    }
  });

  it("reads __proto__ as a key like any other", () => {
    const text = '{"locks": {"__proto__": {"agent": "A1"}, "b": {"agent": "B1"}}}';
    const parsed = parseJsonText(text) as { locks: Record<string, unknown> };
    expect(Object.keys(parsed.locks)).toEqual(["__proto__", "b"]);
    expect(Object.getPrototypeOf(parsed.locks)).toBeNull();
    const cut = readJsonPrefix(text.slice(0, text.indexOf('"b"')));
    const merged = mergeRecovered(cut, { locks: { c: { agent: "C1" } } }) as {
      locks: Record<string, unknown>;
    };
    expect(Object.keys(merged.locks)).toEqual(["__proto__", "c"]);
  });
});

describe("nesting", () => {
  const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

  it("refuses JSON nested deeper than the limit, whole or cut, without a stack overflow", () => {
    expect(() => parseJsonText(deep(100_000))).toThrow(JsonDepthError);
    expect(() => readJsonPrefix(deep(100_000).slice(0, 150_000))).toThrow(JsonDepthError);
    expect(() => parseJsonText(`{"a": "${"[".repeat(1000)}"}`)).not.toThrow();
    expect(parseJsonText(deep(MAX_JSON_DEPTH))).toBeDefined();
    expect(() => parseJsonText(deep(MAX_JSON_DEPTH + 1))).toThrow(
      `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });
});
