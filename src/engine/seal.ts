/**
 * Tower's seal on what it records as passed: a human approval (from the control room's key, or
 * `tower approve` in a terminal that is not an agent's) and a `run:` checkpoint's success. The
 * seal is an HMAC with a key kept outside the repository and its worktrees (in Tower's config
 * folder, mode 0600), over the repository, the checkpoint and the record. An agent that edits
 * `checkpoints.json` through its worktree's `.claude/state` link cannot make a seal that
 * verifies: such a record reads as forged, and passes nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  constants,
  promises as fsp,
  openSync,
  readFileSync,
  realpathSync,
} from "node:fs";
import path from "node:path";
import { configDir, ensureConfigDir } from "./config-dir.js";
import type { CheckpointEntry } from "./state/formats.js";

export const SEAL_KEY_FILE = "seal.key";

/**
 * The fields of a checkpoint record that the seal covers: a quality gate's results (`criteria`)
 * too, so that a value or an output tail edited by hand breaks the seal.
 */
export type Sealable = Pick<CheckpointEntry, "status" | "by" | "updated" | "note"> & {
  criteria?: unknown;
};

/** The key, if there is one of at least 32 bytes; the file is never followed through a link. */
function readKey(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const key = readFileSync(fd);
    return key.length >= 32 ? key : undefined;
  } finally {
    closeSync(fd);
  }
}

export class Seal {
  private readonly scope: string;
  private key: Buffer | undefined;

  /**
   * `keyFile`: where this machine's key is. A key made later (by another process's first
   * approval) is read when it is first needed.
   */
  constructor(
    private readonly keyFile: string,
    repoRoot: string,
  ) {
    let real = repoRoot;
    try {
      real = realpathSync(repoRoot);
    } catch {}
    this.scope = real;
  }

  /** Whether this machine has a key (no key: nothing recorded so far can verify). */
  get hasKey(): boolean {
    return this.loadKey() !== undefined;
  }

  sign(checkpoint: string, entry: Sealable): string {
    const key = this.loadKey();
    if (!key)
      throw new Error(
        `no seal key in ${this.keyFile}: make it with loadSeal(..., { create: true })`,
      );
    return this.mac(key, checkpoint, entry);
  }

  verify(checkpoint: string, entry: Sealable & { seal?: unknown }): boolean {
    const key = this.loadKey();
    if (!key || typeof entry.seal !== "string") return false;
    const expected = Buffer.from(this.mac(key, checkpoint, entry), "hex");
    const given = Buffer.from(entry.seal, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private loadKey(): Buffer | undefined {
    this.key ??= readKey(this.keyFile);
    return this.key;
  }

  private mac(key: Buffer, checkpoint: string, entry: Sealable): string {
    const fields = [
      "tower-seal-1",
      this.scope,
      checkpoint,
      entry.status,
      entry.by ?? "",
      entry.updated ?? "",
      entry.note ?? "",
    ];
    // Only records that carry results add them: the seals of every other record stay as they were.
    if (entry.criteria !== undefined) fields.push(JSON.stringify(entry.criteria));
    return createHmac("sha256", key).update(fields.join("\0")).digest("hex");
  }
}

/** The project's seal, with a key made if there was none (to sign with). */
export async function signingSeal(
  repoRoot: string,
  current: Seal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Seal> {
  return current.hasKey ? current : loadSeal(repoRoot, { create: true, env });
}

/**
 * The seal of this machine for the repository at `repoRoot`. `create`: make the key when there is
 * none (32 random bytes, mode 0600, never overwritten).
 */
export async function loadSeal(
  repoRoot: string,
  options: { create?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<Seal> {
  const dir = configDir(options.env);
  const file = path.join(dir, SEAL_KEY_FILE);
  if (options.create && !readKey(file)) {
    await ensureConfigDir(dir);
    try {
      await fsp.writeFile(file, randomBytes(32), { flag: "wx", mode: 0o600 });
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return new Seal(file, repoRoot);
}
