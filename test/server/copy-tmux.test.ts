/**
 * Copy mode as a person uses it, in a real tmux (with `set-clipboard on`) through the server:
 * `/` finds a line 4,000 lines back as it is typed, `V` `j` `y` copies two lines, and the OSC 52
 * the control room writes reaches the outer terminal: tmux makes a paste buffer of it. `p`
 * pastes the paste buffer into the agent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TmuxRig } from "../e2e/tmux.js";
import { CLI, waitFor } from "../helpers/repo.js";
import { cleanupRigs, planWith, serverRig } from "./helpers.js";

const HISTORY = [
  "sh",
  "-c",
  'i=1; while [ $i -le 5000 ]; do if [ $i = 1000 ]; then echo "needle in the haystack $i"; else echo "line $i"; fi; i=$((i+1)); done; exec sleep 600',
];

let tmux: TmuxRig | undefined;
afterEach(async () => {
  tmux?.kill();
  tmux = undefined;
  await cleanupRigs();
});

describe("copy mode in tmux", () => {
  it("searches 4,000 lines back, copies to the outer terminal's clipboard (OSC 52) and pastes", async () => {
    const rig = await serverRig(planWith(HISTORY));
    tmux = new TmuxRig(
      rig.root,
      `node ${CLI}`,
      { cols: 120, rows: 36 },
      {
        TOWER_IN_PROCESS: "0",
        XDG_RUNTIME_DIR: rig.runtime,
      },
    );
    tmux.tmux("set-option", "-g", "set-clipboard", "on");
    await tmux.waitForText("line 5000", 30_000);
    tmux.keys("/");
    await tmux.waitForText("COPY");
    tmux.type("needle");
    const found = await tmux.waitFor(
      (s) => s.includes("line 1,000 of") && s.includes("needle in the haystack 1000"),
      "the needle found, 4,000 lines back",
    );
    expect(found).toContain("/needle");
    tmux.keys("Enter", "V", "j");
    await tmux.waitForText("line 1,001 of");
    tmux.keys("y");
    const text = "needle in the haystack 1000\nline 1001";
    const buffer = await waitFor(
      () => {
        try {
          const got = tmux?.tmux("show-buffer");
          return got === text ? got : undefined;
        } catch {
          return undefined; // no buffer yet
        }
      },
      15_000,
      "tmux's paste buffer from the OSC 52",
    );
    expect(buffer).toBe(text);
    await tmux.waitForText("copied 2 lines");
    // Back live; p pastes into the agent (its terminal echoes what the sleeping shell is given).
    tmux.keys("p");
    await tmux.waitFor(
      (s) => s.includes("needle in the haystack 1000") && !s.includes("COPY"),
      "the pasted lines on A1's live screen",
    );
  });
});
