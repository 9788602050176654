/**
 * Opening state files without leaving the state directory: never through a symbolic link
 * (O_NOFOLLOW on the file, lstat on the folders above it), and only when it is a regular file
 * (O_NONBLOCK, then fstat: a FIFO must be an error, not an open or a read that waits forever).
 */
import { constants, promises as fsp, type Stats } from "node:fs";

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

/** "a FIFO", "a folder", ... for what is not a regular file. */
function kindOf(stat: Stats): string {
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

/** Throws a StateFileError when `dir` exists and is anything but a real folder. */
export async function checkStateFolder(dir: string): Promise<void> {
  let stat: Stats;
  try {
    stat = await fsp.lstat(dir);
  } catch (error) {
    if (code(error) === "ENOENT") return;
    throw error;
  }
  if (stat.isSymbolicLink()) throw await symlinkError(dir);
  if (!stat.isDirectory()) {
    throw new StateFileError(dir, `${dir} is ${kindOf(stat)}, not a folder: move it away`);
  }
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
