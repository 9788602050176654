import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { installGuard } from "../../agents/guard.js";
import { selfCommand } from "../../agents/self.js";
import { cleanDemo, createDemo, DEMO_REPO, defaultDemoDir } from "../../engine/demo.js";
import { RefusedError } from "../../engine/errors.js";
import { stateStoreFor } from "../../engine/state/store.js";
import { findAgentProcess } from "../../pty/leftovers.js";
import { listRooms } from "../../server/info.js";
import { loadControlRoom } from "../control-room.js";
import { claimInProcess } from "./ui.js";

/**
 * The fake agent shipped with the CLI, dist/fake-agent/main.js, from where this code runs: the
 * bundle (dist/bin, or a chunk in dist/bin/chunks) or tsc's output (dist/cli/commands).
 */
function fakeAgent(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = ["../fake-agent/main.js", "../../fake-agent/main.js"].map((file) =>
    path.resolve(here, file),
  );
  const found = candidates.find((file) => existsSync(file));
  if (!found)
    throw new Error("the fake agent is not built (dist/fake-agent/main.js): run `npm run build`");
  return found;
}

/** The demo's guide: lines of at most 72 columns, so it reads whole at 80x24. */
export const DEMO_INTRO = [
  "Five streams of a small shop. A, B and C run fake agents that behave",
  "like AI coding CLIs. Within a minute: locks come and go, A1 asks to",
  "proceed, A and B change the same file (an overlap, a predicted merge",
  "conflict and a scope violation), and C completes and hands off to D;",
  "its quality gate then runs by itself. A's agents move their tasks.",
  "",
  "Try:  y     approve the waiting agent     w  jump to the next waiting",
  "      Tab   Locks, Conflicts, Checkpoints, Tasks, Activity, Handoffs,",
  "            Snapshots (what agents' hooks kept of uncommitted work)",
  "      m     merge C once it has completed",
  "      J/K   pick a row; a on design_review approves it (Checkpoints)",
  "      i     type into an agent; Ctrl-] back",
  "      z     zoom      ?  every key      q  quit",
];

/**
 * Refuses when the demo in `dir` still runs: a Tower server of its repository, or agents working
 * there (of that server, or of a control room hosting them itself), found as `tower server`
 * finds another server's: the recorded pids, each checked to be that agent's process. Its folder
 * removed under them, they would go on in folders that are gone.
 */
async function refuseWhileRunning(dir: string): Promise<void> {
  let root: string;
  try {
    root = realpathSync(path.join(dir, DEMO_REPO));
  } catch {
    return; // No demo repository there: nothing of it can run.
  }
  const servers = (await listRooms()).filter((info) => info.repo === root).map((i) => i.pid);
  const recorded = await stateStoreFor(root, undefined)
    .read("agents")
    .then((file) => file.agents)
    .catch(() => ({}));
  const agents = new Set<string>();
  for (const [id, record] of Object.entries(recorded)) {
    if (typeof record.pid === "number" && findAgentProcess(record.pid, id, root)) agents.add(id);
  }
  if (servers.length === 0 && agents.size === 0) return;
  const what = [
    ...servers.map((pid) => `its Tower server, pid ${pid}`),
    ...(agents.size > 0 ? [`agents ${[...agents].sort().join(", ")}`] : []),
  ];
  // A control room with its agents in itself stops them on q; a server's, on q then s.
  const how =
    servers.length > 0
      ? `stop it first (q, then s, in its control room, or \`tower server stop\` in ${root}), or open it with \`tower attach ${root}\``
      : "quit its control room first (q)";
  throw new RefusedError(
    `the demo at ${dir} still runs (${what.join("; ")}): ${how}; nothing was removed`,
  );
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("open the control room on a throwaway demo repository with scripted agents")
    .option("--dir <folder>", `where to make it (default: ${defaultDemoDir()})`)
    .option("--clean", "remove the demo folder and stop")
    .option("--no-open", "make the demo and print where, without opening the control room")
    .action(async (options: { dir?: string; clean?: boolean; open?: boolean }) => {
      const dir = path.resolve(options.dir ?? defaultDemoDir());
      await refuseWhileRunning(dir);
      if (options.clean) {
        const removed = await cleanDemo(dir);
        process.stdout.write(removed ? `removed the demo at ${dir}\n` : `no demo at ${dir}\n`);
        return;
      }
      const demo = await createDemo({ dir, fakeAgent: fakeAgent() });
      // As `tower start` does: the streams' commits meet the guard from the start.
      const { store, repo } = demo.project;
      for (const worktree of demo.worktrees)
        await installGuard(store, repo.mainRoot, worktree, selfCommand());
      process.stdout.write(
        `demo repository: ${demo.project.repo.mainRoot} (started ${demo.started.join(", ")}); \`tower demo --clean\` removes it\n`,
      );
      if (options.open === false) return;
      const claim = await claimInProcess(demo.project.repo.mainRoot);
      const { runControlRoom } = await loadControlRoom();
      try {
        await runControlRoom(demo.project, { resume: false, intro: DEMO_INTRO });
      } finally {
        claim.release();
      }
    });
}
