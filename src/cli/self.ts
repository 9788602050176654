/**
 * How to run this `tower` again from a hook, a guard or an agent's MCP configuration: the Node
 * that runs it and the real path of its script (an `npm link` or a bin symlink resolved).
 */
import { realpathSync } from "node:fs";

export function selfCommand(): string[] {
  const script = process.argv[1] ?? "";
  let real = script;
  try {
    real = realpathSync(script);
  } catch {}
  return [process.execPath, real];
}
