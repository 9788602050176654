/**
 * `tower attach`, started without the rest of the CLI (see main.ts), so that the room's screens
 * are there as soon as the server has sent them:
 *
 * 1. the repository is found (its `.git` read, `git rev-parse` only when that is not plain), the
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
 */
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ClientInfo } from "../room/protocol/index.js";
import { connectLocal, connectSsh, parseSshTarget } from "../server/connect.js";
import { RemoteRoom } from "../server/remote.js";
import { withOverrides } from "../ui/keys/table.js";
import { paintScreen } from "../ui/paint.js";
import { createAppStore } from "../ui/store/index.js";
import { ENTER, LEAVE } from "../ui/terminal-modes.js";
import { colorModeFromEnv } from "../ui/view/color.js";
import { loadControlRoom } from "./control-room.js";

export interface AttachArgs {
  ssh?: string;
  start: boolean;
  mouse: boolean;
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
    else return undefined;
  }
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

/**
 * The main worktree's root from any folder of the repository, as engine/git/repo.ts finds it,
 * read from the `.git` found upwards: a folder (the main worktree), or a linked worktree's file
 * naming its git folder, whose `commondir` leads to the main one. Anything else (GIT_DIR set,
 * a submodule, a bare repository, an unreadable file) asks git.
 */
export async function mainRootOf(cwd: string): Promise<string> {
  if (process.env.GIT_DIR === undefined && process.env.GIT_COMMON_DIR === undefined) {
    const found = await fromDotGit(path.resolve(cwd)).catch(() => undefined);
    if (found) return found;
  }
  return askGit(cwd);
}

async function fromDotGit(cwd: string): Promise<string | undefined> {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, ".git");
    const stat = await fsp.lstat(dotGit).catch(() => undefined);
    if (stat?.isDirectory()) return fsp.realpath(dir);
    if (stat?.isFile()) {
      const match = /^gitdir: (.+)$/m.exec(await fsp.readFile(dotGit, "utf8"));
      if (!match?.[1]) return undefined;
      const gitDir = path.resolve(dir, match[1].trim());
      const common = (await fsp.readFile(path.join(gitDir, "commondir"), "utf8")).trim();
      const commonDir = path.resolve(gitDir, common);
      if (path.basename(commonDir) !== ".git") return undefined;
      return fsp.realpath(path.dirname(commonDir));
    }
    if (stat) return undefined;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function askGit(cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir"],
      { cwd },
      (error, stdout) => {
        const [top, common] = String(stdout).trim().split("\n");
        if (error || !top || !common) {
          reject(
            new Error(
              `${cwd} is not inside a git repository: run tower from your project's repository (or \`git init\` first)`,
            ),
          );
          return;
        }
        resolve(path.resolve(path.basename(common) === ".git" ? path.dirname(common) : top));
      },
    );
  });
}

/** What the server's welcome says of the plan's `ui:` (host.ts). */
interface WelcomeUi {
  keys?: Record<string, string[]>;
  mouse?: boolean;
}

export async function runAttach(args: AttachArgs): Promise<number> {
  const { stdin, stdout } = process;
  try {
    const store = createAppStore();
    store.getState().setSize(stdout.columns || 80, stdout.rows || 24);
    store.setState({ colorMode: colorModeFromEnv(), hosted: true });
    const connection = args.ssh
      ? await connectSsh(parseSshTarget(args.ssh), clientInfo("tower attach --ssh"))
      : await connectLocal(await mainRootOf(process.cwd()), clientInfo(), { start: args.start });
    const room = await RemoteRoom.attach(connection, store);
    const ui = (connection.welcome as { ui?: WelcomeUi }).ui ?? {};
    const table = withOverrides(ui.keys ?? {});
    const terminal = stdin.isTTY === true && stdout.isTTY === true;
    if (terminal) {
      stdin.setRawMode(true);
      stdout.write(ENTER + paintScreen(store.getState(), table));
    }
    let run: Awaited<ReturnType<typeof loadControlRoom>>["runControlRoom"];
    try {
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
