/**
 * Helpers for the fault tests: the agent processes of a test repository, found from /proc by
 * their environment (every agent and its children carry TOWER_REPO_ROOT and TOWER_AGENT_ID),
 * and agents.json read from the state directory.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";

export interface AgentProcess {
  pid: number;
  agent: string;
  /** Parent pid (1 or a subreaper once the agent's Tower is gone). */
  ppid: number;
}

/** Every live process whose environment says it is an agent of the repository at `root`. */
export function agentProcesses(root: string): AgentProcess[] {
  const found: AgentProcess[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    let stat: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, "utf8");
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // gone, or not ours
    }
    // A zombie has exited; only its parent's wait is missing.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") continue;
    const env = new Map(
      environ
        .split("\0")
        .filter((entry) => entry.includes("="))
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
    );
    if (env.get("TOWER_REPO_ROOT") !== root) continue;
    found.push({
      pid: Number(name),
      agent: env.get("TOWER_AGENT_ID") ?? "?",
      ppid: Number(fields[1]),
    });
  }
  return found;
}

export interface AgentRecord {
  stream: string;
  status: string;
  pid?: number | null;
  exit_code?: number | null;
  signal?: string | null;
}

export function readAgents(stateDir: string): Record<string, AgentRecord> {
  try {
    const text = readFileSync(path.join(stateDir, "agents.json"), "utf8");
    return (JSON.parse(text) as { agents: Record<string, AgentRecord> }).agents;
  } catch {
    return {};
  }
}

/** Kills what is left of a test's agents (after a failed test). */
export function killAgents(root: string): void {
  for (const { pid } of agentProcesses(root)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
}

/** Processes whose working directory is under `dir` (Tower in the repository, agents in worktrees). */
export function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(name));
    } catch {}
  }
  return found;
}

/**
 * Waits (up to `timeoutMs`) for every process working under `dir` to end, then kills what is
 * left: a Tower stopping its agents still writes its state files, which a cleanup must not race.
 */
export async function settle(dir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processesIn(dir).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const pid of processesIn(dir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
}
