/** The built CLI in a real tmux: type with send-keys, read with capture-pane, wait on the screen. */
import { execFileSync } from "node:child_process";

export class TmuxRig {
  readonly socket = `tower-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    readonly cwd: string,
    command: string,
    size: { cols: number; rows: number } = { cols: 160, rows: 48 },
    env: Record<string, string> = {},
  ) {
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v.replace(/'/g, "'\\''")}';`)
      .join(" ");
    this.tmux(
      "new-session",
      "-d",
      "-x",
      String(size.cols),
      "-y",
      String(size.rows),
      "-c",
      cwd,
      `${exports} ${command}; echo "[exited $?]"; sleep 600`,
    );
  }

  tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], {
      encoding: "utf8",
    });
  }

  screen(): string {
    return this.tmux("capture-pane", "-p");
  }

  keys(...keys: string[]): void {
    this.tmux("send-keys", ...keys);
  }

  /** Literal text, not key names. */
  type(text: string): void {
    this.tmux("send-keys", "-l", text);
  }

  resize(cols: number, rows: number): void {
    this.tmux("resize-window", "-x", String(cols), "-y", String(rows));
  }

  async waitFor(
    check: (screen: string) => boolean,
    what: string,
    timeoutMs = 45_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (check(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; the screen was:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  waitForText(text: string, timeoutMs?: number): Promise<string> {
    return this.waitFor((s) => s.includes(text), JSON.stringify(text), timeoutMs);
  }

  kill(): void {
    try {
      this.tmux("kill-server");
    } catch {}
  }
}
