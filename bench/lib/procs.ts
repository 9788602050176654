/**
 * What a process costs, read from /proc (Linux): CPU time and resident memory, and the processes
 * a benchmark left behind.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's times (`getconf CLK_TCK`, nearly always 100). */
export const CLK_TCK: number = (() => {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

export interface CpuTime {
  /** utime + stime of /proc/<pid>/stat: every thread, living or gone; tick resolution. */
  selfMs: number;
  /** cutime + cstime: children that exited and were waited for (Tower: git, helpers). */
  childrenMs: number;
  /**
   * The sum of the living threads' run time from /proc/<pid>/task/<tid>/schedstat, in
   * nanoseconds: fine-grained, for the small figures of an idle program.
   */
  threadsNs: number;
}

/** The CPU time `pid` has used so far; zeros when it is gone. */
export function cpuTime(pid: number): CpuTime {
  let selfMs = 0;
  let childrenMs = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14-17 (utime, stime, cutime, cstime) are at 11-14 counting from field 3.
    const tick = (i: number) => (Number(fields[i] ?? 0) * 1000) / CLK_TCK;
    selfMs = tick(11) + tick(12);
    childrenMs = tick(13) + tick(14);
  } catch {
    return { selfMs: 0, childrenMs: 0, threadsNs: 0 };
  }
  let threadsNs = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const schedstat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
        threadsNs += Number(schedstat.split(" ")[0] ?? 0);
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    // The process ended meanwhile.
  }
  return { selfMs, childrenMs, threadsNs };
}

/** The sum of several processes' CPU times. */
export function totalCpu(pids: readonly number[]): CpuTime {
  const sum: CpuTime = { selfMs: 0, childrenMs: 0, threadsNs: 0 };
  for (const pid of pids) {
    const t = cpuTime(pid);
    sum.selfMs += t.selfMs;
    sum.childrenMs += t.childrenMs;
    sum.threadsNs += t.threadsNs;
  }
  return sum;
}

/** `after` - `before`. */
export function cpuSince(before: CpuTime, after: CpuTime): CpuTime {
  return {
    selfMs: after.selfMs - before.selfMs,
    childrenMs: after.childrenMs - before.childrenMs,
    threadsNs: after.threadsNs - before.threadsNs,
  };
}

export interface Memory {
  /** VmRSS: resident now, in bytes. */
  rss: number;
  /** VmHWM: the peak resident set since the process started, in bytes. */
  peak: number;
}

/** Whether `pid` runs (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Resident memory of `pid`; zeros when it is gone. */
export function memory(pid: number): Memory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/**
 * The proportional set size of `pid` (/proc/<pid>/smaps_rollup, in bytes): its resident pages,
 * each page shared with other processes divided among them. Summed over a program's processes it
 * counts the pages they share (the program's code, its libraries) once, where VmRSS counts them in
 * each. 0 when it is gone.
 */
export function proportionalSet(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The sum of several processes' resident memory. */
export function totalMemory(pids: readonly number[]): Memory {
  return pids.map(memory).reduce((a, b) => ({ rss: a.rss + b.rss, peak: a.peak + b.peak }), {
    rss: 0,
    peak: 0,
  });
}

/**
 * What `pid`'s open file descriptors point at (/proc/<pid>/fd), numbers masked ("pipe:[N]",
 * "/dev/ptmx"), sorted; empty when it is gone. To say what a descriptor check found.
 */
export function openFdTargets(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch {
    return [];
  }
  const targets: string[] = [];
  for (const fd of fds) {
    try {
      targets.push(readlinkSync(`${dir}/${fd}`).replace(/\d+/g, "N"));
    } catch {
      // closed since the listing
    }
  }
  return targets.sort();
}

/** What is in `after` and not in `before` (as multisets), e.g. "pipe:[N] x3, anon_inode:[eventfd]". */
export function addedTargets(before: readonly string[], after: readonly string[]): string {
  const count = new Map<string, number>();
  for (const t of after) count.set(t, (count.get(t) ?? 0) + 1);
  for (const t of before) count.set(t, (count.get(t) ?? 0) - 1);
  return [...count]
    .filter(([, n]) => n > 0)
    .map(([t, n]) => (n > 1 ? `${t} x${n}` : t))
    .join(", ");
}

/** How many file descriptors `pid` has open (/proc/<pid>/fd); NaN when it is gone. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/**
 * The living children of `pid` whose command line contains `marker` (a Tower server's git
 * helper, for one), from the parent pid in /proc/<pid>/stat.
 */
export function childrenOf(pid: number, marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    try {
      const stat = readFileSync(`/proc/${child}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== pid || fields[0] === "Z") continue;
      if (readFileSync(`/proc/${child}/cmdline`, "utf8").includes(marker)) found.push(child);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export interface ProcessInfo {
  pid: number;
  command: string;
}

/**
 * This user's processes (other than this one) whose working directory or command line lies under
 * `dir`: what a benchmark that ran everything inside `dir` left behind.
 */
export function processesUnder(dir: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // Another user's process, or gone.
      }
      if (cwd === dir || cwd.startsWith(`${dir}/`) || command.includes(dir)) {
        found.push({ pid, command: command || `[pid ${pid}]` });
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/**
 * Waits up to `graceMs` for the processes under `dir` to end, then kills what is left (SIGKILL)
 * and returns it, so that the caller can report it as a failure.
 */
export async function reapUnder(dir: string, graceMs = 5_000): Promise<ProcessInfo[]> {
  const deadline = performance.now() + graceMs;
  let left = processesUnder(dir);
  while (left.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = processesUnder(dir);
  }
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  return left;
}
