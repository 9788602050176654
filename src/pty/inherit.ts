/**
 * Keeps Tower's terminals out of the programs it starts.
 *
 * node-pty 1.1 opens each agent's pty master with forkpty(3), which cannot make it close-on-exec,
 * and never marks it afterwards (node-pty issue #657; the fix in 1.2's betas closes descriptors
 * only in node-pty's own children). So every program Tower started after an agent inherited that
 * agent's master: the next agents, git, validation commands. An agent could type into another
 * agent's terminal (answer its "Do you want to proceed?"), and a terminal stayed open after Tower
 * died, so its agent was never hung up. Node opens its own descriptors close-on-exec already.
 *
 * The flag is set with fcntl(2) from fs-ext-extra-prebuilt (the native module the state files'
 * flock already uses). Spawning runs on the main thread, so nothing can fork between node-pty
 * returning the master and `closeOnExec` marking it.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { createRequire } from "node:module";

type FsExt = typeof import("fs-ext-extra-prebuilt");
const fsExt = createRequire(import.meta.url)("fs-ext-extra-prebuilt") as FsExt;

/**
 * Marks `fd` close-on-exec. Returns true when it was not marked before, false when it was or
 * cannot be (closed).
 */
export function closeOnExec(fd: number): boolean {
  try {
    const flags = fsExt.fcntlSync(fd, "getfd");
    if ((flags & fsExt.constants.FD_CLOEXEC) !== 0) return false;
    fsExt.fcntlSync(fd, "setfd", flags | fsExt.constants.FD_CLOEXEC);
    return true;
  } catch {
    return false;
  }
}

/** A terminal device: a pty master (`/dev/ptmx`), a pty slave, or a console. */
function isTerminal(target: string): boolean {
  return target === "/dev/ptmx" || target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
}

/**
 * Marks every terminal this process holds above stdin/stdout/stderr close-on-exec (Linux; a
 * no-op where /proc/self/fd is missing): masters opened by anything else in this process, and
 * terminals inherited from Tower's own parent. Returns the descriptors it marked.
 */
export function keepTerminalsFromChildren(): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc/self/fd");
  } catch {
    return [];
  }
  const marked: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3) continue;
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the directory's own descriptor, closed by now
    }
    if (isTerminal(target) && closeOnExec(fd)) marked.push(fd);
  }
  return marked;
}
