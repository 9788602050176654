/**
 * The bundle `tower` runs (dist/bin/tower.js, scripts/bundle.ts): the commands load without Ink
 * or React, the control room is a chunk of its own loaded on demand, `tower attach` paints from
 * one CommonJS file, and the bundle runs from any working directory with its native modules
 * found. Needs the built dist/ (as `npm test`
 * builds first).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/repo.js";

const BIN = path.dirname(CLI);
const STATIC_IMPORT = /(?:^|[;\n])\s*(?:import|export)\s*(?:[^;"]*?from\s*)?"(\.\.?\/[^"]+)"/g;
const DYNAMIC_IMPORT = /\bimport\("(\.\.?\/[^"]+)"\)/g;

interface MapEntry {
  packages: string[];
  static: string[];
  dynamic: string[];
}

/** What each output bundles and loads (scripts/bundle.ts writes it from esbuild's metafile). */
const bundleMap = (): Record<string, MapEntry> =>
  JSON.parse(readFileSync(path.join(BIN, "bundle-map.json"), "utf8"));

function entryOf(file: string): MapEntry {
  // tower.js, written by hand, bundles nothing; it loads attach.js or chunks/main.js.
  if (file === CLI) return { packages: [], static: [], dynamic: dynamicImports(CLI) };
  const entry = bundleMap()[path.relative(BIN, file)];
  if (entry === undefined) throw new Error(`${file} is not in dist/bin/bundle-map.json`);
  return entry;
}

/** The files an output loads at once: itself and its static imports, transitively. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imported of entryOf(file).static) staticClosure(path.join(BIN, imported), seen);
  return seen;
}

/** The files an output imports on demand (tower.js, written by hand, from its text). */
function dynamicImports(file: string): string[] {
  if (file !== CLI) return entryOf(file).dynamic.map((imported) => path.join(BIN, imported));
  return [...readFileSync(file, "utf8").matchAll(DYNAMIC_IMPORT)].map((m) =>
    path.resolve(path.dirname(file), m[1] ?? ""),
  );
}

const bundles = (file: string, pkg: string) => entryOf(file).packages.includes(pkg);

describe("the tower bundle", () => {
  it("is described truly by its bundle map: every output listed, every import in its text", () => {
    const map = bundleMap();
    const outputs = [
      "attach.js",
      ...readdirSync(path.join(BIN, "chunks"))
        .filter((name) => name.endsWith(".js"))
        .map((name) => `chunks/${name}`),
    ];
    expect(Object.keys(map).sort()).toEqual(outputs.sort());
    for (const [file, entry] of Object.entries(map)) {
      const text = readFileSync(path.join(BIN, file), "utf8");
      const found = (pattern: RegExp) =>
        [...text.matchAll(pattern)].map((m) =>
          path.relative(BIN, path.resolve(path.dirname(path.join(BIN, file)), m[1] ?? "")),
        );
      expect(found(STATIC_IMPORT).sort(), `${file}: static imports`).toEqual(
        [...entry.static].sort(),
      );
      expect(found(DYNAMIC_IMPORT).sort(), `${file}: imports on demand`).toEqual(
        [...entry.dynamic].sort(),
      );
    }
    // The packages are the bundled ones: the control room's chunk has Ink in it.
    expect(Object.values(map).some((entry) => entry.packages.includes("ink"))).toBe(true);
  });

  it("loads the commands without Ink or React, and the control room as its own chunk", () => {
    // tower.js only picks the way in (attach, or chunks/main.js); main.js picks the command line,
    // `tower hook` or `tower attach` (main.ts).
    const main = path.join(BIN, "chunks", "main.js");
    expect([...new Set(dynamicImports(CLI))]).toEqual([main]);
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
    // Nor Node's crypto (some thirty modules of Node's own, 1.7-3.3 ms to compile): the room
    // folder's hash is computed in JavaScript (src/room/sha256.ts).
    expect(text).not.toMatch(/require\("(node:)?crypto"\)/);
    // Nor a native module: the repository's server claim is read without its lock (claim.ts).
    for (const native of ["fs-ext-extra-prebuilt", "node-pty"]) {
      expect(text, `attach.js loads ${native}`).not.toContain(`"${native}"`);
    }
    for (const pkg of ["ink", "react", "@xterm/headless", "simple-git", "zod"]) {
      expect(bundles(attach, pkg), `attach.js bundles ${pkg}`).toBe(false);
    }
    const room = dynamicImports(attach);
    expect(room).toEqual([path.join(BIN, "chunks", "control-room.js")]);
    const lazy = [...staticClosure(room[0] ?? "")].flatMap((file) => dynamicImports(file));
    expect(lazy.filter((file) => bundles(file, "ink"))).toHaveLength(1);
  });

  it("loads the server's room without the MCP SDK, which only `tower mcp` runs", () => {
    const hosts = Object.keys(bundleMap()).filter((file) => file.startsWith("chunks/host-"));
    expect(hosts).toHaveLength(1);
    const loaded = [...staticClosure(path.join(BIN, hosts[0] ?? ""))];
    const packages = new Set(loaded.flatMap((file) => entryOf(file).packages));
    expect(packages.has("@xterm/headless"), "the host chunk holds the room's emulators").toBe(true);
    expect(packages.has("@modelcontextprotocol/sdk")).toBe(false);
  });

  it("loads the control room without Node's HTTP client, and leaves the global fetch as it was", () => {
    // Ink's layout engine reads its WebAssembly from a data: URL with fetch when there is one:
    // Node's undici, compiled for that alone (control-room.ts).
    const script = [
      "const before = globalThis.fetch;",
      `const { loadControlRoom } = await import(${JSON.stringify(path.join(BIN, "chunks", "control-room.js"))});`,
      "const room = await loadControlRoom();",
      "console.log(JSON.stringify({ run: typeof room.runControlRoom, same: globalThis.fetch === before,",
      "  undici: process.moduleLoadList.filter((m) => m.includes('undici')) }));",
    ].join("\n");
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: os.tmpdir(),
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual({ run: "function", same: true, undici: [] });
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

  it("is installed as a shell launcher that follows npm's symlinks and starts Node without the certificate bundle", () => {
    const pkg = JSON.parse(readFileSync(path.join(BIN, "..", "..", "package.json"), "utf8"));
    const launcher = path.join(BIN, "tower");
    expect(path.resolve(BIN, "..", "..", pkg.bin.tower)).toBe(launcher);
    // npm's bin is a symlink, and `npm link` another in front of it (one of them relative).
    const dir = mkdtempSync(path.join(os.tmpdir(), "tower-bin-"));
    try {
      mkdirSync(path.join(dir, "lib"));
      symlinkSync(launcher, path.join(dir, "lib", "tower"));
      symlinkSync(path.join("lib", "tower"), path.join(dir, "tower"));
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, "no-such-bundle.pem") };
      const run = (file: string, args: string[]) =>
        spawnSync(file, args, { cwd: os.tmpdir(), env, encoding: "utf8" });
      // Node warns when it cannot read the bundle: it read it before any of Tower's code.
      expect(run(process.execPath, [CLI, "--version"]).stderr).toContain("extra certs");
      const viaLinks = run(path.join(dir, "tower"), ["--version"]);
      expect(viaLinks.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      expect(viaLinks.stderr).toBe("");
      // Found on the PATH (how a shell runs it), from a folder with no tower.js in it.
      const onPath = spawnSync("sh", ["-c", "tower --version"], {
        cwd: os.tmpdir(),
        env: { ...env, PATH: `${dir}:${process.env.PATH}` },
        encoding: "utf8",
      });
      expect(onPath.stdout.trim()).toBe(viaLinks.stdout.trim());
      expect(onPath.stderr).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
