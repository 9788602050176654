/**
 * Opens the control room in this terminal: the alternate screen, raw keyboard input, the
 * services that feed the store, and Ink drawing each store update. The terminal is restored on
 * every way out: quit, a signal, or a crash.
 *
 * Two ways to host the room. Attached (`options.attach`: `tower`, `tower attach`), the room is a
 * server's and this is one of its clients: every way out (quit, `D`, a signal, a hang-up, a
 * crash, and kill -9 of course) is a detach, and the agents go on; only `q` then "stop" stops
 * them, by the room's `shutdown`. If the server goes (stopped elsewhere, the SSH link dropped),
 * the control room leaves and says why. In-process (`--in-process`, tests, the demo):
 *
 * Every way out also stops every agent first (SIGTERM, SIGKILL after the grace period) and leaves
 * agents.json saying each exited: quitting, SIGTERM, SIGINT, a hang-up (SIGHUP, or the terminal
 * gone: a read or write on it fails, as Ink's next frame does with EIO), and an uncaught error
 * (the error then takes its course: printed on the main screen, exit code 1). After a hang-up
 * nothing is written to the terminal any more. Only kill -9 skips this; the next Tower stops
 * the agents left running (see SessionManager).
 *
 * Frame rate: agents' output reaches the store through the session manager's frame clock, at
 * most ~30 updates a second for all panes together, so a flood costs ~30 frames a second. Ink's
 * own throttle is only a backstop (`INK_MAX_FPS`, 4 ms): left at Ink's default 30 it would hold a
 * keystroke's echo (which the manager pushes at once) or a key's effect for up to 33 ms whenever
 * a frame had just been drawn.
 */
import { type Instance, render } from "ink";
import { createElement } from "react";
import { TargetError } from "../engine/errors.js";
import type { Project } from "../engine/project.js";
import { DEFAULT_STOP_GRACE_MS, parseEscapeKey } from "../pty/keys.js";
import type { RoomCommand, RoomEvent, RoomReply } from "../room/commands.js";
import { runningAgents } from "../room/state.js";
import { App } from "./components/App.js";
import { directPaneRenderer } from "./components/Pane.js";
import { DirectPanes } from "./direct-panes.js";
import { inkOutput } from "./ink-output.js";
import { clipboardBytes } from "./input/copy.js";
import { type Controller, handleInput } from "./input/dispatch.js";
import { MOUSE_OFF, MOUSE_ON } from "./input/mouse.js";
import { type KeyCommand, withOverrides } from "./keys/table.js";
import { ringOnNotify } from "./notify.js";
import { askTrust, followLayout, type RoomClient, showMessages } from "./room-client.js";
import type { Services } from "./services/index.js";
import { StoreContext } from "./store/context.js";
import { type AppStore, createAppStore } from "./store/index.js";
import { ENTER, ENTER_MODES, LEAVE, NoTerminalError } from "./terminal-modes.js";
import { colorModeFromEnv } from "./view/color.js";

/** Ink's render throttle: high, since the frame clock does the coalescing (see above). */
export const INK_MAX_FPS = 250;
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** Beyond the agents' grace period, how long the way out may take before it is forced. */
const EXIT_MARGIN_MS = 5_000;

export interface RunOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  table?: readonly KeyCommand[];
  /** Resume the agents' previous conversations where their presets can (default true). */
  resume?: boolean;
  /** Lines shown in a dialog when the control room opens (the demo's guide). */
  intro?: string[];
  /**
   * Attach to a room hosted by a server instead of hosting it here: connects, mirrors the
   * room's state into the store (resolving once the first snapshot is in) and returns the room.
   */
  attach?: (store: AppStore) => Promise<AttachedRoom>;
  /** The mouse (wheel and clicks): the plan's `ui.mouse` unless given. */
  mouse?: boolean | undefined;
  /** The store to draw (one `attach` has filled already); a new one otherwise. */
  store?: AppStore;
  /** The alternate screen is entered and the room painted on it (paint.ts): not cleared first. */
  painted?: boolean;
}

/** A room hosted elsewhere, as the control room uses it (see src/server/remote.ts). */
export interface AttachedRoom {
  run(command: RoomCommand): Promise<RoomReply>;
  on(listener: (event: RoomEvent) => void): () => void;
  /** Called once when the connection ends, with why. */
  onClose(listener: (reason: string) => void): () => void;
  /** Leaves the room in good order; the agents go on. */
  detach(reason?: string): void;
  /** Whether the server went without a word (killed, crashed, or the link to it dropped). */
  readonly lost?: boolean;
  /** The command that opens the room again, said on leaving (default `tower attach`). */
  readonly reopen?: string | undefined;
}

export async function runControlRoom(
  project: Project | undefined,
  options: RunOptions = {},
): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new NoTerminalError();
  }
  const table = options.table ?? withOverrides(project?.plan.uiKeys ?? {});
  const mouse = options.mouse ?? project?.plan.uiMouse ?? false;
  const store = options.store ?? createAppStore();
  store.getState().setSize(stdout.columns || 80, stdout.rows || 24);
  store.setState({ colorMode: colorModeFromEnv() });
  if (options.intro) {
    store
      .getState()
      .openModal({ kind: "text", title: "Welcome to Tower", lines: options.intro, offset: 0 });
  }

  // Leaving, whichever way: Ink's last frame first (it would land on the main screen after), then
  // the terminal's modes and screen. On a crash the error is printed after this, so the message
  // stays readable on the main screen.
  let ink: Instance | undefined;
  let direct: DirectPanes | undefined;
  let closeOutput: (() => void) | undefined;
  const stopDrawing = () => {
    direct?.close();
    closeOutput?.();
    try {
      ink?.unmount();
    } catch {}
  };
  // The terminal is gone (hung up): nothing more is written to it, and we leave.
  let hungUp = false;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stopDrawing();
    if (hungUp) return;
    try {
      stdin.setRawMode(false);
    } catch {}
    stdout.write(mouse ? MOUSE_OFF + LEAVE : LEAVE);
  };
  process.once("exit", restore);
  // A screen painted already (tower attach's first frame) stays until Ink draws over it.
  const enter = options.painted ? ENTER_MODES : ENTER;
  stdout.write(mouse ? enter + MOUSE_ON : enter);
  stdin.setRawMode(true);
  stdin.resume();

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onResize = () => store.getState().setSize(stdout.columns || 80, stdout.rows || 24);
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === "SIGHUP") hungUp = true;
    finish();
  };
  const onHangUp = () => {
    hungUp = true;
    finish();
  };
  // A write error on a terminal that has gone is emitted on the stream: without a listener it
  // would be thrown, and Tower would crash before it stopped the agents. Kept to the end.
  stdout.on("error", onHangUp);
  stdin.on("error", onHangUp);
  stdin.on("end", onHangUp);
  let crash: { error: unknown } | undefined;
  const onCrash = (error: unknown) => {
    crash ??= { error };
    finish();
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  let services: Services | undefined;
  let attached: { room: AttachedRoom; stop(): void } | undefined;
  /** Why the server ended the connection, said on the main screen after leaving. */
  let serverGone: string | undefined;
  /** Once the user asked to stop every agent and the server: the agents running then. */
  let stopping: string[] | undefined;
  let onData: ((data: Buffer) => void) | undefined;
  let stopRinging: (() => void) | undefined;
  try {
    // The escape key of insert mode is the first control key bound to `mode.normal`.
    const escapeKey = table
      .find((c) => c.id === "mode.normal")
      ?.keys.find((k) => /^ctrl\+.$/.test(k));
    let client: RoomClient;
    let quit: Controller["quit"];
    if (options.attach) {
      store.setState({ hosted: true });
      const room = await options.attach(store);
      if (room.reopen !== undefined) store.setState({ reopen: room.reopen });
      const stops = [
        followLayout(store, room),
        showMessages(store, room),
        askTrust(store),
        room.onClose((reason) => {
          if (!stopping) serverGone ??= reason;
          finish();
        }),
      ];
      attached = {
        room,
        stop: () => {
          for (const stop of stops) stop();
        },
      };
      client = room;
      // Leaving detaches; "stop" asks the server to stop every agent and itself first.
      quit = ({ stop }) => {
        if (!stop) return finish();
        stopping = runningAgents(store.getState());
        store.getState().showFlash("stopping every agent…", 60_000);
        void room.run({ type: "shutdown" }).then((reply) => {
          if (!reply.ok) serverGone = `the server did not stop: ${reply.error}`;
          finish();
        });
      };
    } else {
      if (!project) throw new Error("the control room needs a project to host the room itself");
      // The room in this process: loaded only here (an attached control room has none).
      const { startServices } = await import("./services/index.js");
      services = await startServices(project, store, {
        resume: options.resume ?? true,
        session: escapeKey ? { escapeKey: parseEscapeKey(escapeKey) } : {},
      });
      client = services.room;
      // In this process the agents end with the control room: leaving stops them.
      quit = () => finish();
    }
    const controller: Controller = {
      store,
      client,
      table,
      ...(escapeKey && { escapeKey: parseEscapeKey(escapeKey) }),
      quit,
      clipboard: (text) => {
        if (!hungUp) stdout.write(clipboardBytes(text));
      },
    };
    // The room's notifications ring this terminal (a bell, OSC 9/777), hosted here or not.
    const unring = ringOnNotify(store, client, (bytes) => {
      if (!hungUp) stdout.write(bytes);
    });
    stopRinging = unring;
    const handler = (data: Buffer) => handleInput(controller, data.toString("utf8"));
    onData = handler;
    stdin.on("data", handler);
    stdout.on("resize", onResize);

    // Panes are written by `DirectPanes`; Ink writes through `inkOutput`, which writes only the
    // lines Ink changed and has the pane rows on them written again.
    const panes = new DirectPanes(stdout, store);
    direct = panes;
    const output = inkOutput(stdout, panes);
    closeOutput = output.close;
    ink = render(
      createElement(
        StoreContext.Provider,
        { value: store },
        createElement(App, { table, paneRenderer: directPaneRenderer }),
      ),
      {
        stdout: output.stream,
        stdin,
        exitOnCtrlC: false,
        patchConsole: false,
        maxFps: INK_MAX_FPS,
        incrementalRendering: true,
      },
    );
    await finished;
  } finally {
    if (onData) stdin.off("data", onData);
    stopRinging?.();
    stdout.off("resize", onResize);
    stopDrawing();
    // Should stopping hang, the way out is forced (the agents are killed as the process exits).
    const force = setTimeout(
      () => process.exit(crash ? 1 : 0),
      (services?.sessions.graceMs ?? DEFAULT_STOP_GRACE_MS) + EXIT_MARGIN_MS,
    );
    force.unref();
    await services?.close().catch(() => {});
    if (attached) {
      attached.stop();
      // Every way out of an attached control room is a detach: the agents go on.
      attached.room.detach(hungUp ? "the client's terminal hung up" : "the client detached");
    }
    clearTimeout(force);
    // Signals and errors are handled until the agents are stopped: a second SIGTERM or a
    // second error must not cut that short.
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    restore();
    process.off("exit", restore);
    stdin.off("end", onHangUp);
    stdin.pause();
  }
  if (serverGone !== undefined && !hungUp && attached?.room.lost && !crash) {
    // A lost server is a failure, said as the command's error (as tmux's "[lost server]"),
    // where a server that stopped in good order is the end of the session.
    throw new TargetError(serverGone);
  }
  if (serverGone !== undefined && !hungUp) {
    process.stderr.write(`tower: the room's connection ended: ${serverGone}\n`);
  } else if (attached && !hungUp && !crash) {
    // Left on the main screen, as tmux's "[detached (from session …)]".
    stdout.write(
      `${leavingNote(stopping !== undefined, stopping ?? runningAgents(store.getState()), attached.room.reopen)}\n`,
    );
  }
  if (crash) {
    // A defect: once the agents are stopped and the terminal restored, it is thrown again
    // outside any handler, so that Node prints it and exits with 1 as for any uncaught error.
    const { error } = crash;
    setImmediate(() => {
      throw error;
    });
  }
}

/** What an attached control room says as it leaves: what goes on (or stopped), how to return. */
export function leavingNote(
  stopped: boolean,
  agents: readonly string[],
  reopen = "tower attach",
): string {
  const named = agents.join(", ");
  if (stopped) {
    const what = agents.length ? `${named} and the room's server` : "the room's server";
    return `[stopped: ${what}; worktrees, branches and commits stay]`;
  }
  const going = agents.length
    ? `${named} ${agents.length === 1 ? "goes" : "go"} on`
    : "no agent is running";
  return `[detached: ${going}; \`${reopen}\` opens the room again]`;
}
