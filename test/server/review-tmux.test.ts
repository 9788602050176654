/**
 * The review as a person does it, in a real tmux with the built CLI attached to a server (the
 * diff and the comments travel over the socket): `d` on the agent, move to a changed line,
 * comment, send after the confirmation; the agent echoes the pasted review.
 */
import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI } from "../helpers/repo.js";
import { cleanupRigs, serverRig } from "./helpers.js";

const rigs: TmuxRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) rig.kill();
  await cleanupRigs();
});

describe("the review in tmux", () => {
  it("d shows the diff, c keeps a comment, S sends it to the agent after confirming", async () => {
    const rig = await serverRig();
    await fsp.writeFile(
      path.join(path.dirname(rig.root), "shop-stream-A", "README.md"),
      "# demo app\n",
    );
    const tmux = new TmuxRig(
      rig.root,
      `node ${CLI}`,
      { cols: 140, rows: 40 },
      {
        TOWER_IN_PROCESS: "0",
        XDG_RUNTIME_DIR: rig.runtime,
      },
    );
    rigs.push(tmux);
    await tmux.waitForText("ready A1", 20_000);
    tmux.keys("d");
    const screen = await tmux.waitForText("Review of A against main");
    expect(screen).toContain("M README.md +1 -1");
    expect(screen).toContain("DIFF");
    // The file's header, the hunk's, the removed line, the added one.
    for (let i = 0; i < 3; i++) tmux.keys("j");
    tmux.keys("c");
    await tmux.waitForText("Comment on README.md, line 1");
    tmux.type("say what the app is");
    tmux.keys("Enter");
    await tmux.waitForText("◆ say what the app is");
    const file = path.join(rig.repo.stateDir, "reviews", "A.json");
    expect(existsSync(file)).toBe(true);
    tmux.keys("S");
    await tmux.waitForText("Send the review to A1?");
    expect(tmux.screen()).toContain("1. README.md, line 1:");
    tmux.keys("y");
    await tmux.waitForText("sent 1 comment to A1");
    expect(existsSync(file)).toBe(false);
    tmux.keys("q");
    await tmux.waitForText("You said: Review of your work on stream A");
    await tmux.waitForText("You said: 1. README.md, line 1:");
  });
});
