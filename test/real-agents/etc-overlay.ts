/**
 * An administrator's files under /etc for one program and its children only, nothing of the
 * machine's changed: a folder standing in for /etc (each entry of the real one linked, plus the
 * files given), bound over /etc in a mount namespace of the program's own (`unshare -m`, which
 * takes root). What a CLI reads at a fixed path there (Codex's /etc/codex/requirements.toml)
 * can be tried so.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";

/** Whether this machine lets a test make a mount namespace (root, and `unshare` works). */
export const canOverlayEtc = (): boolean =>
  process.getuid?.() === 0 && spawnSync("unshare", ["-m", "true"]).status === 0;

/** The shell words that run "$@" with `etc` bound over /etc (the real one at `real`). */
const BIND = 'mount --bind /etc "$1" && mount --bind "$2" /etc && shift 2 && exec "$@"';

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
  const etc = path.join(dir, "etc");
  const real = path.join(dir, "real");
  mkdirSync(etc);
  mkdirSync(real);
  const tops = new Set(Object.keys(files).map((file) => file.split("/")[0]));
  for (const name of readdirSync("/etc")) {
    // The real one's entries, through where it stays visible once this one is over it.
    if (!tops.has(name)) symlinkSync(path.join(real, name), path.join(etc, name));
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(etc, file)), { recursive: true });
    writeFileSync(path.join(etc, file), text);
  }
  const prefix = ["unshare", "-m", "sh", "-c", BIND, "sh", real, etc];
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
