/**
 * Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bin/tower.js, the `tower` that
 * npm installs: one file for the commands and one chunk loaded when the control room opens.
 *
 * Why: Node spends most of the control room's start-up finding, reading and linking a few hundred
 * small module files (Ink alone is ~250 ms of them on a 2-core machine). Bundled, the same code
 * opens in about half the time, and a `tower lock` called by an agent starts faster too.
 *
 * - The control room stays a separate chunk (code splitting on the dynamic import in
 *   cli/control-room.ts), so other commands never load Ink or React, and Ink's environment checks
 *   still run when the control room is opened (see loadControlRoom).
 * - `tower attach`'s first frame (cli/attach-main.ts) is one file of its own, `attach.js`, which
 *   loads the control room from `control-room.js` once it has painted.
 * - Native modules stay outside (node-pty, fs-ext-extra-prebuilt), resolved from node_modules as
 *   before; so does react-devtools-core, which Ink imports only with DEV=true.
 * - Bundled CommonJS modules `require` Node's built-ins: each output file gets a `require` made
 *   with createRequire.
 *
 *   tsx scripts/bundle.ts    (part of `npm run build`, after tsc)
 */
import { chmodSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build, type Plugin } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist/bin");

rmSync(outdir, { recursive: true, force: true });

/** Leaves the import of `from` (as written in dist/cli) to load `to` beside the output at run time. */
function leaveOut(from: string, to: string): Plugin {
  return {
    name: `leave-out-${from}`,
    setup(build) {
      const filter = new RegExp(`^\\./${from.replace(".", "\\.")}$`);
      build.onResolve({ filter }, () => ({ path: `./${to}`, external: true }));
    },
  };
}

const common: BuildOptions = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  external: ["node-pty", "fs-ext-extra-prebuilt", "react-devtools-core"],
  banner: {
    js: 'import { createRequire as __towerCreateRequire } from "node:module"; const require = __towerCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
};

// The commands, and the control room as an entry of its own that `attach.js` loads.
await build({
  ...common,
  entryPoints: { tower: "dist/cli/main.js", "control-room": "dist/cli/control-room.js" },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  plugins: [leaveOut("attach-main.js", "attach.js")],
});
// `tower attach` in one file: a user waits on its first frame, and Node spends a few
// milliseconds on every module file it finds, reads and links (the split build gives it 15).
// What it paints is in it; the control room drawn over it comes from the build above.
await build({
  ...common,
  entryPoints: { attach: "dist/cli/attach-main.js" },
  splitting: false,
  plugins: [leaveOut("control-room.js", "control-room.js")],
});
chmodSync(path.join(outdir, "tower.js"), 0o755);
