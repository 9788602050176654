/**
 * Each test file gets Tower's own folder to itself (a folder of the run's, named by the file):
 * the servers a file starts record themselves there for `tower ls` (src/server/registry.ts), and
 * a test that gives its server a runtime folder of its own, to be the only room running, must
 * not see the servers of the files running beside it.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { expect } from "vitest";

const shared = process.env.TOWER_CONFIG_DIR;
const file = expect.getState().testPath;
if (shared && file) {
  const name = createHash("sha256").update(file).digest("hex").slice(0, 12);
  process.env.TOWER_CONFIG_DIR = path.join(shared, name);
}
