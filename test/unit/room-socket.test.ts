/**
 * The room's listening socket: a stale socket (its server killed with -9) is replaced by one
 * process at a time, under the lock the caller gives, so two servers released at the same
 * instant never both listen (one removing the socket the other had just bound); and an error on
 * a socket that listens (an accept that fails) is reported, not thrown out of the event loop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { listenUnixSocket, socketAnswers } from "../../src/room/protocol/index.js";
import { PROJECT_ROOT } from "../helpers/repo.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-test-socket-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A socket at `file` that nothing listens on any more: its server was killed with -9. */
async function staleSocket(file: string): Promise<void> {
  const script = `require("node:net").createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, "SIGKILL"))`;
  await new Promise<void>((resolve) => {
    spawn(process.execPath, ["-e", script], { stdio: "ignore" }).on("exit", () => resolve());
  });
}

const dist = (file: string) => JSON.stringify(path.join(PROJECT_ROOT, "dist", file));

/**
 * A process that listens on `socket` at the instant `at` (ms since the epoch), taking a flock on
 * `lock` around the replacement as a server does; it prints `listening` or why not, and stays
 * until its stdin closes.
 */
function listener(
  socket: string,
  lock: string,
  at: number,
): { child: ChildProcess; said: Promise<string> } {
  const script = `
import { closeSync, constants, openSync } from "node:fs";
const { listenUnixSocket } = await import(${dist("room/protocol/unix-socket.js")});
const { lockExclusive } = await import(${dist("engine/state/flock.js")});
const [socket, lock, at] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const exclusive = async (critical) => {
  const fd = openSync(lock, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    await lockExclusive(fd, lock, 10_000);
    return await critical();
  } finally {
    closeSync(fd);
  }
};
await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now() - 20)));
while (Date.now() < at) {}
try {
  await listenUnixSocket(socket, { onConnection: (t) => t.close("probe"), exclusive });
  console.log("listening");
} catch (error) {
  console.log("refused: " + error.message);
}
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", script, socket, lock, String(at)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  cleanups.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const said = new Promise<string>((resolve) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", () => resolve(out.trim() || "exited"));
  });
  return { child, said };
}

describe("the room's socket", () => {
  it("a stale socket replaced by two processes at the same instant: one listens, the other finds it answering", async () => {
    const dir = tempDir();
    for (let trial = 0; trial < 8; trial++) {
      const socket = path.join(dir, `room-${trial}.sock`);
      await staleSocket(socket);
      const at = Date.now() + 600;
      const both = [
        listener(socket, path.join(dir, "room.lock"), at),
        listener(socket, path.join(dir, "room.lock"), at),
      ];
      const said = (await Promise.all(both.map((b) => b.said))).sort();
      expect(said[0], `trial ${trial}`).toBe("listening");
      expect(said[1], `trial ${trial}`).toBe(
        `refused: another Tower server already answers on ${socket}: attach to it, or stop it first`,
      );
      expect(await socketAnswers(socket)).toBe(true);
      for (const b of both) b.child.kill("SIGKILL");
    }
  });

  it("an error on the listening socket (an accept that fails) is reported; the socket goes on", async () => {
    const dir = tempDir();
    const made: net.Server[] = [];
    const createServer = net.createServer.bind(net);
    vi.spyOn(net, "createServer").mockImplementation(((
      ...args: Parameters<typeof net.createServer>
    ) => {
      const server = createServer(...args);
      made.push(server);
      return server;
    }) as typeof net.createServer);
    const errors: string[] = [];
    const listening = await listenUnixSocket(path.join(dir, "t.sock"), {
      onConnection: (t) => t.close("probe"),
      onError: (error) => errors.push(error.message),
    });
    cleanups.push(() => listening.close());
    expect(made).toHaveLength(1);
    const error = Object.assign(new Error("accept EMFILE"), { code: "EMFILE", syscall: "accept" });
    expect(() => made[0]!.emit("error", error)).not.toThrow();
    expect(errors).toEqual(["accept EMFILE"]);
    expect(await socketAnswers(listening.path)).toBe(true);
  });
});
