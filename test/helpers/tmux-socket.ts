/**
 * Where a tmux server started with `-L <name>` keeps its socket: tmux leaves the file behind
 * when the server is killed, so the tests and benchmarks that start one remove it after.
 */
import { rmSync } from "node:fs";
import path from "node:path";

/** The socket file of the tmux server `-L name` (tmux's own rule: $TMUX_TMPDIR or /tmp). */
export function tmuxSocketFile(name: string): string {
  return path.join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid?.() ?? 0}`, name);
}

/** Removes the socket file that a killed tmux server `-L name` left. */
export function removeTmuxSocket(name: string): void {
  rmSync(tmuxSocketFile(name), { force: true });
}
