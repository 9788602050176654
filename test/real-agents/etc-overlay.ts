/**
 * An administrator's files under /etc for one program and its children only, nothing of the
 * machine's changed: the files given laid over /etc (overlayfs) in a mount namespace of the
 * program's own (`unshare -m`, which takes root). What a CLI reads at a fixed path there
 * (Codex's /etc/codex/requirements.toml) can be tried so.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Whether this machine lets a test lay files over /etc so (root, `unshare`, overlayfs). */
export function canOverlayEtc(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = etcOverlay({});
  try {
    return spawnSync(probe.prefix[0] as string, [...probe.prefix.slice(1), "true"]).status === 0;
  } finally {
    probe.cleanup();
  }
}

/** The shell words that run "$@" with the folder `$1` laid over /etc (`$2`: overlayfs's own). */
const OVERLAY =
  'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && shift 2 && exec "$@"';

export interface EtcOverlay {
  /** The words that run a command with the overlay: `[...prefix, command, ...args]`. */
  prefix: string[];
  /** An executable named `name` (as a CLI is known by its name) that runs `target` so. */
  wrapper(name: string, target: string): string;
  cleanup(): void;
}

/** /etc as it is, with `files` (paths under /etc) added or in place of its own. */
export function etcOverlay(files: Record<string, string>): EtcOverlay {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-etc-"));
  const upper = path.join(dir, "upper");
  const work = path.join(dir, "work");
  mkdirSync(upper);
  mkdirSync(work);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(upper, file)), { recursive: true });
    writeFileSync(path.join(upper, file), text);
  }
  const prefix = ["unshare", "-m", "sh", "-c", OVERLAY, "sh", upper, work];
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  return {
    prefix,
    wrapper(name, target) {
      const bin = path.join(dir, "bin");
      mkdirSync(bin, { recursive: true });
      const file = path.join(bin, name);
      writeFileSync(file, `#!/bin/sh\nexec ${[...prefix, target].map(quote).join(" ")} "$@"\n`);
      chmodSync(file, 0o755);
      return file;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
