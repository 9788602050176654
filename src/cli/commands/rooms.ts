import type { Command } from "commander";
import { loadContext } from "../context.js";
import { localTime, printJson, table } from "../format.js";

/** `tower ls`: the rooms of this machine (this user's servers that are alive). */
async function listRoomsCommand(options: { json?: boolean }): Promise<void> {
  const { listRooms } = await import("../../server/info.js");
  const rooms = await listRooms();
  if (options.json) return printJson(rooms);
  if (rooms.length === 0) {
    process.stdout.write("no Tower server runs on this machine\n");
    return;
  }
  const rows = [["REPOSITORY", "PID", "AGENTS", "CLIENTS", "SINCE"]];
  for (const r of rooms) {
    rows.push([
      r.repo,
      String(r.pid),
      `${r.agents.running}/${r.agents.total}`,
      String(r.clients),
      localTime(r.started),
    ]);
  }
  process.stdout.write(`${table(rows)}\n`);
}

interface AgentRow {
  id: string;
  stream: string;
  status: string;
  pid: number | null;
  since: string;
}

/**
 * `tower ps [repository]`: the agents of this repository's room (or the named one's, or outside
 * any repository the only one running: server/target.ts). The status comes from the server when
 * one runs (its live view); the pid and since when from agents.json, which the server writes.
 * With no server, agents.json says what was last true and every agent is not running.
 */
async function psCommand(
  repository: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const { attachRoot } = await import("../../server/target.js");
  const context = await loadContext(await attachRoot(repository, { fallback: true }));
  const { findServer } = await import("../../server/connect.js");
  const { dir, server: info } = await findServer(context.repo.mainRoot);
  const file = await context.store.read("agents");
  const running = info !== undefined;
  const rows: AgentRow[] = [];
  if (running) {
    const { connectToRoom } = await import("../../room/protocol/index.js");
    const { RemoteRoom } = await import("../../server/remote.js");
    const { createRoomStore } = await import("../../room/state.js");
    const store = createRoomStore();
    const connection = await connectToRoom(dir, { cols: 80, rows: 24, name: "tower ps" });
    const remote = await RemoteRoom.attach(connection, store);
    remote.detach();
    const { agents, agentOrder } = store.getState();
    for (const id of agentOrder) {
      const agent = agents[id];
      if (!agent) continue;
      const entry = file.agents[id];
      rows.push({
        id,
        stream: agent.stream,
        status: agent.status,
        pid: agent.status === "exited" ? null : (entry?.pid ?? null),
        since: entry?.updated ?? "",
      });
    }
  } else {
    for (const [id, entry] of Object.entries(file.agents)) {
      rows.push({
        id,
        stream: entry.stream,
        status: "not running",
        pid: null,
        since: entry.updated,
      });
    }
  }
  if (options.json) return printJson({ server: info ?? null, agents: rows });
  process.stdout.write(
    running
      ? `Tower server pid ${info?.pid} for ${context.repo.mainRoot}\n`
      : `no Tower server runs for ${context.repo.mainRoot}: no agent is running (agents.json says what was last true)\n`,
  );
  if (rows.length === 0) {
    process.stdout.write("no agents\n");
    return;
  }
  const lines = [["AGENT", "STREAM", "STATUS", "PID", "SINCE"]];
  for (const r of rows) {
    lines.push([
      r.id,
      r.stream,
      r.status,
      r.pid === null ? "-" : String(r.pid),
      localTime(r.since),
    ]);
  }
  process.stdout.write(`${table(lines)}\n`);
}

export function registerRooms(program: Command): void {
  program
    .command("ls")
    .description("list the Tower servers (rooms) running on this machine")
    .option("--json", "print JSON")
    .action(listRoomsCommand);
  program
    .command("ps")
    .description(
      "list a room's agents: status, pid, stream and since when (this repository's, the named one's, or outside any the only one running)",
    )
    .argument("[repository]", "a folder of the repository whose agents to list")
    .option("--json", "print JSON")
    .action(psCommand);
}
