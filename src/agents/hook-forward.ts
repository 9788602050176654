/**
 * The quick way from a Claude Code hook to the room: a small Python script, written into the
 * agent's launch folder, that Claude Code runs for each hook event instead of `tower hook`.
 *
 * Why: Claude Code waits for the PreToolUse hook before every write, and a Node process costs
 * 60-100 ms of start-up on a 2-core machine before it does anything (more with
 * NODE_EXTRA_CA_CERTS, which Node reads at start), while Python starts in about 20 ms. The room
 * has the plan and the engine loaded, so all the hook has to do is carry one JSON line each way.
 *
 * The script sends the event to the room's hook socket (TOWER_HOOK_SOCKET) exactly as
 * `tower hook` does (src/cli/hook-main.ts) and prints the room's answer. Whenever it cannot
 * (no socket, no answer within the time `tower hook` gives the room, a room that could not do
 * the work, an event it cannot read, no agent identity), it runs `tower hook <event>` with the
 * same input, which does the work on the files itself: never less than `tower hook` would do.
 *
 * The interpreter is found once per process: `python3` on the PATH, resolved to the real binary
 * (a pyenv or asdf shim costs a shell script's start-up on every call); TOWER_HOOK_PYTHON names
 * another, or `off` for `tower hook` alone. Without Python the hooks run `tower hook`.
 */
import { execFile } from "node:child_process";
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { writeStateFile } from "../engine/state/index.js";

/** The script's name in the agent's launch folder. */
export const FORWARDER_FILE = "tower-hook.py";

/** Seconds the script waits for the room: as long as `tower hook` waits (ROOM_TIMEOUT_MS). */
const ROOM_TIMEOUT_S = 5;

/**
 * The script. It imports only what Python has built in (`_socket`, not `socket`, whose enum and
 * selectors imports cost as much as Python's own start; no `json`, whose regular expressions
 * cost another 10 ms): the event's JSON goes to the room as it came, inside the request, and the
 * room answers in lines (see `linesReply` in room/hook-endpoint.ts). `subprocess` is imported
 * only to run `tower hook`.
 */
export const FORWARDER_SOURCE = `# Written by Tower for the agent whose launch folder holds it: Claude Code runs it for each hook
# event (see claude-settings.json). It asks the room that started the agent and prints its
# answer; when it cannot, it runs \`tower hook <event>\` with the same input. Rewritten at each
# start of the agent: edits here do not last.
#   python3 -I -S tower-hook.py <event> <tower command...>
import os, sys, time, _socket

def tower_hook(data):
    import subprocess
    done = subprocess.run(sys.argv[2:] + ["hook", sys.argv[1]], input=data)
    sys.exit(done.returncode)

def quoted(text):
    out = ['"']
    for c in text or "":
        if c == '"' or c == "\\\\":
            out.append("\\\\" + c)
        elif ord(c) < 0x20:
            out.append("\\\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)

def ask(where, request):
    deadline = time.monotonic() + ${ROOM_TIMEOUT_S}
    room = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        room.settimeout(${ROOM_TIMEOUT_S})
        room.connect(where)
        room.sendall(request)
        reply = b""
        while True:
            room.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = room.recv(65536)
            if not chunk:
                return reply.decode("utf-8")
            reply += chunk
    finally:
        room.close()

def main():
    data = sys.stdin.buffer.read()
    env = os.environ
    where = env.get("TOWER_HOOK_SOCKET")
    agent = env.get("TOWER_AGENT_ID")
    event = sys.argv[1]
    payload = data.strip()
    # Only an object comes as it is; tower hook deals with anything else.
    if not where or not agent or not payload.startswith(b"{"):
        tower_hook(data)
    head = '{"event":%s,"reply":"lines","agent":{"id":%s,"stream":%s,"worktree":%s},"payload":' % (
        quoted(event), quoted(agent), quoted(env.get("TOWER_STREAM")), quoted(env.get("TOWER_WORKTREE")))
    # A line ends the request: JSON has line breaks only between its tokens, where a space will do.
    body = payload.replace(b"\\r", b" ").replace(b"\\n", b" ")
    try:
        reply = ask(where, head.encode("utf-8") + body + b"}\\n")
    except Exception:
        tower_hook(data)
    status, _, rest = reply.partition("\\n")
    if status != "ok":
        tower_hook(data)
    output, _, warning = rest.partition("\\n")
    if output:
        sys.stdout.write(output + "\\n")
    if warning.strip():
        sys.stderr.write(warning.rstrip("\\n") + "\\n")
    sys.exit(0)

main()
`;

export interface Forwarder {
  /** The Python interpreter, resolved (no shim). */
  python: string;
  /** The script, in the agent's launch folder. */
  script: string;
}

const pythons = new Map<string, Promise<string | undefined>>();

async function executable(file: string): Promise<boolean> {
  return fsp.access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The Python interpreter for the hooks, or undefined for `tower hook` alone (see the top). */
export function findPython(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const chosen = env.TOWER_HOOK_PYTHON;
  const key = `${chosen ?? ""}\0${env.PATH ?? ""}`;
  let found = pythons.get(key);
  if (!found) {
    found = locatePython(chosen, env);
    pythons.set(key, found);
  }
  return found;
}

async function locatePython(
  chosen: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (chosen === "off") return undefined;
  let candidate = chosen;
  if (!candidate) {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
      if (dir && (await executable(path.join(dir, "python3")))) {
        candidate = path.join(dir, "python3");
        break;
      }
    }
  }
  if (!candidate) return undefined;
  // The binary itself (a shim execs it after a script of its own), and a Python 3 that runs.
  const real = await new Promise<string | undefined>((resolve) => {
    execFile(
      candidate,
      ["-I", "-S", "-c", "import sys; print(sys.executable if sys.version_info >= (3, 6) else '')"],
      { timeout: 10_000, env: { ...env } },
      (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined),
    );
  });
  return real && path.isAbsolute(real) && (await executable(real)) ? real : undefined;
}

/**
 * Writes the script into `folder` (the agent's launch folder, made and checked by the caller:
 * StateStore.folder), whole and renamed into place, never through a link (writeStateFile); its
 * path.
 */
export async function writeForwarder(folder: string): Promise<string> {
  const file = path.join(folder, FORWARDER_FILE);
  await writeStateFile(file, FORWARDER_SOURCE, 0o644);
  return file;
}

/** The words of the command Claude Code runs for `event`: the script when there is one. */
export function hookWords(
  tower: readonly string[],
  event: string,
  forwarder?: Forwarder,
): string[] {
  return forwarder
    ? [forwarder.python, "-I", "-S", forwarder.script, event, ...tower]
    : [...tower, "hook", event];
}
