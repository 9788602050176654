/**
 * A program under test in a pseudo-terminal the harness owns (node-pty), with everything it
 * draws parsed by a headless terminal: the emulator Tower's own sessions use (dist/pty:
 * @xterm/headless with Unicode 11 widths), so that the harness sees the screen a person would
 * see, and can wait on it.
 *
 * `waitFor` checks its condition each time a chunk of output has been parsed (and every 100 ms
 * besides), and resolves with the time of the parse that made it true: the moment the screen
 * showed it, to within the harness's own parsing.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type IPty, spawn } from "node-pty";
import type * as PtyModule from "../../src/pty/index.js";
import type { Rect } from "../../src/room/layout.js";
import { PROJECT_ROOT } from "./repo.js";
import { nowMs } from "./stats.js";

export type { Rect };

type Emulator = ReturnType<typeof PtyModule.createEmulator>;

let emulatorModule: Promise<typeof PtyModule> | undefined;

function loadPtyModule(): Promise<typeof PtyModule> {
  const file = path.join(PROJECT_ROOT, "dist/pty/index.js");
  emulatorModule ??= import(pathToFileURL(file).href) as Promise<typeof PtyModule>;
  return emulatorModule;
}

export interface TerminalOptions {
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
}

export interface Exit {
  exitCode: number;
  signal: number | undefined;
}

interface Waiter {
  check(): boolean;
  resolve(at: number): void;
}

export class HarnessTerminal {
  /** performance.now() just before the program was spawned. */
  readonly startedAt: number;
  readonly exited: Promise<Exit>;
  /** Output received so far, in characters. */
  received = 0;
  private exit: Exit | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly poll: NodeJS.Timeout;

  private constructor(
    private readonly pty: IPty,
    private readonly emulator: Emulator,
    readonly cols: number,
    readonly rows: number,
    startedAt: number,
  ) {
    this.startedAt = startedAt;
    pty.onData((data) => {
      this.received += data.length;
      emulator.write(data, () => this.check());
    });
    this.exited = new Promise<Exit>((resolve) => {
      pty.onExit(({ exitCode, signal }) => {
        this.exit = { exitCode, signal };
        // What it wrote last is parsed before anyone hears of the exit.
        emulator.write("", () => {
          this.check();
          resolve({ exitCode, signal });
        });
      });
    });
    // Conditions on things other than the screen (a file, a process) get checked too.
    this.poll = setInterval(() => this.check(), 100);
  }

  static async spawn(
    file: string,
    args: string[],
    options: TerminalOptions,
  ): Promise<HarnessTerminal> {
    const { createEmulator } = await loadPtyModule();
    const emulator = createEmulator({ cols: options.cols, rows: options.rows, scrollback: 0 });
    const startedAt = nowMs();
    const pty = spawn(file, args, {
      name: "xterm-256color",
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd,
      env: options.env,
    });
    return new HarnessTerminal(pty, emulator, options.cols, options.rows, startedAt);
  }

  get pid(): number {
    return this.pty.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Keys, as a terminal sends them. */
  write(data: string): void {
    this.pty.write(data);
  }

  /** Row `y` of the screen as text, right-trimmed; from column `x`, `width` columns wide. */
  row(y: number, x = 0, width = this.cols): string {
    const line = this.emulator.buffer.active.getLine(this.emulator.buffer.active.viewportY + y);
    return line?.translateToString(true, x, x + width) ?? "";
  }

  /** The screen's rows. */
  screen(): string[] {
    return Array.from({ length: this.rows }, (_, y) => this.row(y));
  }

  /** The rows of a rectangle of the screen, each right-trimmed. */
  region(rect: Rect): string[] {
    return Array.from({ length: rect.height }, (_, i) => this.row(rect.y + i, rect.x, rect.width));
  }

  /**
   * Resolves with the time at which `check` first held: checked after every parse of output and
   * every 100 ms. Rejects after `timeoutMs`, or when the program exits first (unless `check`
   * then holds), with the screen in the message.
   */
  waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const started = nowMs();
      const waiter: Waiter = {
        check: () => {
          if (check()) return true;
          if (this.exit !== undefined) {
            fail(`the program exited (${JSON.stringify(this.exit)}) first`);
            return false;
          }
          if (nowMs() - started > timeoutMs) fail(`nothing after ${timeoutMs} ms`);
          return false;
        },
        resolve,
      };
      const fail = (why: string) => {
        this.waiters.delete(waiter);
        reject(new Error(`waiting for ${what}: ${why}; the screen was:\n${this.dump()}`));
      };
      if (check()) {
        resolve(nowMs());
        return;
      }
      this.waiters.add(waiter);
    });
  }

  /** The screen, trailing blank rows left out, for error messages. */
  dump(): string {
    const rows = this.screen();
    while (rows.length > 0 && rows[rows.length - 1] === "") rows.pop();
    return rows.join("\n");
  }

  /** A signal to the program's process group (node-pty makes it a session leader). */
  signal(name: NodeJS.Signals): void {
    for (const target of [-this.pty.pid, this.pty.pid]) {
      try {
        process.kill(target, name);
      } catch {
        // Gone already.
      }
    }
  }

  /**
   * Ends the program: SIGTERM to its process group unless it has exited, SIGKILL after
   * `graceMs`; resolves once it has exited and the terminal is released.
   */
  async close(graceMs = 5_000): Promise<Exit> {
    if (this.running) {
      this.signal("SIGTERM");
      const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    const exit = await this.exited;
    clearInterval(this.poll);
    this.waiters.clear();
    this.emulator.dispose();
    return exit;
  }

  private check(): void {
    if (this.waiters.size === 0) return;
    const at = nowMs();
    for (const waiter of [...this.waiters]) {
      if (!this.waiters.has(waiter)) continue;
      if (waiter.check()) {
        this.waiters.delete(waiter);
        waiter.resolve(at);
      }
    }
  }
}
