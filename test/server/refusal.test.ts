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
  type Message,
  PROTOCOL_VERSION,
  roomSocketPath,
} from "../../src/room/protocol/index.js";
import { tokenPath } from "../../src/room/protocol/token.js";
import { attach, cleanupRigs, serverRig, startServer } from "./helpers.js";

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
