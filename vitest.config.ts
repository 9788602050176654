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

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks" as const,
  env: { TOWER_CONFIG_DIR: CONFIG_DIR, XDG_RUNTIME_DIR: RUNTIME_DIR },
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
          include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
          exclude: ["**/node_modules/**", ...SLOW],
        },
      },
      {
        test: {
          ...shared,
          name: "real-agents",
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
          include: ["test/faults/**/*.test.ts"],
          testTimeout: 300_000,
        },
      },
      {
        test: {
          ...shared,
          name: "server",
          include: ["test/server/**/*.test.ts"],
        },
      },
      {
        test: {
          ...shared,
          name: "bench",
          include: ["test/bench/quick.test.ts"],
          testTimeout: 900_000,
        },
      },
    ],
  },
});
