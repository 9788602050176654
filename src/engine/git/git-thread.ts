/**
 * git from a thread of its own, for the server. Starting a process holds the thread that starts
 * it for 5-15 ms here (Node forks the whole process, then waits until the child has exec'd), and
 * a conflict scan starts a few dozen git commands at once: run from the server's one thread, a
 * scan held every keystroke and frame behind it for up to 300 ms (the latency benchmark, seven
 * panes flooding). From this thread the waits hold only this thread.
 *
 * The thread (git-thread-main.ts) runs `runGitHere`, two commands at a time and at a lower CPU
 * priority, and answers each request with git's output and exit code, or the error that git
 * could not run, rebuilt on this side (a `GitError` as a `GitError`), so the callers of `runGit`
 * see no difference. The thread shares this process's environment (`SHARE_ENV`) and does not
 * keep the process alive; it stops when idle (GIT_THREAD_IDLE_MS). A thread that fails fails the
 * requests it held with the reason, and the next request starts a new one; one that cannot start
 * at all hands git to the fallback (the server's: git in its own thread, as before).
 */
import { SHARE_ENV, Worker } from "node:worker_threads";
import { GitError, type GitOptions, type GitResult, type GitRunner } from "./run.js";

/** git commands the thread runs at once; the others wait their turn (git-thread-main.ts). */
export const RUNNING_AT_ONCE = 2;
/**
 * How much nicer than the server the thread is on Linux (at most 19), which the git it starts
 * inherits (git-thread-main.ts).
 */
export const THREAD_NICE = 10;

/** A request to the thread. */
export interface GitThreadRequest {
  id: number;
  cwd: string;
  args: readonly string[];
  options: GitOptions;
}

/** The thread's answer. */
export type GitThreadAnswer =
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

/** The thread's first message: its entry has loaded. */
export const GIT_THREAD_UP = "up";

/** The thread's entry, next to this module in the build and in the bundle. */
export const GIT_THREAD_MAIN = new URL("./git-thread-main.js", import.meta.url);

export interface GitThread {
  run: GitRunner;
  /** The running thread's id; undefined while none runs (idle, stopped). */
  threadId(): number | undefined;
  /** Why git runs through the fallback (no thread could start); undefined while it does not. */
  fallenBack(): string | undefined;
  /** Stops the thread; requests still held fail. */
  close(): Promise<void>;
}

interface Pending {
  resolve(result: GitResult): void;
  reject(error: Error): void;
  request: GitThreadRequest;
}

export interface GitThreadOptions {
  /** Default GIT_THREAD_IDLE_MS. */
  idleMs?: number;
  /**
   * Runs git when no thread can start (it failed before it was up, so nothing it was asked ran):
   * the requests it held and every later one. Without it, they fail with the reason.
   */
  fallback?: GitRunner;
  /** Told once, when git goes to the fallback, with the reason. */
  onFallback?: (reason: string) => void;
}

/**
 * The thread stops once it has been idle this long and starts again with the next request: a
 * thread costs the server about 16 MB while it lives (measured: 82 → 98 MB resident with eight
 * idle agents), and git runs in bursts (a conflict scan, a merge).
 */
export const GIT_THREAD_IDLE_MS = 10_000;

export function startGitThread(
  entry: URL = GIT_THREAD_MAIN,
  options: GitThreadOptions = {},
): GitThread {
  let worker: Worker | undefined;
  /** Why no thread can start, once one failed before it was up and a fallback runs git. */
  let broken: string | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  let idle: NodeJS.Timeout | undefined;

  const stop = (): Promise<number> | undefined => {
    clearTimeout(idle);
    idle = undefined;
    const w = worker;
    worker = undefined;
    return w?.terminate();
  };

  const failAll = (reason: string) => {
    for (const [id, p] of pending) {
      pending.delete(id);
      const { args } = p.request;
      p.reject(new GitError(`cannot run git ${args.join(" ")}: ${reason}`, args, "", null));
    }
  };

  /** The thread could not start: what it held, and what comes, runs through the fallback. */
  const fallBack = (fallback: GitRunner, reason: string) => {
    if (broken === undefined) options.onFallback?.(reason);
    broken = reason;
    for (const [id, p] of pending) {
      pending.delete(id);
      const { cwd, args, options: gitOptions } = p.request;
      fallback(cwd, args, gitOptions).then(p.resolve, p.reject);
    }
  };

  const thread = (): Worker | undefined => {
    if (worker) return worker;
    let w: Worker;
    try {
      w = new Worker(entry, { env: SHARE_ENV });
    } catch (error) {
      const reason = `the git thread cannot start: ${(error as Error).message}`;
      if (options.fallback) fallBack(options.fallback, reason);
      else failAll(reason);
      return undefined;
    }
    /** The entry has loaded (its first message): what it was asked may have run. */
    let up = false;
    w.unref();
    w.on("message", (answer: GitThreadAnswer | typeof GIT_THREAD_UP) => {
      if (answer === GIT_THREAD_UP) {
        up = true;
        return;
      }
      const p = pending.get(answer.id);
      if (!p) return;
      pending.delete(answer.id);
      if (pending.size === 0) {
        idle = setTimeout(() => void stop(), options.idleMs ?? GIT_THREAD_IDLE_MS);
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
      if (worker !== w) return;
      worker = undefined;
      clearTimeout(idle);
      if (!up && options.fallback) fallBack(options.fallback, reason);
      else failAll(reason);
    };
    w.on("error", (error) => gone(`the git thread failed: ${error.message}`));
    w.on("exit", (code) => gone(`the git thread exited (code ${code})`));
    worker = w;
    return w;
  };

  return {
    run(cwd, args, gitOptions) {
      if (broken !== undefined && options.fallback) return options.fallback(cwd, args, gitOptions);
      return new Promise<GitResult>((resolve, reject) => {
        const id = nextId++;
        const request: GitThreadRequest = { id, cwd, args, options: gitOptions };
        pending.set(id, { resolve, reject, request });
        clearTimeout(idle);
        thread()?.postMessage(request);
      });
    },
    fallenBack: () => broken,
    threadId: () => worker?.threadId,
    async close() {
      const stopped = stop();
      failAll("the git thread was stopped");
      await stopped;
    },
  };
}
