/**
 * The public names a diff adds, removes or changes: TS/JS `export` declarations and Python
 * top-level `def`/`class`. Used to fill a handoff's new interfaces and breaking changes.
 */

export interface ExportChanges {
  /** `path: signature line` of names that are new. */
  added: string[];
  /** `path: name removed (was: line)` and `path: name changed: old -> new`. */
  breaking: string[];
}

const JS_FILE = /\.(?:[cm]?[jt]sx?)$/;
const PY_FILE = /\.py$/;
const JS_DECL =
  /^export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/;
const JS_LIST = /^export\s+(?:type\s+)?\{([^}]*)\}/;
const PY_DECL = /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/;

/** The exported names a source line declares (none for most lines). */
export function declaredNames(file: string, line: string): string[] {
  if (JS_FILE.test(file)) {
    const decl = JS_DECL.exec(line);
    if (decl?.[1]) return [decl[1]];
    const list = JS_LIST.exec(line);
    if (list?.[1]) {
      return list[1]
        .split(",")
        .map(
          (part) =>
            part
              .trim()
              .split(/\s+as\s+/)
              .pop()
              ?.replace(/^type\s+/, "")
              .trim() ?? "",
        )
        .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
    }
    return [];
  }
  if (PY_FILE.test(file)) {
    const decl = PY_DECL.exec(line);
    return decl?.[1] && !decl[1].startsWith("_") ? [decl[1]] : [];
  }
  return [];
}

/** Reads a `git diff -U0` text: for each exported name, the line that added or removed it. */
export function exportChanges(diff: string): ExportChanges {
  const added = new Map<string, string>();
  const removed = new Map<string, string>();
  let file = "";
  let oldFile = "";
  for (const raw of diff.split("\n")) {
    if (raw.startsWith("--- ")) {
      oldFile = raw.slice(4).replace(/^a\//, "");
      continue;
    }
    if (raw.startsWith("+++ ")) {
      file = raw.slice(4) === "/dev/null" ? oldFile : raw.slice(4).replace(/^b\//, "");
      continue;
    }
    const sign = raw[0];
    if (sign !== "+" && sign !== "-") continue;
    const line = raw.slice(1).trimEnd();
    const where = sign === "-" && oldFile !== "/dev/null" ? oldFile : file;
    for (const name of declaredNames(where, line)) {
      (sign === "+" ? added : removed).set(`${where}: ${name}`, line.trim());
    }
  }
  const result: ExportChanges = { added: [], breaking: [] };
  for (const [key, line] of added) {
    const before = removed.get(key);
    if (before === undefined) result.added.push(`${key.split(": ")[0]}: ${line}`);
    else if (before !== line) result.breaking.push(`${key} changed: ${before} -> ${line}`);
  }
  for (const [key, line] of removed) {
    if (!added.has(key)) result.breaking.push(`${key} removed (was: ${line})`);
  }
  return result;
}
