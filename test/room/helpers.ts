/**
 * Helpers for the service tests: a real temporary repository opened as a project, a fresh store,
 * and cleanups run after each test (services closed before their folders go).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { openProject, type Project } from "../../src/engine/project.js";
import { clipboardBytes } from "../../src/ui/input/copy.js";
import type { Controller } from "../../src/ui/input/dispatch.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { startServices } from "../../src/ui/services/index.js";
import { type AppStore, createAppStore } from "../../src/ui/store/index.js";
import { cleanEnv, makeRepo, PROJECT_ROOT, type TempRepo } from "../helpers/repo.js";

export const FAKE_AGENT = path.join(PROJECT_ROOT, "dist/fake-agent/main.js");

const cleanups: (() => unknown)[] = [];

/** Registers `fn` to run after the test (last registered, first run). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // Best effort: a failed cleanup must not hide the test's own result.
    }
  }
}

export interface Fixture {
  repo: TempRepo;
  project: Project;
  store: AppStore;
}

/** A temporary repository (with `tower init` done), opened as a project, and an empty store. */
export async function fixture(plan?: string): Promise<Fixture> {
  const repo = await makeRepo(plan === undefined ? {} : { plan });
  onCleanup(() => repo.cleanup());
  const project = await openProject(repo.root, cleanEnv());
  return { repo, project, store: createAppStore() };
}

/**
 * A fixture whose room runs in this process on a screen of `cols` x `rows`, with a controller
 * for its keys (`handleInput(ctl, ...)`); closed after the test. `clipboard` collects the bytes
 * copy mode writes to the terminal for the clipboard (OSC 52).
 */
export async function roomWithKeys(
  plan: string,
  options: { cols?: number; rows?: number; env?: Record<string, string> } = {},
) {
  const f = await fixture(plan);
  f.store.getState().setSize(options.cols ?? 160, options.rows ?? 40);
  const services = await startServices(f.project, f.store, {
    session: { env: cleanEnv(options.env), stopGraceMs: 1_000 },
  });
  onCleanup(() => services.close(500));
  const clipboard: string[] = [];
  const ctl: Controller = {
    store: f.store,
    client: services.room,
    table: KEY_TABLE,
    quit: () => {},
    clipboard: (text) => clipboard.push(clipboardBytes(text)),
  };
  return { ...f, services, ctl, clipboard };
}

/** The fake agent's argv (it must have been built: `npm run build`). */
export function fakeAgent(...steps: string[]): string[] {
  if (!existsSync(FAKE_AGENT)) throw new Error(`${FAKE_AGENT} is missing: run \`npm run build\``);
  return [process.execPath, FAKE_AGENT, ...steps.flatMap((step) => ["--step", step])];
}

/** A YAML flow sequence for an argv (JSON strings are valid YAML). */
export const yamlArgv = (argv: readonly string[]): string =>
  `[${argv.map((a) => JSON.stringify(a)).join(", ")}]`;

const SGR = /\x1b\[[0-9;:?]*[ -/]*[@-~]/g;

export const plain = (rows: readonly string[]): string =>
  rows.map((row) => row.replace(SGR, "").trimEnd()).join("\n");

/** Is the process gone? */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
