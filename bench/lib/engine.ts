/**
 * The lock engine as the built CLI runs it: the compiled `dist/engine/...js` (npm run bench
 * builds first), typed from the TypeScript source it was compiled from.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as LocksModule from "../../src/engine/locks.js";
import type * as StoreModule from "../../src/engine/state/store.js";
import { PROJECT_ROOT } from "./repo.js";

export type Engine = Pick<typeof LocksModule, "acquireLocks" | "releaseLocks"> &
  Pick<typeof StoreModule, "StateStore">;

const DIST_LOCKS = path.join(PROJECT_ROOT, "dist/engine/locks.js");
const DIST_STORE = path.join(PROJECT_ROOT, "dist/engine/state/store.js");

export async function loadEngine(): Promise<Engine> {
  for (const file of [DIST_LOCKS, DIST_STORE]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: run \`npm run build\` (or \`npm run bench\`) first`);
  }
  const locks = (await import(pathToFileURL(DIST_LOCKS).href)) as typeof LocksModule;
  const store = (await import(pathToFileURL(DIST_STORE).href)) as typeof StoreModule;
  return {
    acquireLocks: locks.acquireLocks,
    releaseLocks: locks.releaseLocks,
    StateStore: store.StateStore,
  };
}

/** Source files of the engine newer than its build, so the harness can warn that dist is stale. */
export function staleEngineSources(): string[] {
  if (!existsSync(DIST_LOCKS)) return [];
  const built = statSync(DIST_LOCKS).mtimeMs;
  const srcDir = path.join(PROJECT_ROOT, "src/engine");
  const entries = readdirSync(srcDir, { recursive: true, encoding: "utf8" });
  return entries
    .filter((entry) => entry.endsWith(".ts"))
    .filter((entry) => statSync(path.join(srcDir, entry)).mtimeMs > built)
    .map((entry) => path.join("src/engine", entry));
}
