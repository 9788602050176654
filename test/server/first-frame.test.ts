/**
 * `tower` through the server paints the room's snapshot at once (src/ui/paint.ts), then Ink
 * draws over it: what stays on the screen is the control room's picture alone, the same as the
 * in-process control room draws (which paints nothing first), at a large size and at 80x24, with
 * no stream started yet (the first screen a new user sees, whose layout the painted frame does
 * not quite have: Ink's first frame, which erases nothing, left the painted panel's tab bar in
 * the middle of the screen).
 */
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, makeRepo, type TempRepo, tower } from "../helpers/repo.js";
import { planWith } from "./helpers.js";

const rigs: TmuxRig[] = [];
const done: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) rig.kill();
  for (const step of done.splice(0)) await step();
});

async function repository(): Promise<{ repo: TempRepo; root: string; runtime: string }> {
  const repo = await makeRepo({ plan: planWith() });
  const root = realpathSync(repo.root);
  const runtime = mkdtempSync(path.join(os.tmpdir(), "tower-run-"));
  done.push(async () => {
    await tower(root, ["server", "stop"], { XDG_RUNTIME_DIR: runtime });
    repo.cleanup();
    rmSync(runtime, { recursive: true, force: true });
  });
  return { repo, root, runtime };
}

function open(
  root: string,
  runtime: string,
  size: { cols: number; rows: number },
  inProcess: boolean,
) {
  const tmux = new TmuxRig(root, `node ${CLI}`, size, {
    TOWER_IN_PROCESS: inProcess ? "1" : "0",
    XDG_RUNTIME_DIR: runtime,
  });
  rigs.push(tmux);
  return tmux;
}

/** The screen once it has stayed the same for a second. */
async function settled(tmux: TmuxRig, text: string): Promise<string> {
  await tmux.waitForText(text, 20_000);
  let last = tmux.screen();
  for (let still = 0; still < 10; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = tmux.screen();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

describe("the first frame through the server", () => {
  for (const size of [
    { cols: 120, rows: 30 },
    { cols: 80, rows: 24 },
  ]) {
    it(`no stream started: the screen reads as the in-process control room's, at ${size.cols}x${size.rows}`, async () => {
      const { root, runtime } = await repository();
      const hosted = await settled(open(root, runtime, size, false), "No agent is running");
      // A control room hosting the room itself does not open beside a server (server/claim.ts).
      expect((await tower(root, ["server", "stop"], { XDG_RUNTIME_DIR: runtime })).code).toBe(0);
      const own = await settled(
        open(root, path.join(runtime, "none"), size, true),
        "No agent is running",
      );
      expect(hosted.split("\n")).toEqual(own.split("\n"));
    });
  }
});
