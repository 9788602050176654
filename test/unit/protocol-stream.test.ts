/**
 * The transport over a real unix socket: a reader that stops reading is dropped at the hard
 * limit, and once it reads again it gets an unbroken run of what was sent, then the reason, so
 * it does not take the end for a crash; the sender's memory stays bounded meanwhile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  listenUnixSocket,
  type Message,
  type SocketServer,
  socketTransport,
  type Transport,
} from "../../src/room/protocol/index.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function closed(transport: Transport): Promise<string> {
  return new Promise((resolve) => transport.on("close", resolve));
}

/** A listening socket with the given limits; resolves with it and a connected raw socket. */
async function pair(limits: { highWaterMark: number; maxBuffered: number; maxFrameBytes: number }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tower-test-stream-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  let accepted!: (t: Transport) => void;
  const server = new Promise<Transport>((resolve) => {
    accepted = resolve;
  });
  const listening: SocketServer = await listenUnixSocket(path.join(dir, "t.sock"), {
    ...limits,
    onConnection: accepted,
  });
  cleanups.push(() => listening.close());
  const raw = net.connect(listening.path);
  // The reader does not read yet: what is sent fills the socket, then the sender's buffer.
  raw.pause();
  cleanups.push(() => void raw.destroy());
  await new Promise((resolve) => raw.once("connect", resolve));
  return { sender: await server, raw };
}

/** The reader starts reading: it gets messages 0 to `count` - 1, each once, in order. */
async function readsInOrder(raw: net.Socket, count: number): Promise<void> {
  const reader = socketTransport(raw);
  const got: number[] = [];
  reader.on("message", (m) => got.push((m.event as { n: number }).n));
  raw.resume();
  await expect.poll(() => got.length, { timeout: 10_000 }).toBe(count);
  expect(got).toEqual(got.map((_, i) => i));
}

describe("stream transport over a unix socket", () => {
  it("drops a reader that falls behind by the hard limit, and tells it why after what it had", async () => {
    const { sender, raw } = await pair({
      highWaterMark: 64 * 1024,
      maxBuffered: 1024 * 1024,
      maxFrameBytes: 64 * 1024,
    });
    const why = closed(sender);
    let sent = 0;
    while (!sender.closed && sent < 100_000) {
      sender.send({ type: "event", event: { n: sent, pad: "p".repeat(4000) } });
      sent++;
    }
    // Dropped at once for the sender, not when the reader comes back.
    expect(sender.closed).toBe(true);
    expect(await why).toMatch(
      /^the other side reads too slowly: 1(\.\d)? MiB were waiting for it$/,
    );
    // The socket and the sender's buffer held the reader's share; more was sent than that.
    expect(sent * 4000).toBeGreaterThan(1024 * 1024);

    const reader = socketTransport(raw);
    const got: Message[] = [];
    reader.on("message", (m) => got.push(m));
    const ended = closed(reader);
    raw.resume();
    expect(await ended).toMatch(/^this side read too slowly \(1(\.\d)? MiB were waiting for it\)/);
    expect(reader.lost).toBe(false);
    // The error says what it is, and how much waited, for the client to say in its words.
    expect(got.at(-1)).toMatchObject({ code: "too-slow" });
    expect(reader.droppedBehind).toBeGreaterThan(1024 * 1024);
    const events = got.filter((m) => m.type === "event");
    // An unbroken run from the first message, then the reason last: no frame cut in two.
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(sent);
    expect(events.map((m) => (m.event as { n: number }).n)).toEqual(events.map((_, i) => i));
    expect(got.at(-1)?.type).toBe("error");
  });

  it("keeps what a slow reader has not taken whole, in order, and says drain once it caught up", async () => {
    const { sender, raw } = await pair({
      highWaterMark: 64 * 1024,
      maxBuffered: 64 * 1024 * 1024,
      maxFrameBytes: 64 * 1024,
    });
    let drains = 0;
    sender.on("drain", () => drains++);
    let sent = 0;
    while (sender.send({ type: "event", event: { n: sent, pad: "q".repeat(4000) } })) sent++;
    sent++;
    // Past the mark, the rest waits: it is still sent, in order, once the reader reads.
    for (let i = 0; i < 200; i++) sender.send({ type: "event", event: { n: sent++, pad: "" } });
    await readsInOrder(raw, sent);
    await expect.poll(() => drains, { timeout: 10_000 }).toBe(1);
    expect(sender.writable).toBe(true);
  });

  it("with a mark below the stream's own buffer, what waits past it still goes once the reader reads", async () => {
    // The socket's own buffer says "drain" only after a write past 16 KB; the mark is 1 KB.
    const { sender, raw } = await pair({
      highWaterMark: 1024,
      maxBuffered: 64 * 1024 * 1024,
      maxFrameBytes: 64 * 1024,
    });
    let sent = 0;
    // Enough to fill the socket (the reader does not read), then some past the mark.
    for (; sent < 400; sent++)
      sender.send({ type: "event", event: { n: sent, pad: "r".repeat(4000) } });
    expect(sender.writable).toBe(false);
    await readsInOrder(raw, sent);
    await expect.poll(() => sender.writable, { timeout: 10_000 }).toBe(true);
  });
});
