/**
 * JSON state files shared with other writers (the agents' Python helpers, other tools).
 *
 * Writers take an exclusive flock(2) on the file itself, read it, change it and write it back in
 * place on the same descriptor (truncate + write + fsync); the file is never replaced by rename,
 * so a writer blocked on the old inode cannot write into a file nobody reads. Before each
 * rewrite the previous good content is kept beside the file as `<file>.bak`; a file found
 * unparsable while nobody holds its lock is recovered from there. A file that cannot be
 * recovered is an error and is left untouched: nothing ever overwrites it with defaults.
 */
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { LockTimeoutError, lockExclusive, tryLockExclusive, unlock } from "./flock.js";

export interface JsonFileSpec<T> {
  /** Checks a parsed value and returns it typed; throws ShapeError naming what is wrong. */
  validate(value: unknown): T;
  /** The content of a file that does not exist yet. */
  empty(): T;
}

export class ShapeError extends Error {
  override name = "ShapeError";
}

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = "StateFileError";
  }
}

/** Told when a file was recovered from its last good copy, so it can be logged. */
export type RecoveryListener = (file: string, message: string) => void;

export interface JsonFileOptions {
  onRecovered?: RecoveryListener;
  /** How long a writer waits for another writer's lock (default 30 s). */
  lockTimeoutMs?: number;
}

export const backupPath = (file: string): string => `${file}.bak`;

export function serializeJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; shape: boolean };

function parseText<T>(text: string, spec: JsonFileSpec<T>): Parsed<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `is not valid JSON (${(error as Error).message})`, shape: false };
  }
  try {
    return { ok: true, value: spec.validate(raw) };
  } catch (error) {
    if (error instanceof ShapeError) return { ok: false, reason: error.message, shape: true };
    throw error;
  }
}

const isBlank = (text: string): boolean => text.trim() === "";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function readFd(handle: fsp.FileHandle): Promise<string> {
  const { size } = await handle.stat();
  const buffer = Buffer.alloc(size);
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await handle.read(buffer, offset, size - offset, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return buffer.subarray(0, offset).toString("utf8");
}

async function writeInPlace(handle: fsp.FileHandle, text: string): Promise<void> {
  const data = Buffer.from(text, "utf8");
  await handle.truncate(0);
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, offset);
    offset += bytesWritten;
  }
  await handle.sync();
}

/** Keeps `text` as the last good copy: written whole to a temporary file, then renamed. */
async function writeBackup(file: string, text: string): Promise<void> {
  const temp = `${backupPath(file)}.${process.pid}.tmp`;
  const handle = await fsp.open(temp, "w", 0o644);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, backupPath(file));
}

async function readBackup<T>(
  file: string,
  spec: JsonFileSpec<T>,
): Promise<{ text: string; value: T } | undefined> {
  const text = await readIfExists(backupPath(file));
  if (text === undefined || isBlank(text)) return undefined;
  const parsed = parseText(text, spec);
  return parsed.ok ? { text, value: parsed.value } : undefined;
}

const unrecoverable = (file: string, reason: string): StateFileError =>
  new StateFileError(
    file,
    `${file} ${reason}, and there is no good copy to recover it from (${path.basename(backupPath(file))}): ` +
      "fix or move the file by hand; Tower left it untouched",
  );

interface Current<T> {
  value: T;
  /** The file's text when it parsed, to keep as the last good copy before a rewrite. */
  goodText?: string;
  /** The file must be written even if the change leaves the value as it is (it was recovered). */
  mustWrite: boolean;
}

/** Reads the locked file's content, recovering it from the backup when it is unparsable. */
async function loadLocked<T>(
  file: string,
  handle: fsp.FileHandle,
  spec: JsonFileSpec<T>,
  options: JsonFileOptions,
): Promise<Current<T>> {
  const text = await readFd(handle);
  if (!isBlank(text)) {
    const parsed = parseText(text, spec);
    if (parsed.ok) return { value: parsed.value, goodText: text, mustWrite: false };
    if (parsed.shape)
      throw new StateFileError(file, `${file}: ${parsed.reason}; Tower left it untouched`);
    const backup = await readBackup(file, spec);
    if (!backup) throw unrecoverable(file, parsed.reason);
    options.onRecovered?.(
      file,
      `${path.basename(file)} ${parsed.reason}; recovered it from its last good copy`,
    );
    return { value: backup.value, goodText: backup.text, mustWrite: true };
  }
  // Empty: a new file, or a writer died between truncate and write.
  const backup = await readBackup(file, spec);
  if (!backup) return { value: spec.empty(), mustWrite: true };
  options.onRecovered?.(
    file,
    `${path.basename(file)} was empty; recovered it from its last good copy`,
  );
  return { value: backup.value, goodText: backup.text, mustWrite: true };
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
  options: JsonFileOptions = {},
): Promise<R> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const handle = await fsp.open(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    await lockExclusive(handle.fd, file, options.lockTimeoutMs);
  } catch (error) {
    // After a timeout the pending wait owns the descriptor and closes it.
    if (!(error instanceof LockTimeoutError)) await handle.close();
    throw error;
  }
  try {
    const current = await loadLocked(file, handle, spec, options);
    const before = serializeJson(current.value);
    const result = await change(current.value);
    const after = serializeJson(current.value);
    if (after !== before || current.mustWrite) {
      if (current.goodText !== undefined) await writeBackup(file, current.goodText);
      await writeInPlace(handle, after);
    }
    return result;
  } finally {
    unlock(handle.fd);
    await handle.close();
  }
}

/**
 * Reads without taking the lock. A parse that fails is retried with backoff, since an in-place
 * writer leaves a moment of partial content; a file still unparsable while nobody holds its lock
 * is recovered from its last good copy. A missing file reads as `spec.empty()`.
 */
export async function readJsonFile<T>(
  file: string,
  spec: JsonFileSpec<T>,
  options: JsonFileOptions = {},
): Promise<T> {
  let lastReason = "";
  for (let attempt = 0; attempt < 6; attempt++) {
    const text = await readIfExists(file);
    if (text === undefined) return spec.empty();
    if (!isBlank(text)) {
      const parsed = parseText(text, spec);
      if (parsed.ok) return parsed.value;
      if (parsed.shape) throw new StateFileError(file, `${file}: ${parsed.reason}`);
      lastReason = parsed.reason;
    }
    await sleep(2 ** attempt * 3);
  }
  return recoverUnlocked(file, spec, options, lastReason);
}

/** The file stayed unparsable: if no writer holds the lock, recover it (or read it as empty). */
async function recoverUnlocked<T>(
  file: string,
  spec: JsonFileSpec<T>,
  options: JsonFileOptions,
  reason: string,
): Promise<T> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, constants.O_RDWR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return spec.empty();
    if ((error as NodeJS.ErrnoException).code === "EACCES") {
      throw new StateFileError(
        file,
        `${file} ${reason || "is empty"} and cannot be opened for recovery`,
      );
    }
    throw error;
  }
  if (!tryLockExclusive(handle.fd)) {
    // A writer is at work right now: its result is the truth; read again once it is done.
    await handle.close();
    return updateJsonFile(file, spec, (value) => structuredClone(value), options);
  }
  try {
    const current = await loadLocked(file, handle, spec, options);
    if (current.goodText !== undefined && current.mustWrite) {
      await writeInPlace(handle, serializeJson(current.value));
    }
    return current.value;
  } finally {
    unlock(handle.fd);
    await handle.close();
  }
}
