/**
 * `tower attach`, started without the rest of the CLI (see main.ts), so that the room's screens
 * are there as soon as the server has sent them:
 *
 * 1. the repository is found (its `.git` read, `git rev-parse` only when that is not plain: see
 *    engine/git/main-root.ts), the
 *    server's socket connected, and the room's snapshot mirrored into the control room's store;
 * 2. the snapshot is painted as the control room will draw it (ui/paint.ts), on the alternate
 *    screen, with the keyboard already in raw mode;
 * 3. only then the control room (Ink, React: the longest part of starting) loads, and takes the
 *    painted screen and the attached room over. Loading it earlier would not overlap with the
 *    rest: compiling its modules holds the one thread the connection needs too.
 *
 * The key table and the mouse come with the server's welcome (the plan's `ui:`), so no plan is
 * read here. Anything but `--ssh <target>`, `--start` and `--mouse` (help, a typo) goes through
 * the full command line instead.
 *
 * `tower` itself (or `tower ui`) takes this way too, as `tower attach --start` (fastOpenArgs):
 * the server is started at once, before anything else loads, where the full command line first
 * loaded the plan, the engine and the control room (about 0.6 s here). Whatever this way cannot
 * do goes to the full command line, which says why: no terminal, the room in the control room's
 * own process, another option, no repository or no streams.yaml, a server that would not start
 * (a broken plan: the full command line reports it with its file and line).
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ClientInfo } from "../room/protocol/index.js";
import {
  connectLocal,
  connectSsh,
  parseSshTarget,
  UnansweringServerError,
} from "../server/connect.js";
import { RemoteRoom } from "../server/remote.js";
import { attachRoot } from "../server/target.js";
import { withOverrides } from "../ui/keys/table.js";
import { panelRowsWanted } from "../ui/layout.js";
import { paintScreen } from "../ui/paint.js";
import { createAppStore } from "../ui/store/index.js";
import { ENTER, LEAVE } from "../ui/terminal-modes.js";
import { colorModeFromEnv } from "../ui/view/color.js";
import type { loadControlRoom } from "./control-room.js";
import { keepYoungGenerationSmall } from "./young-generation.js";

export interface AttachArgs {
  ssh?: string;
  /** `tower attach <repository>`: a folder of the repository whose room to open. */
  repository?: string;
  start: boolean;
  mouse: boolean;
  /** `--no-resume` (`tower` only): a server started now starts its agents afresh. */
  resume?: boolean;
  /** `tower` itself: when this way cannot open the room, the full command line takes over. */
  open?: boolean;
}

/**
 * `tower` or `tower ui` with nothing but `--no-resume` and `--mouse`, in a terminal, through the
 * server: how this path takes it; undefined for the full command line.
 */
export function fastOpenArgs(args: readonly string[]): AttachArgs | undefined {
  if (process.env.TOWER_IN_PROCESS === "1") return undefined;
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) return undefined;
  const parsed: AttachArgs = { start: true, mouse: false, open: true };
  for (const arg of args) {
    if (arg === "--no-resume") parsed.resume = false;
    else if (arg === "--mouse") parsed.mouse = true;
    else return undefined;
  }
  return parsed;
}

/** The arguments after `attach`, when they are all this path knows; undefined otherwise. */
export function fastAttachArgs(args: readonly string[]): AttachArgs | undefined {
  const parsed: AttachArgs = { start: false, mouse: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--start") parsed.start = true;
    else if (arg === "--mouse") parsed.mouse = true;
    else if (arg === "--ssh" && args[i + 1] !== undefined && !args[i + 1]?.startsWith("-"))
      parsed.ssh = args[++i];
    else if (arg.startsWith("--ssh=") && arg.length > 6) parsed.ssh = arg.slice(6);
    else if (!arg.startsWith("-") && parsed.repository === undefined) parsed.repository = arg;
    else return undefined;
  }
  // The remote repository goes in the target (user@host:path): the full command line says so.
  if (parsed.ssh !== undefined && parsed.repository !== undefined) return undefined;
  return parsed;
}

/** Who is attaching and the terminal's size, for the server's hello. */
export function clientInfo(name = "tower"): ClientInfo {
  return {
    cols: process.stdout.columns || 80,
    rows: process.stdout.rows || 24,
    name: `${os.userInfo().username}@${os.hostname()} ${name}`,
  };
}

/** What the server's welcome says of the plan's `ui:` (host.ts). */
interface WelcomeUi {
  keys?: Record<string, string[]>;
  mouse?: boolean;
}

/** The repository's room, its server started if `args.start` and none runs. */
async function connectTo(args: AttachArgs) {
  if (args.ssh) return connectSsh(parseSshTarget(args.ssh), clientInfo("tower attach --ssh"));
  const root = await attachRoot(args.repository, { fallback: !args.start && !args.open });
  // The plan's file (engine/project.ts PLAN_FILE, not imported: the engine would come with it).
  if (args.open && !existsSync(path.join(root, "streams.yaml"))) {
    throw new Error(`no streams.yaml in ${root}`);
  }
  return connectLocal(root, clientInfo(), { start: args.start, resume: args.resume });
}

/**
 * Opens the control room on the room; resolves with the exit code, or for `tower` itself
 * (`args.open`) with undefined when the room could not be reached: the full command line then
 * takes over.
 */
export async function runAttach(args: AttachArgs): Promise<number | undefined> {
  const { stdin, stdout } = process;
  try {
    const store = createAppStore();
    store.getState().setSize(stdout.columns || 80, stdout.rows || 24);
    store.setState({ colorMode: colorModeFromEnv(), hosted: true });
    let connection: Awaited<ReturnType<typeof connectTo>>;
    try {
      connection = await connectTo(args);
    } catch (error) {
      // The full command line says why (a plan to fix, no repository), but would wait again on
      // a server that does not answer.
      if (args.open && !(error instanceof UnansweringServerError)) return undefined;
      throw error;
    }
    const room = await RemoteRoom.attach(connection, store);
    const ui = (connection.welcome as { ui?: WelcomeUi }).ui ?? {};
    const table = withOverrides(ui.keys ?? {});
    const terminal = stdin.isTTY === true && stdout.isTTY === true;
    if (terminal) {
      stdin.setRawMode(true);
      // The bottom panel as tall as the control room will make it (followPanel), so that the
      // painted frame has its layout.
      store.getState().setPanelRows(panelRowsWanted(store.getState()));
      stdout.write(ENTER + paintScreen(store.getState(), table));
    }
    // After the first paint, which it slowed (the attach benchmark: 200-210 ms at the median
    // against 158), and before the control room loads, which would grow the young generation.
    keepYoungGenerationSmall();
    let run: Awaited<ReturnType<typeof loadControlRoom>>["runControlRoom"];
    try {
      // Loaded after the paint: in the bundle, the control room's entry beside attach.js.
      const { loadControlRoom } = await import("./control-room.js");
      run = (await loadControlRoom()).runControlRoom;
    } catch (error) {
      room.detach("the control room could not load");
      if (terminal) {
        stdout.write(LEAVE);
        stdin.setRawMode(false);
      }
      throw error;
    }
    await run(undefined, {
      store,
      painted: terminal,
      table,
      mouse: args.mouse || ui.mouse === true,
      attach: async () => room,
    });
    return 0;
  } catch (error) {
    process.stderr.write(`tower: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
