/** The built CLI in a real tmux: type with send-keys, read with capture-pane, wait on the screen. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { removeTmuxSocket } from "../helpers/tmux-socket.js";

export class TmuxRig {
  readonly socket = `tower-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    readonly cwd: string,
    command: string,
    size: { cols: number; rows: number } = { cols: 160, rows: 48 },
    env: Record<string, string> = {},
  ) {
    // The control room hosts its agents itself unless a test asks for the server (it says
    // TOWER_IN_PROCESS: "0"): these tests are about the control room, not the server.
    const exports = Object.entries({ TOWER_IN_PROCESS: "1", ...env })
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

  /** Pastes `text` as a user would: tmux's paste buffer, bracketed where the program asked. */
  paste(text: string): void {
    this.tmux("set-buffer", "--", text);
    this.tmux("paste-buffer", "-p", "-d");
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

  /** The processes of the panes (their shells) and every process below them. */
  processes(): number[] {
    let panes: number[] = [];
    try {
      panes = this.tmux("list-panes", "-a", "-F", "#{pane_pid}").trim().split("\n").map(Number);
    } catch {}
    return descendants(panes);
  }

  kill(): void {
    try {
      this.tmux("kill-server");
    } catch {}
    removeTmuxSocket(this.socket);
  }

  /**
   * Kills the server and waits for what ran in its panes to end: a Tower that loses its terminal
   * still stops its agents and writes its state files, which a test's cleanup must not race.
   */
  async close(timeoutMs = 15_000): Promise<void> {
    const pids = this.processes();
    this.kill();
    const deadline = Date.now() + timeoutMs;
    while (pids.some(alive) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** `roots` and every process below them. */
function descendants(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {}
  }
  const all: number[] = [];
  const queue = [...roots];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    all.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return all;
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
