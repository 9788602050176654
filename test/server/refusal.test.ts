/**
 * Who the server refuses, on its real socket: a client with a wrong token, a connection that
 * says hello without the token (any process that reached the socket but cannot read the
 * token, 0600 in a 0700 folder: Node has no SO_PEERCRED, so this is the peer check), a client
 * of another protocol, and bytes that are not Tower frames. Each is told why, and the server
 * goes on serving the next client.
 */

import { spawnSync } from "node:child_process";
import { chmodSync, statSync } from "node:fs";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  clientHandshake,
  connectUnixSocket,
  encodeFrame,
  FrameDecoder,
  HandshakeError,
  MAX_FRAME_BYTES,
  type Message,
  PROTOCOL_VERSION,
  roomSocketPath,
} from "../../src/room/protocol/index.js";
import { readToken, tokenPath } from "../../src/room/protocol/token.js";
import { isAlive } from "../../src/server/info.js";
import { waitFor } from "../helpers/repo.js";
import {
  attach,
  cleanupRigs,
  recordedPid,
  type ServerRig,
  screenOf,
  serverRig,
  startServer,
  waitForScreen,
} from "./helpers.js";

afterEach(cleanupRigs);

/** Writes `bytes` on a raw connection and reads the frames that come back until it closes. */
function exchange(socketPath: string, bytes: Buffer): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const decoder = new FrameDecoder();
    const got: Message[] = [];
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk) => got.push(...decoder.push(chunk).messages));
    socket.on("close", () => resolve(got));
    socket.on("error", reject);
  });
}

const hello = (fields: Record<string, unknown>) =>
  encodeFrame({
    type: "hello",
    protocol: PROTOCOL_VERSION,
    client: { cols: 80, rows: 24, name: "intruder" },
    ...fields,
  });

describe("the server's door", () => {
  it("keeps its socket and token private, and refuses whoever does not present the token", async () => {
    const rig = await serverRig();
    await startServer(rig);
    const socketPath = roomSocketPath(rig.dir);
    expect(statSync(rig.dir).mode & 0o777).toBe(0o700);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(`${rig.dir}/room.token`).mode & 0o777).toBe(0o600);

    // A wrong token: refused, with the reason.
    const transport = await connectUnixSocket(socketPath);
    const wrong = clientHandshake(transport, {
      token: "0".repeat(64),
      client: { cols: 80, rows: 24, name: "guess" },
    });
    await expect(wrong).rejects.toBeInstanceOf(HandshakeError);
    await expect(wrong).rejects.toThrow(/token is not this Tower server's/);

    // A process that reached the socket but not the token: a hello without one.
    expect(await exchange(socketPath, hello({}))).toEqual([
      { type: "refused", reason: expect.stringMatching(/token is not this Tower server's/) },
    ]);
    // Another protocol: told so, before anything else is looked at.
    const other = await exchange(socketPath, hello({ protocol: PROTOCOL_VERSION + 1 }));
    expect(other[0]).toMatchObject({
      type: "refused",
      reason: expect.stringContaining(
        `this Tower speaks protocol ${PROTOCOL_VERSION}, the client speaks ${PROTOCOL_VERSION + 1}`,
      ),
    });
    // Not Tower frames at all.
    const http = await exchange(socketPath, Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    expect(http[0]).toMatchObject({
      type: "error",
      message: expect.stringContaining("the other side writes text, not Tower frames"),
    });

    // And a client with the token is still welcome.
    const { store } = await attach(rig, "owner");
    expect(store.getState().agentOrder).toEqual(["A1"]);
  });

  // Another uid needs root to be made; CI runs as root.
  it.runIf(process.getuid?.() === 0)(
    "refuses a client of another user: it reaches neither the socket nor the token",
    async () => {
      const rig = await serverRig();
      await startServer(rig);
      const socketPath = roomSocketPath(rig.dir);
      // The test's own folders open to all, so only Tower's private folder stands in the way.
      chmodSync(rig.runtime, 0o755);
      const script = `
        const net = require("node:net");
        const fs = require("node:fs");
        const out = {};
        try { fs.readFileSync(${JSON.stringify(tokenPath(rig.dir))}); out.token = "read"; }
        catch (e) { out.token = e.code; }
        const socket = net.connect(${JSON.stringify(socketPath)});
        socket.on("connect", () => { out.socket = "connected"; console.log(JSON.stringify(out)); process.exit(0); });
        socket.on("error", (e) => { out.socket = e.code; console.log(JSON.stringify(out)); process.exit(0); });
      `;
      const nobody = spawnSync(process.execPath, ["-e", script], {
        uid: 65534,
        gid: 65534,
        cwd: "/",
        encoding: "utf8",
        timeout: 10_000,
      });
      expect(nobody.stderr).toBe("");
      expect(JSON.parse(nobody.stdout)).toEqual({ token: "EACCES", socket: "EACCES" });
      // The owner is still welcome.
      const { store } = await attach(rig, "owner");
      expect(store.getState().agentOrder).toEqual(["A1"]);
    },
  );
});

/** A raw connection that has said hello with the room's token and been welcomed. */
async function welcomed(rig: ServerRig): Promise<{
  write(bytes: Buffer): void;
  next(): Promise<Message>;
  closed: Promise<void>;
}> {
  const token = await readToken(rig.dir);
  const socket = net.connect(roomSocketPath(rig.dir));
  const decoder = new FrameDecoder();
  const got: Message[] = [];
  const waiters: ((m: Message) => void)[] = [];
  socket.on("data", (chunk) => {
    for (const message of decoder.push(chunk).messages) {
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else got.push(message);
    }
  });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.on("error", () => {});
  const next = () =>
    new Promise<Message>((resolve) => {
      const message = got.shift();
      if (message) resolve(message);
      else waiters.push(resolve);
    });
  await new Promise((resolve) => socket.on("connect", resolve));
  socket.write(hello({ token }));
  expect(await next()).toMatchObject({ type: "welcome" });
  return { write: (bytes) => socket.write(bytes), next, closed };
}

describe("a client that sends its own data back at the size of a frame", () => {
  // The server repeated a refused hello's type, or a failed command's id, in its answer: past
  // the 16 MiB a frame holds, the answer could not be sent and the server died, and every
  // agent with it.
  it("is refused or answered in a few words, and the server and its agent go on", async () => {
    const rig = await serverRig();
    const server = await startServer(rig);
    const { store } = await attach(rig, "owner");
    await waitForScreen(store, "A1", "ready A1");
    const agentPid = await waitFor(() => recordedPid(rig, "A1"));
    const huge = "x".repeat(MAX_FRAME_BYTES - 200);

    const refused = await exchange(roomSocketPath(rig.dir), encodeFrame({ type: huge }));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ type: "refused" });
    expect(JSON.stringify(refused[0]).length).toBeLessThan(1000);

    const client = await welcomed(rig);
    client.write(
      encodeFrame({ type: "command", id: huge, command: { type: "stop", agent: "NOPE" } }),
    );
    let answer = await client.next();
    // The room's snapshot and patches come first.
    while (answer.type === "snapshot" || answer.type === "patch" || answer.type === "event")
      answer = await client.next();
    expect(JSON.stringify(answer).length).toBeLessThan(1000);
    expect(answer).toMatchObject({ type: "error" });
    await client.closed;

    expect(server.exitCode).toBeNull();
    expect(isAlive(agentPid)).toBe(true);
    const again = await attach(rig, "owner again");
    await waitForScreen(again.store, "A1", "ready A1");
  });
});

describe("keys typed into a pane", () => {
  // A client's first keys after another client's layout was in force put its own layout back
  // first: the first key waited for that, the keys read with it did not, and went ahead of it.
  it("reach the agent in the order typed when the typing client takes the panes back", async () => {
    const rig = await serverRig();
    await startServer(rig);
    const typist = await welcomed(rig);
    const command = (id: number, c: Record<string, unknown>) =>
      encodeFrame({ type: "command", id, command: c });
    typist.write(command(1, { type: "layout", cols: 100, rows: 30, zoomed: true, selected: "A1" }));
    const other = await attach(rig, "other", { cols: 90, rows: 28 });
    await waitForScreen(other.store, "A1", "ready A1");
    expect(
      (await other.remote.run({ type: "layout", cols: 90, rows: 28, zoomed: true, selected: "A1" }))
        .ok,
    ).toBe(true);
    typist.write(
      Buffer.concat(
        ["1", "2", "3", "\r"].map((data, i) =>
          command(10 + i, { type: "input", agent: "A1", data }),
        ),
      ),
    );
    await waitForScreen(other.store, "A1", "You said: ");
    await waitFor(() => (/You said: \S+/.test(screenOf(other.store, "A1")) ? true : undefined));
    expect(screenOf(other.store, "A1")).toContain("You said: 123");
  });
});
