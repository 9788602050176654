/**
 * Import: a stream's new code imports a module that another active stream changed. Only the
 * lines a stream added (its diff) and its untracked files are parsed, with regular expressions,
 * and modules are resolved without touching the disk: a module is the set of files it could be,
 * and it counts as changed when another stream changed any of them.
 */
import path from "node:path";
import { agentsOf, type ConflictWarning, listFiles, type StreamChanges } from "./types.js";

const JS_EXTENSIONS = [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs"];
const JS_SOURCES = new Set([...JS_EXTENSIONS, ".mts", ".cts"]);
/** A `.js` written in an import may name a TypeScript file. */
const TS_FOR_JS: Record<string, string[]> = {
  ".js": [".ts", ".tsx"],
  ".jsx": [".tsx"],
  ".mjs": [".mts"],
  ".cjs": [".cts"],
};

const extensionOf = (file: string): string => path.posix.extname(file).toLowerCase();
const isJs = (file: string): boolean => JS_SOURCES.has(extensionOf(file));
const isPython = (file: string): boolean => extensionOf(file) === ".py";

/** Files whose imports the scanner parses. */
export const isImportSource = (file: string): boolean => isJs(file) || isPython(file);

const JS_PATTERNS = [
  /\bfrom\s*(["'])([^"'\n]+)\1/g,
  /\bimport\s*(["'])([^"'\n]+)\1/g,
  /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g,
  /\brequire\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g,
];

/** Module specifiers of `import ... from "x"`, `export ... from "x"`, `import("x")`, `require("x")`. */
export function extractJsSpecifiers(lines: readonly string[]): string[] {
  const text = lines.join("\n");
  const found = new Set<string>();
  for (const pattern of JS_PATTERNS) {
    for (const match of text.matchAll(pattern)) if (match[2]) found.add(match[2]);
  }
  return [...found];
}

/** Inside the repository, or undefined for a path that leaves it. */
function inRepo(file: string): string | undefined {
  const normal = path.posix.normalize(file);
  if (normal === "." || normal.startsWith("../") || normal === ".." || normal.startsWith("/"))
    return undefined;
  return normal.replace(/\/$/, "");
}

/**
 * The files a relative specifier may name, from the importing file: the path as written, with
 * each extension, as a folder's `index.*`, and `.ts`/`.tsx` for a `.js` (TypeScript's ESM style).
 * Bare specifiers (packages) name no file of the repository.
 */
export function resolveJsImport(importer: string, specifier: string): string[] {
  const clean = specifier.replace(/[?#].*$/, "");
  if (!clean.startsWith("./") && !clean.startsWith("../") && clean !== "." && clean !== "..")
    return [];
  const target = inRepo(path.posix.join(path.posix.dirname(importer), clean));
  if (target === undefined) return [];
  const candidates = [target];
  for (const ext of JS_EXTENSIONS) candidates.push(`${target}${ext}`);
  for (const ext of JS_EXTENSIONS) candidates.push(`${target}/index${ext}`);
  const ext = extensionOf(target);
  for (const ts of TS_FOR_JS[ext] ?? []) candidates.push(`${target.slice(0, -ext.length)}${ts}`);
  return [...new Set(candidates)];
}

export interface PythonImport {
  /** Dotted module, with its leading dots for a relative import (`..pkg.mod`, `.`). */
  module: string;
  /** Names after `from m import`; empty for `import m`. */
  names: string[];
}

const PY_FROM = /^\s*from\s+(\.+[\w.]*|[\w.]+)\s+import\s+(.*)$/;
const PY_IMPORT = /^\s*import\s+(.+)$/;
const stripComment = (line: string): string => line.replace(/#.*$/, "");
const splitNames = (text: string): string[] =>
  text
    .replace(/[()\\]/g, " ")
    .split(",")
    .map(
      (part) =>
        part
          .trim()
          .split(/\s+as\s+/)[0]
          ?.trim() ?? "",
    )
    .filter((name) => /^[A-Za-z_][\w.]*$/.test(name));

/** `import a.b, c as d` and `from .x import (y, z)` statements (continued lines included). */
export function extractPythonImports(lines: readonly string[]): PythonImport[] {
  const imports: PythonImport[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i] ?? "");
    const from = PY_FROM.exec(line);
    if (from) {
      let names = from[2] ?? "";
      const open = () => names.includes("(") && !names.includes(")");
      const continued = () => names.trimEnd().endsWith("\\");
      while ((open() || continued()) && i + 1 < lines.length) {
        i++;
        names += ` ${stripComment(lines[i] ?? "")}`;
      }
      imports.push({ module: from[1] ?? "", names: splitNames(names) });
      continue;
    }
    const plain = PY_IMPORT.exec(line);
    if (plain) {
      for (const module of splitNames(plain[1] ?? "")) imports.push({ module, names: [] });
    }
  }
  return imports;
}

const pyModuleFiles = (base: string): string[] => [`${base}.py`, `${base}/__init__.py`];
const parentOf = (dir: string): string => {
  const parent = path.posix.dirname(dir);
  return parent === "." ? "" : parent;
};
const joinPath = (...parts: string[]): string => parts.filter(Boolean).join("/");

/**
 * The files a Python import may name: `a.b` is `a/b.py` or `a/b/__init__.py`, looked up from the
 * repository root and from the importing file's package (its folder); a relative import counts
 * its dots up from that folder. Each name of `from m import n` may be a submodule `m/n.py`.
 */
export function resolvePythonImport(importer: string, imp: PythonImport): string[] {
  const dots = /^\.*/.exec(imp.module)?.[0].length ?? 0;
  const dotted = imp.module.slice(dots).replace(/\.+$/, "");
  const rel = dotted === "" ? "" : dotted.split(".").join("/");
  const pkg = parentOf(importer);
  const roots: string[] = [];
  if (dots > 0) {
    let dir = pkg;
    for (let level = 1; level < dots; level++) {
      if (dir === "") return [];
      dir = parentOf(dir);
    }
    roots.push(dir);
  } else {
    roots.push("");
    if (pkg !== "") roots.push(pkg);
  }
  const candidates: string[] = [];
  for (const root of roots) {
    const base = joinPath(root, rel);
    if (rel !== "") candidates.push(...pyModuleFiles(base));
    else candidates.push(joinPath(root, "__init__.py"));
    for (const name of imp.names)
      candidates.push(...pyModuleFiles(joinPath(base, name.split(".").join("/"))));
  }
  return [...new Set(candidates)];
}

/** Every (module candidate files) pair imported by the given lines of `file`. */
export function importedModules(file: string, lines: readonly string[]): string[][] {
  if (isJs(file)) {
    return extractJsSpecifiers(lines)
      .map((spec) => resolveJsImport(file, spec))
      .filter((c) => c.length > 0);
  }
  if (isPython(file)) {
    return extractPythonImports(lines)
      .map((imp) => resolvePythonImport(file, imp))
      .filter((c) => c.length > 0);
  }
  return [];
}

export function importWarnings(
  all: readonly StreamChanges[],
  agents: ReadonlyMap<string, string[]>,
): ConflictWarning[] {
  // (importer stream, changing stream, module file) -> importing files
  const found = new Map<string, { from: string; to: string; module: string; by: Set<string> }>();
  for (const changes of all) {
    const others = all.filter((o) => o !== changes);
    if (others.length === 0) continue;
    for (const [file, lines] of changes.added) {
      for (const candidates of importedModules(file, lines)) {
        for (const other of others) {
          const module = candidates.find((c) => other.files.has(c));
          if (module === undefined || module === file) continue;
          const key = `${changes.stream.id}\0${other.stream.id}\0${module}`;
          const entry = found.get(key) ?? {
            from: changes.stream.id,
            to: other.stream.id,
            module,
            by: new Set<string>(),
          };
          entry.by.add(file);
          found.set(key, entry);
        }
      }
    }
  }
  return [...found.values()].map(({ from, to, module, by }) => {
    const streams = [from, to];
    const importers = [...by].sort();
    return {
      kind: "import" as const,
      streams,
      agents: agentsOf(streams, agents),
      files: [module],
      severity: "low" as const,
      message: `Stream ${from} imports ${module} (in ${listFiles(importers)}), which stream ${to} changed.`,
    };
  });
}
