/**
 * Opening state files without leaving the state directory: never through a symbolic link
 * (O_NOFOLLOW on the file, lstat on the folders above it), and only when it is a regular file
 * (O_NONBLOCK, then fstat: a FIFO must be an error, not an open or a read that waits forever).
 * The folders Tower makes in it are made one at a time and each checked once it is there
 * (makeStateFolder); a file Tower rewrites whole is written beside it and renamed over it
 * (writeStateFile), so that a link at its name is never followed.
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fsp, type Stats } from "node:fs";
import path from "node:path";

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "StateFileError";
  }
}

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/** "a FIFO", "a folder", ... for what is not a regular file; "a file" where a folder should be. */
function kindOf(stat: Stats): string {
  if (stat.isFile()) return "a file";
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

export async function symlinkError(file: string): Promise<StateFileError> {
  const target = await fsp.readlink(file).catch(() => undefined);
  return new StateFileError(
    file,
    `${file} is a symbolic link${target ? ` (to ${target})` : ""}: Tower does not read or write its state through links, so that nothing outside the repository is changed; replace it with the file or folder itself`,
  );
}

const notAFile = (file: string, stat: Stats) =>
  new StateFileError(
    file,
    `${file} is ${kindOf(stat)}, not a file: the state directory must hold regular files here; move it away and run the command again`,
  );

/** Throws a StateFileError when `file` exists and is anything but a regular file. */
export async function checkStateFile(file: string): Promise<void> {
  let stat: Stats;
  try {
    stat = await fsp.lstat(file);
  } catch (error) {
    if (code(error) === "ENOENT") return;
    throw error;
  }
  if (stat.isSymbolicLink()) throw await symlinkError(file);
  if (!stat.isFile()) throw notAFile(file, stat);
}

/**
 * Throws a StateFileError when `dir` exists and is anything but a real folder; returns what
 * lstat found there (undefined: nothing).
 */
export async function checkStateFolder(dir: string): Promise<Stats | undefined> {
  let stat: Stats;
  try {
    stat = await fsp.lstat(dir);
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  }
  if (stat.isSymbolicLink()) throw await symlinkError(dir);
  if (!stat.isDirectory()) {
    throw new StateFileError(dir, `${dir} is ${kindOf(stat)}, not a folder: move it away`);
  }
  return stat;
}

/**
 * Opens a state file with `flags` (fs.constants), never following a symbolic link and only if
 * it is a regular file. ENOENT is left for the caller (a missing file is often fine); every other
 * refusal is a StateFileError that names the file.
 */
export async function openStateFile(
  file: string,
  flags: number,
  mode = 0o644,
): Promise<fsp.FileHandle> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
  } catch (error) {
    if (code(error) === "ENOENT") throw error;
    // ELOOP (a link), EISDIR (a folder), ENXIO (a FIFO with no reader): say what is there.
    await checkStateFile(file);
    if (code(error) === "EACCES" || code(error) === "EPERM") {
      throw new StateFileError(file, `${file} cannot be opened: permission denied`);
    }
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notAFile(file, stat);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** The whole content of an open file. */
export async function readHandle(handle: fsp.FileHandle): Promise<string> {
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The content of a state file, or undefined when it does not exist. */
export async function readStateFile(file: string): Promise<string | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await openStateFile(file, constants.O_RDONLY);
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  }
  try {
    return await readHandle(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Makes `dir`, a folder below `base` (which is there and checked: the state directory), and the
 * folders between them, one at a time: each is made inside a folder already checked (mkdir never
 * follows a link at the name it makes), then checked itself. A symbolic link, anything but a
 * folder, or a folder of another user's on the way is a StateFileError naming it, and nothing is
 * made below it. Returns `dir`.
 */
export async function makeStateFolder(base: string, dir: string, mode = 0o755): Promise<string> {
  const relative = path.relative(base, dir);
  if (relative === "") return dir;
  if (relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new Error(`${dir} is not inside ${base}`);
  }
  let folder = base;
  for (const part of relative.split(path.sep)) {
    folder = path.join(folder, part);
    try {
      await fsp.mkdir(folder, { mode });
    } catch (error) {
      if (code(error) === "ENOENT") {
        throw new StateFileError(
          folder,
          `${path.dirname(folder)} does not exist (removed?): nothing was written to ${folder}`,
        );
      }
      if (code(error) !== "EEXIST") throw error;
    }
    const stat = await checkStateFolder(folder);
    const uid = process.getuid?.();
    if (stat === undefined) {
      throw new StateFileError(
        folder,
        `${folder} went away as it was made: nothing was written there`,
      );
    }
    if (uid !== undefined && stat.uid !== uid) {
      throw new StateFileError(
        folder,
        `${folder} belongs to another user (uid ${stat.uid}): Tower writes its state only in folders of its own user; move it away and run the command again`,
      );
    }
  }
  return dir;
}

/**
 * Writes `text` as the whole content of `file`, a state file only Tower writes: into a new
 * temporary file beside it (O_EXCL: a name planted in advance, a link or anything else, is never
 * opened), then renamed over it (a rename replaces the name itself, never what a link there
 * points at), so that no reader sees half of it. A symbolic link or anything but a regular file
 * at `file` is a StateFileError naming it, and nothing is written. `mode` is that of a new file
 * (less the umask).
 */
export async function writeStateFile(file: string, text: string, mode = 0o644): Promise<void> {
  await checkStateFile(file);
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await openStateFile(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    mode,
  );
  try {
    await handle.writeFile(text, "utf8");
    await handle.close();
    await fsp.rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => {});
    await fsp.rm(temp, { force: true });
    throw error;
  }
}

/**
 * Appends `text` to `file` (made if missing), never through a symbolic link: a link or anything
 * but a regular file there is a StateFileError naming it (see openStateFile).
 */
export async function appendStateFile(file: string, text: string): Promise<void> {
  const handle = await openStateFile(
    file,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
  );
  try {
    await handle.writeFile(text, "utf8");
  } finally {
    await handle.close();
  }
}

/** Sets the mode of `file`, a regular file (a link there is a StateFileError naming it). */
export async function chmodStateFile(file: string, mode: number): Promise<void> {
  const handle = await openStateFile(file, constants.O_RDONLY);
  try {
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}
