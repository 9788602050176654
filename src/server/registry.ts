/**
 * Where this user's servers run, whatever runtime folder each was started with: one file per
 * room in Tower's own folder (`rooms/<room folder's name>.json` in configDir), naming the room
 * folder. `tower ls` reads its own runtime folder and these, so that a server started from a
 * terminal whose XDG_RUNTIME_DIR differs (`su`, a service, an SSH login without a login
 * session, a tmux server started before one) is listed too; the claim (claim.ts) does the same
 * for one repository.
 *
 * A file is only a pointer: a folder it names is read only if it is a private folder of this
 * user, in a private folder of this user, and a live server answers for it there (info.ts). A
 * server writes its file when it starts and removes it when it stops; one killed leaves it,
 * naming a folder where no server runs (ignored, and replaced when the repository's next
 * server starts: the name is the room folder's, a hash of the repository's path).
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { configDir, ensureConfigDir } from "../engine/config-dir.js";

const ROOMS = "rooms";

function entryPath(dir: string, env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), ROOMS, `${path.basename(dir)}.json`);
}

/** Records that a server runs in the room folder `dir` (written whole, then renamed). */
export async function registerRoom(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const target = entryPath(dir, env);
  await ensureConfigDir(path.dirname(target));
  const fresh = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  await fsp.writeFile(fresh, `${JSON.stringify({ dir })}\n`, { mode: 0o600, flag: "wx" });
  await fsp.rename(fresh, target).catch(async (error: unknown) => {
    await fsp.unlink(fresh).catch(() => {});
    throw error;
  });
}

/** Removes the record of the room folder `dir`, if it still names that folder. */
export async function unregisterRoom(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const target = entryPath(dir, env);
  if ((await readEntry(target)) === dir) await fsp.unlink(target).catch(() => {});
}

async function readEntry(file: string): Promise<string | undefined> {
  try {
    const value = JSON.parse(await fsp.readFile(file, "utf8")) as { dir?: unknown };
    return typeof value.dir === "string" && path.isAbsolute(value.dir) ? value.dir : undefined;
  } catch {
    return undefined;
  }
}

/** The room folders recorded (not checked: see listRooms). */
export async function registeredRooms(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const folder = path.join(configDir(env), ROOMS);
  let names: string[];
  try {
    names = await fsp.readdir(folder);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    const dir = await readEntry(path.join(folder, name));
    if (dir) dirs.push(dir);
  }
  return dirs;
}
