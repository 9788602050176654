/**
 * The git thread's entry (see git-thread.ts): runs each request with `runGitHere`, at most
 * `RUNNING_AT_ONCE` at a time and the rest in order, and answers with the result, or with the
 * reason git could not run.
 *
 * On Linux the thread lowers its own priority (THREAD_NICE more than the server's `nice`; a nice
 * value belongs to a thread there, not to the process) and every git it starts inherits it. A conflict scan's few
 * dozen git commands then take the CPU that the agents, the server's own thread and its clients
 * leave, instead of all competing with them at once: with a scan every 3 s and seven panes
 * flooding, keystroke to echo measured p99 369 ms with every git started at once from the
 * server's thread, 76 ms from this one.
 */
import os from "node:os";
import { parentPort } from "node:worker_threads";
import {
  GIT_THREAD_UP,
  type GitThreadAnswer,
  type GitThreadRequest,
  RUNNING_AT_ONCE,
  THREAD_NICE,
} from "./git-thread.js";
import { GitError, runGitHere } from "./run.js";

const port = parentPort;
if (!port) throw new Error("git-thread-main.js runs as a worker thread of git-thread.ts");

if (process.platform === "linux") {
  try {
    // This thread only (pid 0: the calling thread on Linux), relative to the server's own.
    os.setPriority(Math.min(19, os.getPriority() + THREAD_NICE));
  } catch {
    // Not allowed here (a container's policy): git runs at the server's priority.
  }
}

const waiting: GitThreadRequest[] = [];
let running = 0;

function answerOf(request: GitThreadRequest, error: unknown): GitThreadAnswer {
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

function next(): void {
  while (running < RUNNING_AT_ONCE) {
    const request = waiting.shift();
    if (!request) return;
    running++;
    runGitHere(request.cwd, request.args, request.options)
      .then(
        (result): GitThreadAnswer => ({ id: request.id, result }),
        (error: unknown) => answerOf(request, error),
      )
      .then((answer) => {
        running--;
        port?.postMessage(answer);
        next();
      });
  }
}

port.postMessage(GIT_THREAD_UP);
port.on("message", (request: GitThreadRequest) => {
  waiting.push(request);
  next();
});
