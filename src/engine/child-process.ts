/**
 * `node:child_process`, loaded when first used rather than when the module importing it loads:
 * Node takes about 10 ms to load it, which `tower attach` (a user waits on its first frame)
 * spends only when it has to start a server, ask git or open an SSH link.
 */
import { createRequire } from "node:module";

let loaded: typeof import("node:child_process") | undefined;

export function childProcess(): typeof import("node:child_process") {
  loaded ??= createRequire(import.meta.url)(
    "node:child_process",
  ) as typeof import("node:child_process");
  return loaded;
}
