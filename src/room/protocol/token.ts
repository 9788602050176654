/**
 * The room's token: 32 random bytes in hex, in `room.token` in the room's private folder, mode
 * 0600. A client proves it runs as the server's user by reading it and sending it in its hello:
 * Node cannot read a unix socket peer's uid (no SO_PEERCRED), so the folder's mode 0700 (only
 * the owner reaches the socket) and the token (only the owner can read it) are the check.
 *
 * A new token is made each time a server starts, so a token read from an earlier server is no
 * use. It is written to a fresh file and renamed into place: a reader sees the old token or the
 * new one, never half of one, and a link planted at the path is replaced, never followed.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, constants, promises as fsp, fstatSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { TargetError, UnsafePathError } from "../../engine/errors.js";

export const TOKEN_FILE = "room.token";
const TOKEN_SHAPE = /^[0-9a-f]{64}$/;

export function tokenPath(dir: string): string {
  return path.join(dir, TOKEN_FILE);
}

/**
 * Makes a new token for the server whose private folder is `dir` (or writes again the one it
 * has, `token`, if the file went), and returns it.
 */
export async function createToken(
  dir: string,
  token = randomBytes(32).toString("hex"),
): Promise<string> {
  const target = tokenPath(dir);
  const fresh = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const file = await fsp.open(
    fresh,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await file.chmod(0o600);
    await file.writeFile(`${token}\n`);
    await file.sync();
  } catch (error) {
    await file.close();
    await fsp.unlink(fresh).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await fsp.rename(fresh, target);
  } catch (error) {
    // Nothing at the path can be replaced by a file (a folder there: EISDIR): the fresh file,
    // which holds the token, does not stay beside it.
    await fsp.unlink(fresh).catch(() => {});
    throw error;
  }
  return token;
}

/**
 * The token of the server whose private folder is `dir`; the error says what is wrong. Read with
 * the synchronous calls: it is on `tower attach`'s way to its first frame (see
 * engine/git/main-root.ts).
 */
export async function readToken(dir: string): Promise<string> {
  const file = tokenPath(dir);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw Object.assign(new TargetError(`no Tower server runs here: ${file} does not exist`), {
        code,
      });
    }
    if (code === "ELOOP") {
      throw new UnsafePathError(
        `${file} is a link: Tower reads its token only from a file of its own`,
      );
    }
    throw new UnsafePathError(`cannot read the Tower token ${file}: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    const uid = process.getuid?.();
    if (!stat.isFile())
      throw new UnsafePathError(`${file} is not a file: Tower will not read a token from it`);
    if (uid !== undefined && stat.uid !== uid) {
      throw new UnsafePathError(
        `${file} belongs to another user (uid ${stat.uid}): it is not this user's token`,
      );
    }
    if ((stat.mode & 0o077) !== 0) {
      throw new UnsafePathError(
        `${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}): Tower will not trust it; stop the server, remove the file and start the server again`,
      );
    }
    const token = readFileSync(fd, "utf8").trim();
    if (!TOKEN_SHAPE.test(token)) {
      throw new UnsafePathError(`${file} does not hold a Tower token (64 hexadecimal digits)`);
    }
    return token;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a token a client sent is the server's, in time that does not depend on where they
 * differ: both are hashed first, so their lengths are equal and say nothing either.
 */
export function tokensMatch(sent: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(sent), digest(expected)) && expected.length > 0;
}
