/**
 * Opens the control room in this terminal: the alternate screen, raw keyboard input, the
 * services that feed the store, and Ink rendering at most 30 frames a second. The terminal is
 * restored on every way out: quit, a signal, or a crash.
 */
import { render } from "ink";
import { createElement } from "react";
import { resolveCommit, streamDiff } from "../engine/git/index.js";
import type { Project } from "../engine/project.js";
import { parseEscapeKey } from "../pty/index.js";
import { App } from "./components/App.js";
import { type Controller, handleInput } from "./input/dispatch.js";
import { type KeyCommand, withOverrides } from "./keys/table.js";
import { startServices } from "./services/index.js";
import { StoreContext } from "./store/context.js";
import { createAppStore } from "./store/index.js";
import { colorModeFromEnv } from "./view/color.js";

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H";
const LEAVE = "\x1b[?25h\x1b[?1049l";

export interface RunOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  table?: readonly KeyCommand[];
  /** Resume the agents' previous conversations where their presets can (default true). */
  resume?: boolean;
  /** Lines shown in a dialog when the control room opens (the demo's guide). */
  intro?: string[];
}

export async function runControlRoom(project: Project, options: RunOptions = {}): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new Error(
      "the control room needs a terminal: run `tower` in one (for scripts, use `tower status --json`)",
    );
  }
  const table = options.table ?? withOverrides(project.plan.uiKeys);
  const store = createAppStore();
  store.getState().setSize(stdout.columns || 80, stdout.rows || 24);
  store.setState({ colorMode: colorModeFromEnv() });
  if (options.intro) {
    store
      .getState()
      .openModal({ kind: "text", title: "Welcome to Tower", lines: options.intro, offset: 0 });
  }

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode(false);
    } catch {}
    stdout.write(LEAVE);
  };
  process.once("exit", restore);
  stdout.write(ENTER);
  stdin.setRawMode(true);
  stdin.resume();

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // The escape key of insert mode is the first control key bound to `mode.normal`.
  const escapeKey = table
    .find((c) => c.id === "mode.normal")
    ?.keys.find((k) => /^ctrl\+.$/.test(k));
  const services = await startServices(project, store, {
    resume: options.resume ?? true,
    session: escapeKey ? { escapeKey: parseEscapeKey(escapeKey) } : {},
  });
  const controller: Controller = {
    store,
    project,
    sessions: services.sessions,
    table,
    quit: () => finish(),
    diff: async (streamId) => {
      const branch = (await project.store.read("orchestrator")).streams[streamId]?.branch;
      if (!branch || !project.base || !(await resolveCommit(project.repo.mainRoot, branch)))
        return [`${streamId} has no branch to compare`];
      const text = await streamDiff(project.repo.mainRoot, project.base, branch);
      return text.split("\n").length > 1 ? text.split("\n") : ["no changes yet"];
    },
  };
  const onData = (data: Buffer) => handleInput(controller, data.toString("utf8"));
  const onResize = () => store.getState().setSize(stdout.columns || 80, stdout.rows || 24);
  const onSignal = () => finish();
  stdin.on("data", onData);
  stdout.on("resize", onResize);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

  const ink = render(
    createElement(StoreContext.Provider, { value: store }, createElement(App, { table })),
    {
      stdout,
      stdin,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 30,
      incrementalRendering: true,
    },
  );
  try {
    await finished;
  } finally {
    stdin.off("data", onData);
    stdout.off("resize", onResize);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(signal, onSignal);
    ink.unmount();
    await services.close().catch(() => {});
    restore();
    stdin.pause();
  }
}
