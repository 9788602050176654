/**
 * Reading the JSON text of a state file: whole (with a nesting limit, so that a hostile or broken
 * file is an error and not a stack overflow), or tolerantly, from what an interrupted in-place
 * rewrite left (a prefix of valid JSON), keeping every entry that was written completely.
 *
 * Objects come back without a prototype, so that a key such as `__proto__` (a file path, a
 * stream id written by another tool) is a key like any other and not Object.prototype.
 */

/** Deeper than any state file Tower or the protocol writes (they nest four or five levels). */
export const MAX_JSON_DEPTH = 256;

export class JsonDepthError extends Error {
  override name = "JsonDepthError";
  constructor() {
    super(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** Where the first container deeper than MAX_JSON_DEPTH opens, or -1. Skips strings. */
function tooDeepAt(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A copy of a parsed object without a prototype (its own `__proto__` key stays a key). */
function withoutPrototype(value: Record<string, unknown>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) out[key] = value[key];
  return out;
}

/** JSON.parse with the nesting limit and prototype-free objects. Throws SyntaxError or JsonDepthError. */
export function parseJsonText(text: string): unknown {
  if (tooDeepAt(text) !== -1) throw new JsonDepthError();
  return JSON.parse(text, (_key, value: unknown) =>
    isPlainObject(value) ? withoutPrototype(value) : value,
  );
}

/** An empty map without a prototype, for values built in code that are written to state files. */
export const emptyMap = <V = never>(): Record<string, V> =>
  Object.create(null) as Record<string, V>;

/**
 * What remains of an interrupted rewrite. `value` holds every member and element that was
 * written completely; containers that were cut are in `incomplete` (still attached to their
 * parent, so that their complete children can be used).
 */
export interface JsonPrefix {
  /** Undefined when not even the top-level container had begun. */
  value: unknown;
  incomplete: WeakSet<object>;
  /** True when the text ended inside the value (a truncation); false when it is whole or broke off at a syntax error. */
  truncated: boolean;
}

type Frame =
  | { kind: "object"; value: Record<string, unknown>; key: string; state: ObjectState }
  | { kind: "array"; value: unknown[]; state: "value" | "comma" };
type ObjectState = "key" | "colon" | "value" | "comma";

/** A scalar read whole, or why not: the text ended inside it, or it is not valid JSON. */
type Scalar = { value: unknown; end: number } | "cut" | "invalid";

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{0,4}$/;

function readString(text: string, start: number): Scalar {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return { value: JSON.parse(text.slice(start, i + 1)), end: i + 1 };
    if (c < 0x20) return "invalid";
    if (c !== 0x5c) continue;
    const escaped = text[i + 1];
    if (escaped === undefined) return "cut";
    if (escaped === "u") {
      const hex = text.slice(i + 2, i + 6);
      if (!HEX4.test(hex)) return "invalid";
      if (hex.length < 4) return "cut";
      i += 5;
    } else if ('"\\/bfnrt'.includes(escaped)) i++;
    else return "invalid";
  }
  return "cut";
}

/** A string, number, true, false or null at `i`. A number at the very end might have had more digits. */
function readScalar(text: string, i: number): Scalar {
  if (text[i] === '"') return readString(text, i);
  for (const [word, value] of [
    ["true", true],
    ["false", false],
    ["null", null],
  ] as const) {
    if (text.startsWith(word, i)) return { value, end: i + word.length };
    if (text.length - i < word.length && word.startsWith(text.slice(i))) return "cut";
  }
  NUMBER.lastIndex = i;
  const number = NUMBER.exec(text);
  const end = number ? NUMBER.lastIndex : i;
  // Whole only when something that ends a number follows it: `1` might have been `1.5`.
  if (end >= text.length || /^[-+.eE]$/.test(text[end] ?? "")) {
    return /^-?[\d.eE+-]*$/.test(text.slice(i)) ? "cut" : "invalid";
  }
  if (!number || !/[\s,\]}]/.test(text[end] ?? "")) return "invalid";
  return { value: Number(number[0]), end };
}

const isSpace = (c: string | undefined) => c === " " || c === "\n" || c === "\r" || c === "\t";

/**
 * Reads as much of `text` as is valid JSON, iteratively (no recursion, so any depth up to the
 * limit). A scalar is kept only when it is whole; a container is kept with the members and
 * elements read whole, and marked incomplete unless its closing bracket was read.
 */
export function readJsonPrefix(text: string): JsonPrefix {
  const incomplete = new WeakSet<object>();
  const stack: Frame[] = [];
  let root: unknown;
  let i = 0;
  const stop = (truncated: boolean): JsonPrefix => {
    for (const frame of stack) incomplete.add(frame.value);
    return { value: root, incomplete, truncated };
  };
  /** Puts a whole scalar or a container just opened in its place. */
  const place = (value: unknown) => {
    const top = stack[stack.length - 1];
    if (!top) root = value;
    else if (top.kind === "array") top.value.push(value);
    else top.value[top.key] = value;
    if (top) top.state = "comma";
  };

  for (;;) {
    while (isSpace(text[i])) i++;
    if (i >= text.length) return stop(stack.length > 0 || root === undefined);
    const top = stack[stack.length - 1];
    const c = text[i] as string;
    if (!top && root !== undefined) return stop(false); // text after the whole value
    if (top?.kind === "object" && top.state === "key") {
      if (c === "}" && Object.keys(top.value).length === 0) {
        i++;
        stack.pop();
        continue;
      }
      if (c !== '"') return stop(false);
      const key = readString(text, i);
      if (typeof key !== "object") return stop(key === "cut");
      top.key = key.value as string;
      top.state = "colon";
      i = key.end;
      continue;
    }
    if (top?.kind === "object" && top.state === "colon") {
      if (c !== ":") return stop(false);
      top.state = "value";
      i++;
      continue;
    }
    if (top?.state === "comma") {
      if (c === ",") top.state = top.kind === "object" ? "key" : "value";
      else if (c === (top.kind === "object" ? "}" : "]")) stack.pop();
      else return stop(false);
      i++;
      continue;
    }
    if (top?.kind === "array" && c === "]" && top.value.length === 0) {
      stack.pop();
      i++;
      continue;
    }
    if (c === "{" || c === "[") {
      if (stack.length >= MAX_JSON_DEPTH) throw new JsonDepthError();
      if (c === "{") {
        const value = Object.create(null) as Record<string, unknown>;
        place(value);
        stack.push({ kind: "object", value, key: "", state: "key" });
      } else {
        const value: unknown[] = [];
        place(value);
        stack.push({ kind: "array", value, state: "value" });
      }
      i++;
      continue;
    }
    const scalar = readScalar(text, i);
    if (typeof scalar !== "object") return stop(scalar === "cut");
    place(scalar.value);
    i = scalar.end;
  }
}

/**
 * How deep maps are merged key by key: the top level of a state file and the maps of entries in
 * it (`locks`, `streams`, `checkpoints`, `agents`). Below that an entry is taken whole, from one
 * side only: mixing the fields of two versions of a lock could pair one writer's `expires` with
 * another's `utc_offset`.
 */
const MAP_LEVELS = 2;

/**
 * Merges what an interrupted rewrite left with the last good copy, so that nothing either of
 * them holds is lost: every entry the damaged file holds whole wins over the copy's entry of the
 * same key (it is newer); every entry of the copy that the damaged file lacks is kept (it was
 * cut off, or removed by a rewrite that never completed, which therefore never happened); a cut
 * list keeps its complete elements followed by the copy's elements past them (the shared files'
 * lists only grow at the end).
 */
export function mergeRecovered(prefix: JsonPrefix, backup: unknown): unknown {
  return merge(prefix.value, backup, prefix.incomplete, 0);
}

const isWhole = (value: unknown, incomplete: WeakSet<object>) =>
  typeof value !== "object" || value === null || !incomplete.has(value);

function merge(
  partial: unknown,
  backup: unknown,
  incomplete: WeakSet<object>,
  level: number,
): unknown {
  if (partial === undefined) return backup;
  if (level >= MAP_LEVELS) return isWhole(partial, incomplete) ? partial : backup;
  if (Array.isArray(partial)) {
    if (isWhole(partial, incomplete)) return partial;
    const complete = partial.filter((item) => isWhole(item, incomplete));
    return Array.isArray(backup) ? [...complete, ...backup.slice(complete.length)] : complete;
  }
  if (!isPlainObject(partial)) return partial;
  const good = isPlainObject(backup) ? backup : emptyMap<unknown>();
  const out = emptyMap<unknown>();
  for (const key of Object.keys(partial)) {
    const value = merge(partial[key], good[key], incomplete, level + 1);
    if (value !== undefined) out[key] = value;
  }
  for (const key of Object.keys(good)) if (!Object.hasOwn(out, key)) out[key] = good[key];
  return out;
}
