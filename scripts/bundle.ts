/**
 * Bundles the compiled CLI (dist/cli/, from tsc) into dist/bin/, where `tower` (dist/bin/tower.js,
 * what npm installs) starts:
 *
 *   dist/bin/tower.js                 CommonJS: picks the way in (below)
 *   dist/bin/attach.js                CommonJS, one file: `tower attach` up to its first frame
 *   dist/bin/chunks/main.js           ES module: every command (cli/main.ts)
 *   dist/bin/chunks/control-room.js   ES module: the control room (Ink, React), loaded on demand
 *   dist/bin/chunks/git-process-main.js  ES module: the server's git helper (engine/git/git-process.ts)
 *   dist/bin/chunks/chunk-*.js        what those share
 *
 * Why: Node spends most of the control room's start-up finding, reading and linking a few hundred
 * small module files (Ink alone is ~250 ms of them on a 2-core machine). Bundled, the same code
 * opens in about half the time, and a `tower lock` called by an agent starts faster too.
 *
 * - The control room stays a separate chunk (code splitting on the dynamic import in
 *   cli/control-room.ts), so other commands never load Ink or React, and Ink's environment checks
 *   still run when the control room is opened (see loadControlRoom).
 * - `tower attach` paints a running room before anything else loads (cli/attach-main.ts), and a
 *   user waits on that frame: it is one CommonJS file, started from a CommonJS `tower.js`. An ES
 *   module entry costs Node its ES module loader first (about 15 ms here) and a few milliseconds
 *   for every module file it finds, reads and links. Once painted, it imports the control room
 *   from chunks/control-room.js. Every other command imports chunks/main.js. (dist/bin has a
 *   package.json saying CommonJS, dist/bin/chunks one saying ES modules.)
 * - Native modules stay outside (node-pty, fs-ext-extra-prebuilt), resolved from node_modules as
 *   before; so does react-devtools-core, which Ink imports only with DEV=true.
 * - Bundled CommonJS modules `require` Node's built-ins: each ES module output file gets a
 *   `require` made with createRequire.
 * - Whitespace and comments are left out and the syntax shortened, names kept (stack traces stay
 *   readable): 3.6 MB of chunks instead of 5.1. Node keeps every loaded file's source in memory
 *   and reads all of it before running: measured 3 MB less resident memory in each of the
 *   server and the control room after a flood, `tower status` 7% faster.
 * - dist/bin/bundle-map.json says what each output file bundles (packages) and loads (static and
 *   on-demand imports), from esbuild's metafile: the comments naming each bundled module are
 *   gone, and the tests check the bundle's shape from it.
 *
 *   tsx scripts/bundle.ts    (part of `npm run build`, after tsc)
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build, type Metafile, type Plugin } from "esbuild";
import { BUNDLE_VAR, SAVED_BUNDLE_VAR } from "../src/cli/certificate-bundle.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist/bin");

rmSync(outdir, { recursive: true, force: true });

/** Leaves the import of `./<from>` (as written in dist/cli) to load `to` at run time. */
function leaveOut(from: string, to: string): Plugin {
  const filter = new RegExp(`^\\./${from.replaceAll(".", "\\.")}$`);
  return {
    name: `leave-out-${from}`,
    setup(build) {
      build.onResolve({ filter }, () => ({ path: to, external: true }));
    },
  };
}

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20.19",
  external: ["node-pty", "fs-ext-extra-prebuilt", "react-devtools-core"],
  logLevel: "warning",
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
};

/** What an output file bundles and loads; paths relative to dist/bin. */
interface MapEntry {
  packages: string[];
  static: string[];
  dynamic: string[];
}

const bundleMap: Record<string, MapEntry> = {};

/** The package a bundled input belongs to (`node_modules/@xterm/headless/…` → `@xterm/headless`). */
function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) return undefined;
  const parts = input.slice(at + "node_modules/".length).split("/");
  return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

function mapOutputs(metafile: Metafile | undefined): void {
  if (metafile === undefined) throw new Error("esbuild returned no metafile");
  const rel = (file: string) => path.relative(outdir, path.resolve(root, file));
  for (const [file, output] of Object.entries(metafile.outputs)) {
    const packages = new Set<string>();
    for (const input of Object.keys(output.inputs)) {
      const name = packageOf(input);
      if (name !== undefined) packages.add(name);
    }
    // An import left out at build time (leaveOut) is written as it resolves from this file.
    const target = (imported: { path: string; external?: boolean }) =>
      imported.external === true
        ? path.relative(outdir, path.resolve(path.dirname(path.resolve(root, file)), imported.path))
        : rel(imported.path);
    const local = output.imports.filter(
      (i) => i.external !== true || i.path.startsWith("./") || i.path.startsWith("../"),
    );
    bundleMap[rel(file)] = {
      packages: [...packages].sort(),
      static: local.filter((i) => i.kind !== "dynamic-import").map(target),
      dynamic: local.filter((i) => i.kind === "dynamic-import").map(target),
    };
  }
}

// Every command, the control room as an entry of its own that attach.js imports, and the git
// helper's entry, which git-process.ts finds next to itself (both land in chunks/).
const commands = await build({
  ...common,
  outdir: path.join(outdir, "chunks"),
  entryPoints: {
    main: "dist/cli/main.js",
    "control-room": "dist/cli/control-room.js",
    "git-process-main": "dist/engine/git/git-process-main.js",
  },
  format: "esm",
  splitting: true,
  chunkNames: "[name]-[hash]",
  banner: {
    js: 'import { createRequire as __towerCreateRequire } from "node:module"; const require = __towerCreateRequire(import.meta.url);',
  },
  plugins: [leaveOut("attach-main.js", "../attach.js")],
});
mapOutputs(commands.metafile);
// `tower attach` up to its first frame, in one file.
const attach = await build({
  ...common,
  outfile: path.join(outdir, "attach.js"),
  entryPoints: ["dist/cli/attach-main.js"],
  format: "cjs",
  // `import.meta.url` as an ES module has it (createRequire, finding tower.js beside it).
  define: { "import.meta.url": "__towerImportMetaUrl" },
  banner: {
    js: 'const __towerImportMetaUrl = require("node:url").pathToFileURL(__filename).href;',
  },
  plugins: [leaveOut("control-room.js", "./chunks/control-room.js")],
});
mapOutputs(attach.metafile);
writeFileSync(path.join(outdir, "bundle-map.json"), `${JSON.stringify(bundleMap, null, 1)}\n`);

const launcher = `#!/usr/bin/env node
// \`tower\`: see scripts/bundle.ts. \`tower attach\` and \`tower\` paint from attach.js; the rest is chunks/main.js.
"use strict";
// The certificate bundle the launcher (dist/bin/tower) set aside goes back for Tower's children.
const savedBundle = process.env.${SAVED_BUNDLE_VAR};
if (savedBundle !== undefined) {
  process.env.${BUNDLE_VAR} = savedBundle;
  delete process.env.${SAVED_BUNDLE_VAR};
}
// \`tower attach\`, and \`tower\` itself (the control room, as \`tower attach --start\`): attach.js
// takes what it can (fastAttachArgs, fastOpenArgs) and hands the rest to the full command line.
const word = process.argv[2];
const open = word === undefined || word === "ui" || word.startsWith("--");
const fast = word === "attach" || open ? require("./attach.js") : undefined;
const args =
  word === "attach"
    ? fast.fastAttachArgs(process.argv.slice(3))
    : fast?.fastOpenArgs(process.argv.slice(word === "ui" ? 3 : 2));
if (fast && args) {
  fast.runAttach(args).then((code) => {
    if (code === undefined) import("./chunks/main.js");
    else process.exitCode = code;
  });
} else {
  import("./chunks/main.js");
}
`;
writeFileSync(path.join(outdir, "tower.js"), launcher);
chmodSync(path.join(outdir, "tower.js"), 0o755);
// What npm installs as \`tower\`: Node started without the certificate bundle, which Tower's own
// processes do not use (src/cli/certificate-bundle.ts). A symlink (npm's bin, \`npm link\`) is
// followed to find tower.js beside this file.
const shellLauncher = `#!/bin/sh
# \`tower\`: runs tower.js beside this file (see scripts/bundle.ts in Tower's source).
self=$0
while :; do
  case $self in
    */*) dir=\${self%/*} ;;
    *) dir=. ;;
  esac
  [ -L "$self" ] || break
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=$dir/$link ;;
  esac
done
if [ -n "\${${BUNDLE_VAR}+set}" ]; then
  ${SAVED_BUNDLE_VAR}=$${BUNDLE_VAR}
  export ${SAVED_BUNDLE_VAR}
  unset ${BUNDLE_VAR}
fi
exec node "$dir/tower.js" "$@"
`;
writeFileSync(path.join(outdir, "tower"), shellLauncher);
chmodSync(path.join(outdir, "tower"), 0o755);
writeFileSync(path.join(outdir, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
mkdirSync(path.join(outdir, "chunks"), { recursive: true });
writeFileSync(
  path.join(outdir, "chunks", "package.json"),
  `${JSON.stringify({ type: "module" })}\n`,
);
