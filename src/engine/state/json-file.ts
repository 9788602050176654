/**
 * JSON state files shared with other writers (the agents' Python helpers, other tools).
 *
 * Writers take an exclusive flock(2) on the file itself, read it, change it and write it back in
 * place on the same descriptor; the file is never replaced by rename, so a writer blocked on the
 * old inode cannot write into a file nobody reads. The rewrite never leaves the file empty, nor
 * valid JSON that is neither the old text nor the new (see writeInPlace): a writer killed midway
 * leaves the old text, the new one, or a file that is plainly damaged, which no reader takes for
 * "no entries" (the protocol's Python helper reads an empty file so, and writes back only its
 * own entry: every other lock would be lost).
 *
 * The last good content is kept beside the file as `<file>.bak` (written whole to a temporary
 * file, then renamed, always while holding the file's flock, exclusive or shared, so two copies
 * never race). A Tower writer refreshes it from the content it read if that differs (another
 * writer changed the file since), and again once its own write is complete; a long-running Tower
 * process also copies other writers' content there as it changes (snapshotGoodCopy). So the copy
 * holds every change Tower has seen.
 *
 * A file found damaged while nobody holds its lock (an in-place rewrite interrupted: empty, or a
 * prefix of the new content) is read as the complete entries that remain in it merged with the
 * last good copy (json-text.ts): no entry either of them holds is lost. Readers report this and
 * write nothing; the next writer keeps the merged content as the copy, then writes it back. A
 * file that cannot be read or recovered is an error and is left untouched: nothing ever
 * overwrites it with defaults.
 *
 * A copy is made under a temporary name and renamed; a writer killed before the rename leaves
 * that temporary file, which the next writer removes (holding the file's exclusive lock, it
 * knows that no copy is in the making).
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { lockExclusive, lockShared, unlock } from "./flock.js";
import { JsonDepthError, mergeRecovered, parseJsonText, readJsonPrefix } from "./json-text.js";
import { makeFolder } from "./locate.js";
import {
  checkStateFile,
  openStateFile,
  readHandle,
  readStateFile,
  StateFileError,
} from "./safe-fs.js";

export { StateFileError } from "./safe-fs.js";

export interface JsonFileSpec<T> {
  /** Checks a parsed value and returns it typed; throws ShapeError naming what is wrong. */
  validate(value: unknown): T;
  /** The content of a file that does not exist yet. */
  empty(): T;
}

export class ShapeError extends Error {
  override name = "ShapeError";
}

/**
 * Told when a damaged file was read from what remains of it and its last good copy; `wrote`
 * says whether the recovered content was written back (only writers do). Awaited while the
 * file's lock is held, so what it logs comes before the change that follows.
 */
export type RecoveryListener = (
  file: string,
  message: string,
  wrote: boolean,
) => void | Promise<void>;

export interface JsonFileOptions {
  onRecovered?: RecoveryListener;
  /** Told of a problem that did not stop the change (the last good copy could not be kept). */
  onWarning?: (file: string, message: string) => void;
  /** How long a writer (or a reader that must wait for one) waits for a lock (default 30 s). */
  lockTimeoutMs?: number;
}

export const backupPath = (file: string): string => `${file}.bak`;

export function serializeJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;
const isBlank = (text: string): boolean => text.trim() === "";

/**
 * The first character of a file while Tower rewrites it (see writeInPlace): not JSON, not
 * blank. Serialized state always starts with `{`, which is put back last.
 */
const REWRITING = "!";

/** A file's text read as a state value: good, blank, damaged (unparsable) or of a wrong shape. */
type Reading<T> =
  | { kind: "good"; value: T }
  | { kind: "blank" }
  | { kind: "damaged"; reason: string };

function interpret<T>(file: string, text: string, spec: JsonFileSpec<T>): Reading<T> {
  if (isBlank(text)) return { kind: "blank" };
  if (text.startsWith(REWRITING)) {
    return { kind: "damaged", reason: "was left half-rewritten by a writer that stopped midway" };
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (error) {
    if (error instanceof JsonDepthError) {
      throw new StateFileError(file, `${file}: ${error.message}; Tower left it untouched`);
    }
    return { kind: "damaged", reason: `is not valid JSON (${(error as Error).message})` };
  }
  return { kind: "good", value: validated(file, raw, spec) };
}

function validated<T>(file: string, raw: unknown, spec: JsonFileSpec<T>): T {
  try {
    return spec.validate(raw);
  } catch (error) {
    if (error instanceof ShapeError) {
      throw new StateFileError(file, `${file}: ${error.message}; Tower left it untouched`);
    }
    throw error;
  }
}

/** The last good copy's text and value, if there is a usable one. */
async function readBackup<T>(
  file: string,
  spec: JsonFileSpec<T>,
): Promise<{ text: string; value: T } | undefined> {
  const text = await readStateFile(backupPath(file));
  if (text === undefined || isBlank(text)) return undefined;
  try {
    return { text, value: spec.validate(parseJsonText(text)) };
  } catch {
    return undefined;
  }
}

const unrecoverable = (file: string, reason: string): StateFileError =>
  new StateFileError(
    file,
    `${file} ${reason}, and there is no good copy to recover it from (${path.basename(backupPath(file))}): ` +
      "fix or move the file by hand; Tower left it untouched",
  );

interface Recovered<T> {
  value: T;
  message: string;
}

/** A damaged or blank file read as what remains of it merged with its last good copy. */
async function recover<T>(
  file: string,
  text: string,
  reading: Exclude<Reading<T>, { kind: "good" }>,
  spec: JsonFileSpec<T>,
): Promise<Recovered<T> | undefined> {
  const name = path.basename(file);
  const copy = path.basename(backupPath(file));
  const backup = await readBackup(file, spec);
  if (reading.kind === "blank") {
    if (!backup) return undefined;
    return {
      value: backup.value,
      message: `${name} was empty (a writer stopped between truncating and rewriting it); read it from its last good copy (${copy})`,
    };
  }
  if (!backup) throw unrecoverable(file, reading.reason);
  let prefix: ReturnType<typeof readJsonPrefix>;
  try {
    prefix = readJsonPrefix(text);
  } catch (error) {
    if (!(error instanceof JsonDepthError)) throw error;
    throw new StateFileError(file, `${file}: ${error.message}; Tower left it untouched`);
  }
  let value: T;
  try {
    value = spec.validate(mergeRecovered(prefix, backup.value));
  } catch {
    // What remains does not fit the file's shape: only the copy can be trusted.
    value = backup.value;
  }
  return {
    value,
    message: `${name} ${reading.reason}; read the complete entries left in it merged with its last good copy (${copy})`,
  };
}

/**
 * Writes `text` as the last good copy: whole to a new temporary file, then renamed (the copy is
 * never partial). Throws a StateFileError that names the copy.
 */
async function writeBackup(file: string, text: string): Promise<void> {
  const backup = backupPath(file);
  await checkStateFile(backup);
  const temp = `${backup}.${process.pid}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`;
  // O_EXCL: a name planted in advance (a link, anything) is never opened.
  const handle = await openStateFile(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
  );
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
    await handle.close();
    await fsp.rename(temp, backup);
  } catch (error) {
    await handle.close().catch(() => {});
    await fsp.rm(temp, { force: true });
    throw new StateFileError(file, `could not write ${backup}: ${(error as Error).message}`);
  }
}

const TEMP_SUFFIX = ".tmp";

/**
 * Removes the temporary copies that writers killed before their rename left beside `file`. Only
 * while holding the file's exclusive lock: every copy is made under the file's lock, so none of
 * them is in the making.
 */
async function removeLeftCopies(file: string): Promise<void> {
  const prefix = `${path.basename(backupPath(file))}.`;
  const names = await fsp.readdir(path.dirname(file)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+\.[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) {
      continue;
    }
    await fsp.rm(path.join(path.dirname(file), name), { force: true }).catch(() => {});
  }
}

/** Keeps `text` as the last good copy unless the copy already holds exactly that. */
async function refreshBackup(file: string, text: string): Promise<boolean> {
  if ((await readStateFile(backupPath(file))) === text) return false;
  await writeBackup(file, text);
  return true;
}

/**
 * After the file was rewritten: the change is stored whatever happens here, so a copy that
 * cannot be written is a warning (the copy then holds the content before this change).
 */
async function keepWritten(file: string, text: string, options: JsonFileOptions): Promise<void> {
  try {
    await writeBackup(file, text);
  } catch (error) {
    if (!(error instanceof StateFileError)) throw error;
    options.onWarning?.(file, `${error.message}; the change itself was stored`);
  }
}

async function writeAt(handle: fsp.FileHandle, data: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      offset,
      data.length - offset,
      position + offset,
    );
    offset += bytesWritten;
  }
}

/**
 * Rewrites the file in place so that a writer killed at any point leaves the old text, the new
 * text, or a damaged file, never an empty one nor a valid mix of the two: the first character
 * becomes REWRITING (one byte, written whole or not at all), then the new text goes behind it,
 * the file is cut to its length, and the new first character goes in last. A kill before the
 * first write leaves the old text; after it, until the last one, the file starts with REWRITING.
 */
async function writeInPlace(file: string, handle: fsp.FileHandle, text: string): Promise<void> {
  const data = Buffer.from(text, "utf8");
  try {
    await writeAt(handle, Buffer.from(REWRITING), 0);
    await writeAt(handle, data.subarray(1), 1);
    await handle.truncate(data.length);
    await writeAt(handle, data.subarray(0, 1), 0);
    await handle.sync();
  } catch (error) {
    throw new StateFileError(
      file,
      `could not write ${file}: ${(error as Error).message}; the change was not made, and the next command reads the file from what remains of it and its last good copy (${path.basename(backupPath(file))})`,
    );
  }
}

/** Opens the file for writing; `created` when this call made it. */
async function openForUpdate(file: string): Promise<{ handle: fsp.FileHandle; created: boolean }> {
  for (;;) {
    try {
      return { handle: await openStateFile(file, constants.O_RDWR), created: false };
    } catch (error) {
      if (code(error) !== "ENOENT") throw error;
    }
    try {
      const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL;
      return { handle: await openStateFile(file, flags), created: true };
    } catch (error) {
      if (code(error) !== "EEXIST") throw error;
    }
  }
}

/** Runs `body` holding the file's lock on `handle`, then releases it and closes the file. */
async function withLock<R>(
  file: string,
  handle: fsp.FileHandle,
  mode: "exclusive" | "shared",
  options: JsonFileOptions,
  body: () => Promise<R>,
): Promise<R> {
  try {
    const take = mode === "exclusive" ? lockExclusive : lockShared;
    await take(handle.fd, file, options.lockTimeoutMs);
  } catch (error) {
    await handle.close();
    throw error;
  }
  try {
    return await body();
  } finally {
    unlock(handle.fd);
    await handle.close();
  }
}

export interface UpdateOptions<R> extends JsonFileOptions {
  /**
   * Runs once the change is stored (written and fsynced, or nothing needed writing), while the
   * file's lock is still held: what it records (the activity log) is then in the order in
   * which the changes were made, and never records a change that was not stored.
   */
  afterWrite?: (result: R) => void | Promise<void>;
}

/**
 * Holds the file's exclusive lock while `change` edits its value in place, then writes the value
 * back if it changed. Returns what `change` returns. Throws StateFileError, leaving the file as it
 * was, when the file holds something that cannot be read or recovered.
 */
export async function updateJsonFile<T, R>(
  file: string,
  spec: JsonFileSpec<T>,
  change: (value: T) => R | Promise<R>,
  options: UpdateOptions<R> = {},
): Promise<R> {
  await makeFolder(path.dirname(file), file);
  const { handle, created } = await openForUpdate(file);
  return withLock(file, handle, "exclusive", options, async () => {
    const text = await readHandle(handle);
    const reading = interpret(file, text, spec);
    let value: T;
    let recovered: Recovered<T> | undefined;
    if (reading.kind === "good") value = reading.value;
    else {
      recovered = created ? undefined : await recover(file, text, reading, spec);
      value = recovered?.value ?? spec.empty();
    }
    const before = serializeJson(value);
    const result = await change(value);
    const after = serializeJson(value);
    // A file this call created is written even unchanged: other readers (the Python helper's
    // json.load) fail on an empty file.
    if (after !== before || recovered || created) {
      await removeLeftCopies(file);
      // The copy must hold what the file holds now before the file is rewritten: its text, or
      // what was recovered from it (entries only the damaged file held are in no copy yet).
      const current = reading.kind === "good" ? text : recovered ? before : undefined;
      if (current !== undefined) {
        await refreshBackup(file, current).catch((error: unknown) => {
          if (!(error instanceof StateFileError)) throw error;
          throw new StateFileError(
            file,
            `${error.message}; ${path.basename(file)} was left as it was and the change not made`,
          );
        });
      }
      await writeInPlace(file, handle, after);
      await keepWritten(file, after, options);
      if (recovered) await options.onRecovered?.(file, `${recovered.message}; wrote it back`, true);
    }
    await options.afterWrite?.(result);
    return result;
  });
}

/**
 * Reads without taking the lock; a read that does not parse (an in-place writer leaves a moment
 * of partial content) is read again under a shared lock, which waits for any writer. Still
 * damaged then, it is read as what remains merged with the last good copy, reported through
 * `onRecovered`, and nothing is written. A missing file reads as `spec.empty()`.
 */
export async function readJsonFile<T>(
  file: string,
  spec: JsonFileSpec<T>,
  options: JsonFileOptions = {},
): Promise<T> {
  const text = await readStateFile(file);
  if (text === undefined) return spec.empty();
  const first = interpret(file, text, spec);
  if (first.kind === "good") return first.value;
  let handle: fsp.FileHandle;
  try {
    handle = await openStateFile(file, constants.O_RDONLY);
  } catch (error) {
    if (code(error) === "ENOENT") return spec.empty();
    throw error;
  }
  return withLock(file, handle, "shared", options, async () => {
    const settled = await readHandle(handle);
    const reading = interpret(file, settled, spec);
    if (reading.kind === "good") return reading.value;
    const recovered = await recover(file, settled, reading, spec);
    if (!recovered) return spec.empty();
    await options.onRecovered?.(
      file,
      `${recovered.message}; the next change writes it back`,
      false,
    );
    return recovered.value;
  });
}

export type SnapshotResult = "copied" | "unchanged" | "missing" | "damaged";

/**
 * Keeps the file's current content as its last good copy when it reads whole and differs from
 * the copy: for a long-running Tower process that follows the files as they change, so that
 * changes made by other writers (which never write the copy) survive an interruption of a later
 * rewrite. Reads under a shared flock: in-place writers hold it exclusive while they write, so
 * what is read is whole. `spec` checks the shape (default: any JSON). Never writes the file.
 */
export async function snapshotGoodCopy(
  file: string,
  spec?: JsonFileSpec<unknown>,
  options: JsonFileOptions = {},
): Promise<SnapshotResult> {
  let handle: fsp.FileHandle;
  try {
    handle = await openStateFile(file, constants.O_RDONLY);
  } catch (error) {
    if (code(error) === "ENOENT") return "missing";
    throw error;
  }
  return withLock(file, handle, "shared", options, async () => {
    const text = await readHandle(handle);
    if (isBlank(text)) return "damaged";
    try {
      const raw = parseJsonText(text);
      spec?.validate(raw);
    } catch {
      return "damaged";
    }
    return (await refreshBackup(file, text)) ? "copied" : "unchanged";
  });
}
