import { mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Test projects by speed (`npm test` runs `fast`; `npm run test:all`, which CI runs, runs them
 * all): `fast` for unit, integration, pty, ui and tmux end-to-end tests; `real-agents` drives the
 * pinned Claude Code, Codex and Gemini CLIs through a scripted model endpoint; `faults` kills
 * writers mid-write and hangs up control rooms; `server` runs the Tower server with its clients
 * (in tmux, and over SSH through a real sshd on 127.0.0.1); `bench` runs the benchmarks in quick
 * mode.
 *
 * The fast, server and faults projects run together, two files at a time (a file waits much of
 * its time on the programs it starts: git, tmux, the CLI), then the real agents one file at a
 * time, then the benchmarks alone, so that nothing else runs beside their measures. On 2 cores,
 * one file at a time, CI took 46 minutes; three at a time, 32 (the fast project alone 670 s
 * instead of 1,124, using 1.8 cores), and the load slowed each file to twice its time.
 */
// Tower's own folder (trusted plans, the seal key): a temporary one, never the user's, removed
// when the run ends (this file is read by vitest's own process, whose pid names the folder).
const CONFIG_DIR = path.join(os.tmpdir(), `tower-test-config-${process.pid}`);
process.once("exit", () => rmSync(CONFIG_DIR, { recursive: true, force: true }));
// The servers' private folders (sockets, token, log), which live in XDG_RUNTIME_DIR or else the
// OS temp folder: the tests' in one of their own, removed when the run ends (each test's room
// used to leave a folder in /tmp/tower-<uid>, thousands of them). Tests that need a runtime
// folder to themselves set their own.
const RUNTIME_DIR = path.join(os.tmpdir(), `tower-test-runtime-${process.pid}`);
mkdirSync(RUNTIME_DIR, { recursive: true, mode: 0o700 });
process.once("exit", () => rmSync(RUNTIME_DIR, { recursive: true, force: true }));

/** The fast, server and faults projects' files run at once (see above). */
const PARALLEL_FILES = 2;

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks" as const,
  env: { TOWER_CONFIG_DIR: CONFIG_DIR, XDG_RUNTIME_DIR: RUNTIME_DIR },
  // A folder of CONFIG_DIR for each test file (see the file).
  setupFiles: ["test/setup/config-dir.ts"],
};

const SLOW = [
  "test/real-agents/**",
  "test/faults/**",
  "test/server/**",
  "test/bench/quick.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "fast",
          maxWorkers: PARALLEL_FILES,
          include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
          exclude: ["**/node_modules/**", ...SLOW],
        },
      },
      {
        test: {
          ...shared,
          name: "real-agents",
          sequence: { groupOrder: 1 },
          include: ["test/real-agents/**/*.test.ts"],
          testTimeout: 180_000,
          // The real CLIs are heavy (a few hundred MB each): one file at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          ...shared,
          name: "faults",
          maxWorkers: PARALLEL_FILES,
          include: ["test/faults/**/*.test.ts"],
          testTimeout: 300_000,
        },
      },
      {
        test: {
          ...shared,
          name: "server",
          maxWorkers: PARALLEL_FILES,
          include: ["test/server/**/*.test.ts"],
        },
      },
      {
        test: {
          ...shared,
          name: "bench",
          sequence: { groupOrder: 2 },
          maxWorkers: 1,
          include: ["test/bench/quick.test.ts"],
          testTimeout: 900_000,
        },
      },
    ],
  },
});
