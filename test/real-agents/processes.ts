/**
 * Processes found through /proc (Linux): the ones a CLI under test left behind are recognised
 * by a variable of their environment (each run has its own CODEX_HOME, HOME, ...).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group and session ids. */
  pgid: number;
  sid: number;
  /** State letter from /proc/<pid>/stat (R, S, Z, ...). */
  state: string;
  cmdline: string;
}

function info(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return {
      pid,
      state: fields[0] ?? "?",
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      sid: Number(fields[3]),
      cmdline,
    };
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/** Live (not zombie) processes whose environment has `name=value`. */
export function processesWithEnv(name: string, value: string): ProcessInfo[] {
  const needle = `${name}=${value}`;
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "utf8");
    } catch {
      continue;
    }
    if (!environ.split("\0").includes(needle)) continue;
    const proc = info(Number(entry));
    if (proc !== undefined && proc.state !== "Z") found.push(proc);
  }
  return found;
}

/** One line per process: pid, parent, group, session and command line. */
export function describeProcesses(list: readonly ProcessInfo[]): string {
  return list
    .map((p) => `pid ${p.pid} ppid ${p.ppid} pgid ${p.pgid} sid ${p.sid} ${p.state}: ${p.cmdline}`)
    .join("\n");
}

/** SIGKILL to each process (cleanup of what a test found left behind). */
export function killAll(list: readonly ProcessInfo[]): void {
  for (const p of list) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

/** The paths of the unix sockets process `pid` has open (listening or connected). */
export function unixSocketsOf(pid: number): string[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode !== undefined) inodes.add(inode);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    return [];
  }
  const paths: string[] = [];
  for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const inode = fields[6];
    const file = fields[7];
    if (inode !== undefined && file?.startsWith("/") && inodes.has(inode)) {
      paths.push(file);
    }
  }
  return [...new Set(paths)];
}
