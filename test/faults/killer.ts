/**
 * Killing the built CLI with SIGKILL at a random point of its life, and a slow disk to widen the
 * moments a kill can land in: a process that rewrites a large file with fsync in a loop, so
 * that every fsync of Tower's waits on the disk's journal behind it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type FSWatcher, watch } from "node:fs";
import path from "node:path";
import { CLI, cleanEnv } from "../helpers/repo.js";

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The SIGKILL reached it before it exited by itself. */
  killed: boolean;
  /** From spawn to exit. */
  ms: number;
}

export type KillPlan =
  /** SIGKILL this long after spawn (if it is still running). */
  | { afterMs: number }
  /**
   * SIGKILL `delayMs` after the first change in `atWriteIn` to a file whose name `only` accepts
   * (default: any).
   */
  | { atWriteIn: string; only?: (name: string) => boolean; delayMs: number }
  /** Not killed. */
  | { never: true };

/**
 * Runs `tower <args>` in `cwd` and kills it as planned: only it (its git children run on), or
 * with `group` its whole process group (a validation command it runs, say).
 */
export function runTower(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  plan: KillPlan,
  options: { group?: boolean } = {},
): Promise<Outcome> {
  const started = performance.now();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let child: ChildProcess;
  let exited = false;
  let killed = false;
  const kill = () => {
    if (exited) return;
    killed = true;
    if (options.group && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    else child.kill("SIGKILL");
  };
  if ("atWriteIn" in plan) {
    watcher = watch(plan.atWriteIn, (_event, name) => {
      if (plan.only && !(name && plan.only(name))) return;
      watcher?.close();
      watcher = undefined;
      timer = setTimeout(kill, plan.delayMs);
    });
  }
  child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: cleanEnv(env),
    detached: options.group === true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if ("afterMs" in plan) timer = setTimeout(kill, plan.afterMs);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      exited = true;
      clearTimeout(timer);
      watcher?.close();
      resolve({
        code,
        signal,
        stdout,
        stderr,
        killed: killed && signal === "SIGKILL",
        ms: performance.now() - started,
      });
    });
  });
}

const BALLAST = `
const fs = require("node:fs");
const block = Buffer.alloc(4 << 20, 7);
const fd = fs.openSync(process.argv[1], "w");
for (;;) {
  fs.writeSync(fd, block, 0, block.length, 0);
  fs.fsyncSync(fd);
}
`;

/** A slow disk: rewrites a 4 MB file in `dir` with fsync until stopped. */
export function slowDisk(dir: string): { stop(): Promise<void> } {
  const file = path.join(dir, `ballast-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const child = spawn(process.execPath, ["-e", BALLAST, file], { stdio: "ignore" });
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    async stop() {
      child.kill("SIGKILL");
      await gone;
      const { rmSync } = await import("node:fs");
      rmSync(file, { force: true });
    },
  };
}
