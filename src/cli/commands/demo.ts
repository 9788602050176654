import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { installGuard } from "../../agents/guard.js";
import { selfCommand } from "../../agents/self.js";
import { cleanDemo, createDemo, defaultDemoDir } from "../../engine/demo.js";
import { loadControlRoom } from "../control-room.js";

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
  "      Tab   Locks, Conflicts, Checkpoints, Tasks, Activity, Handoffs",
  "      m     merge C once it has completed",
  "      J/K   pick a row; a on design_review approves it (Checkpoints)",
  "      i     type into an agent; Ctrl-] back",
  "      z     zoom      ?  every key      q  quit",
];

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("open the control room on a throwaway demo repository with scripted agents")
    .option("--dir <folder>", `where to make it (default: ${defaultDemoDir()})`)
    .option("--clean", "remove the demo folder and stop")
    .option("--no-open", "make the demo and print where, without opening the control room")
    .action(async (options: { dir?: string; clean?: boolean; open?: boolean }) => {
      const dir = path.resolve(options.dir ?? defaultDemoDir());
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
      const { runControlRoom } = await loadControlRoom();
      await runControlRoom(demo.project, { resume: false, intro: DEMO_INTRO });
    });
}
