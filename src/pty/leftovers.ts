/**
 * Agents left running by a Tower that is gone (killed with kill -9, or a crash that skipped its
 * stop), found again from the pids in agents.json. A new Tower cannot adopt them: it does not
 * hold their terminals, so it could neither show nor type into them. It stops them instead, and
 * only then starts the agents anew, so that no agent runs twice in one worktree.
 *
 * Read from /proc (Linux). A pid is taken for the agent only if its environment says so
 * (TOWER_AGENT_ID and TOWER_REPO_ROOT, which every agent is started with): a pid reused by
 * another program is left alone. An agent whose terminal is still held by its parent process is
 * not left over: another Tower runs it.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface AgentProcess {
  pid: number;
  ppid: number;
  /** Index N of its terminal /dev/pts/N, if it has one. */
  pts: number | undefined;
}

/** The pts majors (UNIX98_PTY_SLAVE_MAJOR and the seven after it). */
const PTS_MAJOR_FIRST = 136;
const PTS_MAJOR_LAST = 143;

/** The fields of /proc/<pid>/stat after the command's name, state first; undefined if none. */
function procStat(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The name is in parentheses and may hold spaces and parentheses itself.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

const exitedState = (state: string | undefined) => state === "Z" || state === "X";

/** The fields of /proc/<pid>/stat after the command's name; undefined when gone or a zombie. */
function statFields(pid: number): string[] | undefined {
  const fields = procStat(pid);
  return fields === undefined || exitedState(fields[0]) ? undefined : fields;
}

/**
 * Whether /proc shows `pid` as exited but not yet reaped by its parent (a zombie): kill(pid, 0)
 * still finds such a process. False where there is no /proc.
 */
export function isZombie(pid: number): boolean {
  return exitedState(procStat(pid)?.[0]);
}

/** Whether the process exists and has not exited (a zombie has). */
export function isAlive(pid: number): boolean {
  return statFields(pid) !== undefined;
}

/**
 * The process `pid` if it is alive and its environment says it is agent `agent` of the
 * repository at `repoRoot`; undefined otherwise (gone, a zombie, someone else's, another
 * program with that pid now, or no /proc).
 */
export function findAgentProcess(
  pid: number,
  agent: string,
  repoRoot: string,
): AgentProcess | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, "utf8");
  } catch {
    return undefined;
  }
  const env = environ.split("\0");
  if (!env.includes(`TOWER_AGENT_ID=${agent}`) || !env.includes(`TOWER_REPO_ROOT=${repoRoot}`)) {
    return undefined;
  }
  // stat: state, ppid, pgrp, session, tty_nr, ...
  const ttyNr = Number(fields[4]);
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  const pts =
    major >= PTS_MAJOR_FIRST && major <= PTS_MAJOR_LAST
      ? (major - PTS_MAJOR_FIRST) * 256 + minor
      : undefined;
  return { pid, ppid: Number(fields[1]), pts };
}

/**
 * Whether process `holder` has the master of /dev/pts/`pts` open: a live Tower holds each of its
 * agents' masters (the kernel shows the terminal's index in the master's fdinfo).
 */
export function holdsTerminal(holder: number, pts: number): boolean {
  let names: string[];
  try {
    names = readdirSync(`/proc/${holder}/fd`);
  } catch {
    return false;
  }
  for (const name of names) {
    try {
      if (readlinkSync(`/proc/${holder}/fd/${name}`) !== "/dev/ptmx") continue;
      const info = readFileSync(`/proc/${holder}/fdinfo/${name}`, "utf8");
      if (new RegExp(`^tty-index:\\s*${pts}$`, "m").test(info)) return true;
    } catch {
      // Closed while we looked.
    }
  }
  return false;
}

/** The Tower that runs this agent: its parent, if that holds the agent's terminal. */
export function runningTower(agent: AgentProcess): number | undefined {
  if (agent.pts === undefined || agent.ppid <= 1) return undefined;
  return holdsTerminal(agent.ppid, agent.pts) ? agent.ppid : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (!isAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  // The agent leads its own session and process group (node-pty's forkpty made it so).
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // Gone already.
    }
  }
}

/**
 * Stops a left-over agent as Tower stops its own: SIGTERM to its process group, SIGKILL after
 * `graceMs`. Resolves with the signal that ended it (null if it was gone already).
 */
export async function stopLeftover(
  pid: number,
  graceMs: number,
): Promise<"SIGTERM" | "SIGKILL" | null> {
  if (!isAlive(pid)) return null;
  signalGroup(pid, "SIGTERM");
  if (await gone(pid, graceMs)) return "SIGTERM";
  signalGroup(pid, "SIGKILL");
  await gone(pid, 5_000);
  return "SIGKILL";
}
