/** The pure parts of the conflict scanner: line ranges, imports, scope, warnings from changes. */
import { describe, expect, it } from "vitest";
import {
  type ActiveStream,
  buildChanges,
  extractJsSpecifiers,
  extractPythonImports,
  hunksOverlap,
  importWarnings,
  overlapWarnings,
  rangesOverlap,
  resolveJsImport,
  resolvePythonImport,
  scopeMatcher,
  sortWarnings,
  warningKey,
} from "../../src/engine/conflicts/index.js";
import type { FileDiff, Hunk } from "../../src/engine/git/index.js";

const h = (oldStart: number, oldCount: number): Hunk => ({
  oldStart,
  oldCount,
  newStart: oldStart,
  newCount: 1,
});

describe("overlap of changed line ranges", () => {
  it("counts the same lines, and insertions at the same place or inside a replaced block", () => {
    expect(hunksOverlap(h(3, 1), h(3, 1))).toBe(true);
    expect(hunksOverlap(h(3, 3), h(5, 2))).toBe(true); // 3-5 and 5-6
    expect(hunksOverlap(h(3, 2), h(5, 1))).toBe(false); // 3-4 and 5: neighbours
    expect(hunksOverlap(h(4, 0), h(4, 0))).toBe(true); // both insert after line 4
    expect(hunksOverlap(h(4, 0), h(5, 0))).toBe(false);
    expect(hunksOverlap(h(4, 0), h(3, 3))).toBe(true); // insert between 4 and 5, inside 3-5
    expect(hunksOverlap(h(5, 0), h(3, 3))).toBe(false); // insert after 5: just past 3-5
    expect(hunksOverlap(h(2, 0), h(3, 3))).toBe(false); // insert before 3: just before it
    expect(hunksOverlap(h(0, 0), h(0, 0))).toBe(true); // two new files
  });

  it("compares whole lists, with undefined standing for the whole file", () => {
    expect(rangesOverlap([h(1, 1), h(10, 2), h(30, 1)], [h(5, 1), h(11, 1)])).toBe(true);
    expect(rangesOverlap([h(1, 1), h(30, 1)], [h(5, 1), h(11, 1), h(40, 0)])).toBe(false);
    expect(rangesOverlap(undefined, [h(1, 1)])).toBe(true);
    expect(rangesOverlap([], [h(1, 1)])).toBe(false);
  });
});

describe("JS/TS imports", () => {
  it("finds import, export-from, dynamic import and require specifiers", () => {
    const lines = [
      'import { a } from "./a.js";',
      "import type { B } from '../b';",
      'import "./side-effect";',
      "export * from './reexport.js';",
      "import {",
      "  c,",
      '} from "./multi";',
      'const d = await import("./lazy.js");',
      'const e = require("./cjs");',
      'import react from "react";',
    ];
    expect(extractJsSpecifiers(lines).sort()).toEqual(
      [
        "../b",
        "./a.js",
        "./cjs",
        "./lazy.js",
        "./multi",
        "./reexport.js",
        "./side-effect",
        "react",
      ].sort(),
    );
  });

  it("resolves relative specifiers to the files they may name", () => {
    expect(resolveJsImport("src/cli/main.ts", "../engine/x.js")).toEqual([
      "src/engine/x.js",
      "src/engine/x.js.ts",
      "src/engine/x.js.tsx",
      "src/engine/x.js.js",
      "src/engine/x.js.jsx",
      "src/engine/x.js.mjs",
      "src/engine/x.js.cjs",
      "src/engine/x.js/index.ts",
      "src/engine/x.js/index.tsx",
      "src/engine/x.js/index.js",
      "src/engine/x.js/index.jsx",
      "src/engine/x.js/index.mjs",
      "src/engine/x.js/index.cjs",
      "src/engine/x.ts",
      "src/engine/x.tsx",
    ]);
    const folder = resolveJsImport("a/b.ts", "./lib");
    expect(folder).toContain("a/lib.ts");
    expect(folder).toContain("a/lib/index.ts");
    expect(folder).toContain("a/lib/index.js");
    expect(resolveJsImport("main.ts", "./util?raw")).toContain("util.ts");
    expect(resolveJsImport("a.ts", "react")).toEqual([]);
    expect(resolveJsImport("a.ts", "../outside")).toEqual([]);
  });
});

describe("Python imports", () => {
  it("finds import and from-import statements, continued lines included", () => {
    const lines = [
      "import os, config.settings as cs",
      "from utils.helpers import (",
      "    fmt,",
      "    parse as p,",
      ")",
      "from . import sibling  # a comment",
      "from ..pkg.mod import thing",
      "x = 'import nothing'",
    ];
    expect(extractPythonImports(lines)).toEqual([
      { module: "os", names: [] },
      { module: "config.settings", names: [] },
      { module: "utils.helpers", names: ["fmt", "parse"] },
      { module: ".", names: ["sibling"] },
      { module: "..pkg.mod", names: ["thing"] },
    ]);
  });

  it("resolves modules from the repository root and the importing file's package", () => {
    expect(resolvePythonImport("app/main.py", { module: "config.settings", names: [] })).toEqual([
      "config/settings.py",
      "config/settings/__init__.py",
      "app/config/settings.py",
      "app/config/settings/__init__.py",
    ]);
    expect(resolvePythonImport("main.py", { module: "utils", names: ["fmt"] })).toEqual([
      "utils.py",
      "utils/__init__.py",
      "utils/fmt.py",
      "utils/fmt/__init__.py",
    ]);
  });

  it("resolves relative imports by counting dots up from the package", () => {
    expect(resolvePythonImport("a/b/c.py", { module: ".x", names: ["y"] })).toEqual([
      "a/b/x.py",
      "a/b/x/__init__.py",
      "a/b/x/y.py",
      "a/b/x/y/__init__.py",
    ]);
    expect(resolvePythonImport("a/b/c.py", { module: "..", names: ["z"] })).toEqual([
      "a/__init__.py",
      "a/z.py",
      "a/z/__init__.py",
    ]);
    expect(resolvePythonImport("a/c.py", { module: "...x", names: [] })).toEqual([]);
  });
});

describe("scope", () => {
  it("matches picomatch globs, dot files included; no scope means no matcher", () => {
    const inScope = scopeMatcher(["config/**", "*.md"])!;
    expect(inScope("config/a/b.py")).toBe(true);
    expect(inScope("config/.env")).toBe(true);
    expect(inScope("README.md")).toBe(true);
    expect(inScope("logging/x.py")).toBe(false);
    expect(scopeMatcher([])).toBeUndefined();
  });
});

const stream = (id: string): ActiveStream => ({
  id,
  branch: `feature/stream-${id}`,
  worktree: `/tmp/${id}`,
  scope: [],
  agents: [`${id}1`],
});
const diff = (path: string, hunks: Hunk[], added: string[] = []): FileDiff => ({
  path,
  status: "modified",
  binary: false,
  hunks,
  added,
});
const agents = new Map([
  ["A", ["A1"]],
  ["B", ["B1"]],
]);

describe("warnings from changes", () => {
  it("gives overlap severity by line ranges, and imports of files the other stream changed", () => {
    const a = buildChanges(
      stream("A"),
      "base",
      [],
      [{ path: "new.ts", staged: false, unstaged: false, untracked: true }],
      [diff("x.py", [h(3, 1)], ["from lib import thing"]), diff("y.py", [h(1, 1)])],
    );
    a.added.set("new.ts", ['import { z } from "./lib/z.js";']);
    const b = buildChanges(
      stream("B"),
      "base",
      ["x.py", "y.py"],
      [],
      [
        diff("x.py", [h(3, 2)]),
        diff("y.py", [h(9, 1)]),
        diff("lib/z.ts", [h(1, 1)]),
        diff("lib.py", [h(2, 1)]),
      ],
    );
    expect(overlapWarnings([a, b], agents).map((w) => [w.files[0], w.severity])).toEqual([
      ["x.py", "high"],
      ["y.py", "medium"],
    ]);
    const imports = importWarnings([a, b], agents);
    expect(imports.map((w) => [w.streams, w.files, w.severity])).toEqual([
      [["A", "B"], ["lib.py"], "low"],
      [["A", "B"], ["lib/z.ts"], "low"],
    ]);
  });

  it("keys warnings by kind, streams and files, and keeps one per key, most severe first", () => {
    const base = { agents: [], message: "m" };
    const low = {
      ...base,
      kind: "import" as const,
      streams: ["A", "B"],
      files: ["f"],
      severity: "low" as const,
    };
    const high = {
      ...base,
      kind: "merge" as const,
      streams: ["A", "B"],
      files: ["f"],
      severity: "high" as const,
    };
    expect(warningKey(high)).toBe("merge|A,B|f");
    expect(sortWarnings([low, high, { ...high, message: "duplicate" }])).toEqual([high, low]);
  });
});
