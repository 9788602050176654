/** The tests' tmux (TmuxRig) leaves nothing behind: its server's socket goes with it. */
import { existsSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { tmuxSocketFile } from "../helpers/tmux-socket.js";
import { TmuxRig } from "./tmux.js";

describe("TmuxRig", () => {
  it("removes its server's socket file when it kills the server", async () => {
    const rig = new TmuxRig(os.tmpdir(), "true");
    const socket = tmuxSocketFile(rig.socket);
    expect(existsSync(socket)).toBe(true);
    rig.kill();
    expect(existsSync(socket)).toBe(false);
  });
});
