/**
 * Tower's own folder on this machine, outside every repository: which plans the user trusts, and
 * the key that seals the approvals Tower records. `TOWER_CONFIG_DIR`, else
 * `$XDG_CONFIG_HOME/tower`, else `~/.config/tower`.
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TOWER_CONFIG_DIR) return path.resolve(env.TOWER_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME
    ? path.resolve(env.XDG_CONFIG_HOME)
    : path.join(os.homedir(), ".config");
  return path.join(base, "tower");
}

/** Makes the folder private to the user (0700) if it is new. */
export async function ensureConfigDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
}
