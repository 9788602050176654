/**
 * How to run this `tower` again from a hook, a guard or an agent's MCP configuration: the Node
 * that runs it and the real path of the `tower` script. That is this process's script when it
 * is `tower` (an `npm link` or a bin symlink resolved); otherwise (Tower's code loaded by a test
 * runner or a benchmark) the built bundle beside this module.
 */
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

export function selfCommand(): string[] {
  const script = process.argv[1] ? real(process.argv[1]) : "";
  if (/(^|[/\\])tower(\.js)?$/.test(script)) return [process.execPath, script];
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, "..", "tower.js"), // dist/bin/chunks/ -> dist/bin/tower.js
    path.join(here, "..", "..", "dist", "bin", "tower.js"), // src/agents/ or dist/agents/
  ];
  const found = candidates.find((file) => existsSync(file));
  return [process.execPath, real(found ?? script)];
}
