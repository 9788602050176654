/**
 * The bundle `tower` runs (dist/bin/tower.js, scripts/bundle.ts): the commands load without Ink
 * or React, the control room is a chunk of its own loaded on demand, `tower attach` paints from
 * one CommonJS file, and the bundle runs from any working directory with its native modules
 * found. Needs the built dist/ (as `npm test`
 * builds first).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/repo.js";

const BIN = path.dirname(CLI);
const STATIC_IMPORT = /^(?:import|export)\s[^;]*?from\s*"(\.\/[^"]+)"/gms;
const DYNAMIC_IMPORT = /\bimport\("(\.\/[^"]+)"\)/g;

/** The files an output loads at once: itself and its static imports, transitively. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(STATIC_IMPORT)) {
    staticClosure(path.resolve(path.dirname(file), match[1] ?? ""), seen);
  }
  return seen;
}

/** The files an output imports on demand. */
const dynamicImports = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(DYNAMIC_IMPORT)].map((m) =>
    path.resolve(path.dirname(file), m[1] ?? ""),
  );

/** esbuild names each bundled module in a comment (`// node_modules/ink/build/ink.js`). */
const bundles = (file: string, pkg: string) =>
  readFileSync(file, "utf8").includes(`// node_modules/${pkg}/`);

describe("the tower bundle", () => {
  it("loads the commands without Ink or React, and the control room as its own chunk", () => {
    // tower.js only picks the way in (attach, or chunks/main.js); main.js picks the command line,
    // `tower hook` or `tower attach` (main.ts).
    const main = path.join(BIN, "chunks", "main.js");
    expect(dynamicImports(CLI)).toEqual([main]);
    const entries = [CLI, main, ...dynamicImports(main)];
    const loaded = new Set(entries.flatMap((file) => [...staticClosure(file)]));
    expect(loaded.size).toBeGreaterThan(2); // the shared chunks of engine code
    for (const file of loaded) {
      for (const pkg of ["ink", "react", "react-reconciler", "yoga-layout", "@xterm/headless"]) {
        expect(bundles(file, pkg), `${path.relative(BIN, file)} bundles ${pkg}`).toBe(false);
      }
    }
    const lazy = [...loaded].flatMap((file) => dynamicImports(file));
    const room = [...new Set(lazy)].filter((file) => bundles(file, "ink"));
    expect(room, "one chunk with the control room, imported on demand").toHaveLength(1);
    expect(bundles(room[0] ?? "", "react")).toBe(true);
  });

  it("paints tower attach's first frame from one CommonJS file, and loads the control room after it", () => {
    const attach = path.join(BIN, "attach.js");
    // tower.js and attach.js are CommonJS: no ES module loader before the first frame.
    expect(JSON.parse(readFileSync(path.join(BIN, "package.json"), "utf8"))).toEqual({
      type: "commonjs",
    });
    expect(readFileSync(CLI, "utf8")).toContain('require("./attach.js")');
    const text = readFileSync(attach, "utf8");
    // Nothing else to find, read and link before the first frame: no local require or import.
    expect(text.match(/\brequire\("\.[^"]*"\)/g)).toBeNull();
    expect(text.match(STATIC_IMPORT)).toBeNull();
    for (const pkg of ["ink", "react", "@xterm/headless", "simple-git", "zod"]) {
      expect(bundles(attach, pkg), `attach.js bundles ${pkg}`).toBe(false);
    }
    const room = dynamicImports(attach);
    expect(room).toEqual([path.join(BIN, "chunks", "control-room.js")]);
    const lazy = [...staticClosure(room[0] ?? "")].flatMap((file) => dynamicImports(file));
    expect(lazy.filter((file) => bundles(file, "ink"))).toHaveLength(1);
  });

  it("runs from another working directory, with the native file lock found", () => {
    const cwd = os.tmpdir();
    const version = execFileSync(process.execPath, [CLI, "--version"], { cwd, encoding: "utf8" });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
    // `tower lock` outside a repository: the plan error, after the native modules loaded.
    let stderr = "";
    try {
      execFileSync(process.execPath, [CLI, "lock", "x"], { cwd, stdio: "pipe" });
    } catch (error) {
      stderr = String((error as { stderr?: Buffer }).stderr ?? "");
    }
    expect(stderr).toMatch(/streams\.yaml|git repository/);
    expect(stderr).not.toMatch(/Cannot find (module|package)|Dynamic require/);
  });
});
