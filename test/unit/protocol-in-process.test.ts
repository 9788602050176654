/** The in-process pair behaves as a socket does: order, copies, close after data, backpressure. */
import { describe, expect, it } from "vitest";
import {
  inProcessPair,
  type Message,
  ProtocolError,
  type Transport,
} from "../../src/room/protocol/index.js";

function collect(transport: Transport): Message[] {
  const got: Message[] = [];
  transport.on("message", (m) => got.push(m));
  return got;
}

function closed(transport: Transport): Promise<string> {
  return new Promise((resolve) => transport.on("close", resolve));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe("in-process transport pair", () => {
  it("delivers in order, asynchronously, a copy of each message", async () => {
    const [a, b] = inProcessPair();
    const got = collect(b);
    const sent = { type: "event", event: { n: 1 } };
    a.send(sent);
    a.send({ type: "event", event: { n: 2 } });
    expect(got).toEqual([]);
    sent.event.n = 99;
    await until(() => got.length === 2);
    expect(got.map((m) => (m.event as { n: number }).n)).toEqual([1, 2]);
  });

  it("keeps messages that arrive before anyone listens", async () => {
    const [a, b] = inProcessPair();
    a.send({ type: "event", event: 1 });
    a.send({ type: "event", event: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    const got = collect(b);
    await until(() => got.length === 2);
    expect(got.map((m) => m.event)).toEqual([1, 2]);
  });

  it("refuses what could not cross a socket", () => {
    const [a] = inProcessPair({ maxFrameBytes: 100 });
    expect(() => a.send({ type: "event", event: "x".repeat(200) })).toThrow(ProtocolError);
    expect(() => a.send({ type: "event", event: 1n })).toThrow(/not plain JSON/);
  });

  it("closes both ends: the closer at once, the other after reading what was sent", async () => {
    const [a, b] = inProcessPair();
    const got = collect(b);
    const aClosed = closed(a);
    const bClosed = closed(b);
    a.send({ type: "bye", reason: "the user detached" });
    a.close("detached");
    expect(a.closed).toBe(true);
    expect(a.send({ type: "event", event: 1 })).toBe(false);
    expect(await aClosed).toBe("detached");
    expect(await bClosed).toBe("the user detached");
    expect(got).toEqual([{ type: "bye", reason: "the user detached" }]);
    // A close listener added afterwards still hears why.
    expect(await closed(b)).toBe("the user detached");
  });

  it("says the other side closed when it left without a word, and calls that end lost", async () => {
    const [a, b] = inProcessPair();
    a.close();
    expect(await closed(b)).toBe("the other side closed the connection");
    expect(b.lost).toBe(true);
    // The side that closed lost nothing.
    expect(a.lost).toBe(false);
  });

  it("does not call an end lost when the other side said why it left", async () => {
    const [a, b] = inProcessPair();
    a.send({ type: "bye", reason: "the server stopped" });
    a.close();
    expect(await closed(b)).toBe("the server stopped");
    expect(b.lost).toBe(false);
  });

  it("is not writable while a paused reader is behind, and drains when it catches up", async () => {
    const [server, client] = inProcessPair({ highWaterMark: 1000 });
    client.pause();
    const got = collect(client);
    let drains = 0;
    server.on("drain", () => drains++);
    let sent = 0;
    while (server.send({ type: "event", event: "y".repeat(100) })) sent++;
    expect(server.writable).toBe(false);
    expect(server.buffered).toBeGreaterThan(1000);
    expect(server.buffered).toBeLessThan(1200);
    client.resume();
    await until(() => drains === 1);
    expect(server.writable).toBe(true);
    expect(got).toHaveLength(sent + 1);
  });

  it("closes a connection whose reader falls behind by more than the hard limit", async () => {
    const [server, client] = inProcessPair({ highWaterMark: 100, maxBuffered: 1000 });
    client.pause();
    const why = closed(server);
    let sends = 0;
    while (!server.closed) {
      server.send({ type: "event", event: "z".repeat(100) });
      sends++;
    }
    expect(sends).toBeLessThan(20);
    expect(await why).toMatch(/^the other side reads too slowly/);
    // What waited is dropped; the reader is told why, and does not take it for a crash.
    const got = collect(client);
    client.resume();
    expect(await closed(client)).toMatch(/^this side read too slowly \(\d+ bytes were waiting/);
    expect(got.map((m) => m.type)).toEqual(["error"]);
    expect(client.lost).toBe(false);
    expect(client.droppedBehind).toBeGreaterThan(1000);
  });
});
