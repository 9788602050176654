/**
 * Whether a process acts for one of Tower's agents: it is an agent's process or runs under one
 * (its parent chain), in an agent's session, or on an agent's terminal. A human approval must
 * not come from there. Agents are known by the pids in `agents.json`; on Linux the rest is read
 * from /proc. (Elsewhere only the TOWER_AGENT_ID variable is there to tell.)
 */
import { promises as fsp } from "node:fs";
import type { StateStore } from "./state/store.js";

interface ProcStat {
  ppid: number;
  session: number;
  tty: number;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
async function procStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // state ppid pgrp session tty_nr ...
  return { ppid: Number(fields[1]), session: Number(fields[3]), tty: Number(fields[4]) };
}

export interface AgentOrigin {
  agent: string;
  how: string;
}

export async function agentOrigin(
  store: StateStore,
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): Promise<AgentOrigin | undefined> {
  if (env.TOWER_AGENT_ID) return { agent: env.TOWER_AGENT_ID, how: "TOWER_AGENT_ID is set" };
  const agents = (await store.read("agents").catch(() => ({ agents: {} }))).agents as Record<
    string,
    { pid?: number | null; status?: string }
  >;
  const live = Object.entries(agents).filter(
    (entry): entry is [string, { pid: number; status?: string }] =>
      typeof entry[1].pid === "number" && entry[1].status !== "exited",
  );
  if (live.length === 0) return undefined;
  const own = await procStat(pid);
  if (!own) return undefined;
  for (const [agent, record] of live) {
    const stat = await procStat(record.pid);
    if (!stat) continue;
    // node-pty makes each agent the leader of its own session, on its own terminal.
    if (own.session === stat.session) return { agent, how: "it runs in the agent's session" };
    if (own.tty !== 0 && own.tty === stat.tty)
      return { agent, how: "it runs on the agent's terminal" };
  }
  const agentPids = new Map(live.map(([agent, record]) => [record.pid, agent]));
  let current: number | undefined = pid;
  for (let depth = 0; current !== undefined && current > 1 && depth < 64; depth++) {
    const agent = agentPids.get(current);
    if (agent) return { agent, how: "it runs under the agent's process" };
    current = (await procStat(current))?.ppid;
  }
  return undefined;
}
