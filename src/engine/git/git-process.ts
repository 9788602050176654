/**
 * git from a small process of its own, for the server. Starting a process forks the one that
 * starts it: the fork copies the server's page tables and marks every page of its memory
 * read-only, and each page the server writes afterwards faults once to be made writable again.
 * The server writes tens of megabytes between two git commands (its heap, the emulators), and on
 * this machine (a virtual machine, where a fault costs about 14 µs) one git cost the server
 * 20-60 ms of CPU after it had started: a conflict scan's few dozen commands about 1.5 s of it,
 * taken from the agents' output (measured: 35 spawns from a process with 50 MB written between
 * them, 6.4 s of its CPU; 0.1 s with nothing written). From a helper whose own memory hardly
 * changes, a fork costs next to nothing, and the server only writes a message to a pipe.
 *
 * The helper (git-process-main.ts) runs `runGitHere`, two commands at a time and at a lower CPU
 * priority, and answers each request with git's output and exit code, or the error that git
 * could not run, rebuilt on this side (a `GitError` as a `GitError`), so the callers of `runGit`
 * see no difference. Each request carries this process's environment as it is then (simple-git
 * gives git a filtered copy of it). The helper does not keep the server alive, exits when the
 * server goes, and stops when idle (GIT_PROCESS_IDLE_MS). A helper that fails fails the requests
 * it held with the reason, and the next request starts a new one; one that cannot start at all
 * hands git to the fallback (the server's: git started from its own thread, as before).
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { childProcess } from "../child-process.js";
import { GitError, type GitOptions, type GitResult, type GitRunner } from "./run.js";

/** git commands the helper runs at once; the others wait their turn (git-process-main.ts). */
export const RUNNING_AT_ONCE = 2;
/**
 * How much nicer than the server the helper's git is on Linux (at most 19): the helper lowers
 * its own thread's priority and every git it starts inherits it (git-process-main.ts).
 */
export const HELPER_NICE = 10;

/** A request to the helper. */
export interface GitRequest {
  id: number;
  cwd: string;
  args: readonly string[];
  options: GitOptions;
  /** This process's environment when the request was made. */
  env: Record<string, string>;
}

/** The helper's answer. */
export type GitAnswer =
  | { id: number; result: GitResult }
  | {
      id: number;
      /** A GitError's fields, or (`git` false) another error's message. */
      error: {
        git: boolean;
        message: string;
        args: readonly string[];
        stderr: string;
        exitCode: number | null;
      };
    };

/** The helper's first message: its entry has loaded. */
export const GIT_PROCESS_UP = "up";

/** The helper's entry, next to this module in the build and in the bundle. */
export const GIT_PROCESS_MAIN = new URL("./git-process-main.js", import.meta.url);

export interface GitHelper {
  run: GitRunner;
  /** The running helper's pid; undefined while none runs (idle, stopped). */
  pid(): number | undefined;
  /** Why git runs through the fallback (no helper could start); undefined while it does not. */
  fallenBack(): string | undefined;
  /** Stops the helper; requests still held fail. */
  close(): Promise<void>;
}

interface Pending {
  resolve(result: GitResult): void;
  reject(error: Error): void;
  request: GitRequest;
}

export interface GitHelperOptions {
  /** Default GIT_PROCESS_IDLE_MS. */
  idleMs?: number;
  /**
   * Runs git when no helper can start (it failed before it was up, so nothing it was asked
   * ran): the requests it held and every later one. Without it, they fail with the reason.
   */
  fallback?: GitRunner;
  /** Told once, when git goes to the fallback, with the reason. */
  onFallback?: (reason: string) => void;
}

/**
 * The helper stops once it has been idle this long and starts again with the next request:
 * git runs in bursts (a conflict scan, a merge, the sweep every two minutes), and a helper costs
 * 45-57 MB of resident memory while it lives (40 MB of it Node's own, which a bare `node` has;
 * its proportional set next to the server about 22 MB). Starting one forks the server once.
 */
export const GIT_PROCESS_IDLE_MS = 10_000;

/** The last bytes of the helper's error output kept, to say why it failed. */
const STDERR_KEPT = 2048;

export function startGitProcess(
  entry: URL = GIT_PROCESS_MAIN,
  options: GitHelperOptions = {},
): GitHelper {
  let child: ChildProcess | undefined;
  /** Why no helper can start, once one failed before it was up and a fallback runs git. */
  let broken: string | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  let idle: NodeJS.Timeout | undefined;

  const stop = (): Promise<void> | undefined => {
    clearTimeout(idle);
    idle = undefined;
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return undefined;
    return new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      if (c.connected) c.disconnect();
      c.kill("SIGTERM");
    });
  };

  const failAll = (reason: string) => {
    for (const [id, p] of pending) {
      pending.delete(id);
      const { args } = p.request;
      p.reject(new GitError(`cannot run git ${args.join(" ")}: ${reason}`, args, "", null));
    }
  };

  /** The helper could not start: what it held, and what comes, runs through the fallback. */
  const fallBack = (fallback: GitRunner, reason: string) => {
    if (broken === undefined) options.onFallback?.(reason);
    broken = reason;
    for (const [id, p] of pending) {
      pending.delete(id);
      const { cwd, args, options: gitOptions } = p.request;
      fallback(cwd, args, gitOptions).then(p.resolve, p.reject);
    }
  };

  const helper = (): ChildProcess | undefined => {
    if (child) return child;
    let c: ChildProcess;
    try {
      c = childProcess().fork(fileURLToPath(entry), [], {
        // Plain Node: none of the server's own flags (its heap limits, a test's loader).
        execArgv: [],
        stdio: ["ignore", "ignore", "pipe", "ipc"],
        serialization: "json",
      });
    } catch (error) {
      const reason = `the git process cannot start: ${(error as Error).message}`;
      if (options.fallback) fallBack(options.fallback, reason);
      else failAll(reason);
      return undefined;
    }
    /** The entry has loaded (its first message): what it was asked may have run. */
    let up = false;
    let stderr = "";
    c.stderr?.setEncoding("utf8");
    c.stderr?.on("data", (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEPT);
    });
    (c.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    c.unref();
    c.channel?.unref();
    c.on("message", (answer: GitAnswer | typeof GIT_PROCESS_UP) => {
      if (answer === GIT_PROCESS_UP) {
        up = true;
        return;
      }
      const p = pending.get(answer.id);
      if (!p) return;
      pending.delete(answer.id);
      if (pending.size === 0) {
        idle = setTimeout(() => void stop(), options.idleMs ?? GIT_PROCESS_IDLE_MS);
        idle.unref();
      }
      if ("result" in answer) p.resolve(answer.result);
      else {
        const e = answer.error;
        p.reject(
          e.git ? new GitError(e.message, e.args, e.stderr, e.exitCode) : new Error(e.message),
        );
      }
    });
    const gone = (reason: string) => {
      if (child !== c) return;
      child = undefined;
      clearTimeout(idle);
      if (!up && options.fallback) fallBack(options.fallback, reason);
      else failAll(reason);
    };
    c.on("error", (error) => gone(`the git process failed: ${error.message}`));
    c.on("exit", (code, signal) => {
      // Node's report of an uncaught error starts with where it was thrown; the error's own
      // line says why.
      const lines = stderr
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean);
      const said = lines.find((line) => /^\w*Error\b/.test(line)) ?? lines[lines.length - 1];
      gone(
        `the git process ${signal ? `was stopped by ${signal}` : `exited (code ${code})`}${said ? `: ${said}` : ""}`,
      );
    });
    child = c;
    return c;
  };

  return {
    run(cwd, args, gitOptions) {
      if (broken !== undefined && options.fallback) return options.fallback(cwd, args, gitOptions);
      return new Promise<GitResult>((resolve, reject) => {
        const id = nextId++;
        const env: Record<string, string> = {};
        for (const [key, value] of Object.entries(process.env))
          if (value !== undefined) env[key] = value;
        const request: GitRequest = { id, cwd, args, options: gitOptions, env };
        pending.set(id, { resolve, reject, request });
        clearTimeout(idle);
        const c = helper();
        // A helper on its way out (its channel closed) fails what it holds through `exit`.
        if (c?.connected) c.send(request);
      });
    },
    fallenBack: () => broken,
    pid: () => child?.pid,
    async close() {
      const stopped = stop();
      failAll("the git process was stopped");
      await stopped;
    },
  };
}
