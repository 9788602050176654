import type { Command } from "commander";
import { listSnapshots } from "../../engine/git/snapshot.js";
import { findStream } from "../../engine/orchestrator/streams.js";
import { firstFive, plural } from "../../engine/plural.js";
import { loadContext } from "../context.js";
import { localTime } from "../format.js";

/**
 * `tower snapshots <stream>`: the snapshots of a stream worktree's uncommitted work, the newest
 * first, each with the files it holds and how to bring one back (engine/git/snapshot.ts).
 */
export function registerSnapshots(program: Command): void {
  program
    .command("snapshots")
    .description(
      "list the snapshots of a stream worktree's uncommitted work, taken around its agents' writes and shell commands (the newest first)",
    )
    .argument("<stream>", "stream id")
    .action(async (id: string) => {
      const context = await loadContext();
      findStream(context.plan, id);
      const snapshots = await listSnapshots(context.repo.mainRoot, id);
      if (snapshots.length === 0) {
        process.stdout.write(`no snapshot of ${id}'s worktree\n`);
        return;
      }
      for (const s of snapshots) {
        process.stdout.write(
          `${s.commit.slice(0, 10)}  ${localTime(s.at)}  ${s.message}\n    ${plural(s.files.length, "file")}: ${firstFive(s.files)}\n`,
        );
      }
      const newest = snapshots[0]?.commit.slice(0, 10);
      process.stdout.write(
        `\nIn the stream's worktree, git restore --source=${newest} -- <file> brings a file back as that snapshot holds it (git show ${newest}:<file> prints it).\n`,
      );
    });
}
