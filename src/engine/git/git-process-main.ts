/**
 * The git helper's entry (see git-process.ts), run by the server as a process of its own: runs
 * each request with `runGitHere`, at most `RUNNING_AT_ONCE` at a time and the rest in order, in
 * the environment the request carries, and answers with the result, or with the reason git could
 * not run. It exits when the server goes (its channel closes), once the git it runs is done.
 *
 * On Linux the helper lowers its own priority (HELPER_NICE more than the server's `nice`; a
 * nice value belongs to a thread there, and git is started from this one) and every git it
 * starts inherits it. A conflict scan's few dozen git commands then take the CPU that the
 * agents, the server and its clients leave, instead of all competing with them at once: with a
 * scan every 3 s and seven panes flooding, keystroke to echo measured p99 369 ms with every git
 * started at once from the server's thread, 76 ms niced, two at a time.
 */
import os from "node:os";
import {
  GIT_PROCESS_UP,
  type GitAnswer,
  type GitRequest,
  HELPER_NICE,
  RUNNING_AT_ONCE,
} from "./git-process.js";
import { GitError, runGitHere } from "./run.js";

const send = process.send?.bind(process);
if (!send) throw new Error("git-process-main.js runs as the git helper of git-process.ts");

if (process.platform === "linux") {
  try {
    // This thread only (pid 0: the calling thread on Linux), relative to the server's own.
    os.setPriority(Math.min(19, os.getPriority() + HELPER_NICE));
  } catch {
    // Not allowed here (a container's policy): git runs at the server's priority.
  }
}

const waiting: GitRequest[] = [];
let running = 0;
/** The server went or stopped this helper: nothing more starts, and it exits once git is done. */
let leaving = false;

/**
 * How long a helper whose server went waits for the git it runs before it exits anyway (a git
 * that waits for ever, on a lock or a prompt, does not keep it).
 */
const LEAVE_WAIT_MS = 120_000;

function answerOf(request: GitRequest, error: unknown): GitAnswer {
  return {
    id: request.id,
    error:
      error instanceof GitError
        ? {
            git: true,
            message: error.message,
            args: error.args,
            stderr: error.stderr,
            exitCode: error.exitCode,
          }
        : {
            git: false,
            message: error instanceof Error ? error.message : String(error),
            args: request.args,
            stderr: "",
            exitCode: null,
          },
  };
}

/**
 * This process's environment made the request's: simple-git reads it when it starts git (an
 * environment given to simple-git instead is checked as the caller's own choice, and refused
 * for the variables it guards). The server's environment hardly ever changes between requests.
 */
function takeEnvironment(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env))
    if (process.env[key] !== value) process.env[key] = value;
}

function next(): void {
  while (running < RUNNING_AT_ONCE && !leaving) {
    const request = waiting.shift();
    if (!request) return;
    running++;
    takeEnvironment(request.env);
    runGitHere(request.cwd, request.args, request.options)
      .then(
        (result): GitAnswer => ({ id: request.id, result }),
        (error: unknown) => answerOf(request, error),
      )
      .then((answer) => {
        running--;
        if (process.connected) send?.(answer);
        if (leaving && running === 0) process.exit(0);
        next();
      });
  }
}

process.on("message", (request: GitRequest) => {
  waiting.push(request);
  next();
});
/**
 * The server went (its channel closed: stopped, or killed) or stops this helper (SIGTERM): the
 * requests not started are dropped (their server gave them up), and the git commands running
 * finish before it exits. Exiting at once would close the pipes they write to, and the next
 * write would kill them half-way (`git worktree add` writes before it checks the tree out).
 */
function leave(): void {
  if (leaving) return;
  leaving = true;
  waiting.length = 0;
  if (running === 0) process.exit(0);
  setTimeout(() => process.exit(0), LEAVE_WAIT_MS).unref();
}
process.on("disconnect", leave);
process.on("SIGTERM", leave);
send(GIT_PROCESS_UP);
