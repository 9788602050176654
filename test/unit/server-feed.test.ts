/**
 * The server's feed of the room's state to one client: a snapshot, then patches of only what
 * changed (by pane for frames); a client that does not read gets the latest of each, not every
 * frame in between, and what waits for it stays bounded however much the room changes.
 */
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { inProcessPair, type Message } from "../../src/room/protocol/index.js";
import { ACTIVITY_LIMIT, createRoomStore, type PaneFrame } from "../../src/room/state.js";
import { ClientFeed } from "../../src/server/feed.js";
import { statePatch } from "../../src/server/remote.js";

const frame = (text: string): PaneFrame => ({ rows: [text], cols: 40, offset: 0 });

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function agent(id: string) {
  return { id, stream: "A", task: "t", branch: "b", status: "running" as const };
}

describe("the client feed", () => {
  it("sends a snapshot, then only the keys and panes that changed", async () => {
    const room = createRoomStore();
    room.getState().upsertAgent(agent("A1"));
    room.getState().upsertAgent(agent("A2"));
    room.getState().setFrames({ A1: frame("one"), A2: frame("two") });
    const [server, client] = inProcessPair();
    const got: Message[] = [];
    client.on("message", (m) => got.push(m));
    new ClientFeed(server, room);
    await until(() => got.length === 1);
    expect(got[0]).toMatchObject({ type: "snapshot", data: { agentOrder: ["A1", "A2"] } });
    expect(got[0]!.unset).toEqual(["status", "problem", "trustQuestion", "conflictError"]);

    room.getState().setFrames({ A2: frame("two again") });
    room.getState().setProblem("the plan is broken");
    await until(() => got.length === 2);
    expect(got[1]).toEqual({
      type: "patch",
      data: { problem: "the plan is broken" },
      frames: { A2: frame("two again") },
    });
    room.getState().setProblem(undefined);
    room.getState().removeAgent("A1");
    await until(() => got.length === 3);
    expect(got[2]).toMatchObject({ type: "patch", unset: ["problem"], frames: { A1: null } });

    // Applied in order to a client's store, the patches give the room's data.
    const mirror = createRoomStore();
    for (const message of got) {
      mirror.setState(statePatch(message as never, mirror.getState()));
    }
    expect(mirror.getState().frames).toEqual(room.getState().frames);
    expect(mirror.getState().agentOrder).toEqual(["A2"]);
    expect(mirror.getState().problem).toBeUndefined();
  });

  it("sends only the rows that changed since the frame the client has, and a scroll whole", async () => {
    const screen = (...rows: string[]): PaneFrame => ({ rows, cols: 40, offset: 0 });
    const lines = Array.from({ length: 24 }, (_, i) => `line ${i}`);
    const room = createRoomStore();
    room.getState().upsertAgent(agent("A1"));
    room.getState().setFrames({ A1: screen(...lines) });
    const [server, client] = inProcessPair();
    const got: Message[] = [];
    client.on("message", (m) => got.push(m));
    new ClientFeed(server, room);
    await until(() => got.length === 1);

    // A spinner on row 5: one row goes, not the 24.
    room.getState().setFrames({ A1: screen(...lines.map((l, i) => (i === 5 ? "✻ Working" : l))) });
    await until(() => got.length === 2);
    expect(got[1]).toEqual({
      type: "patch",
      data: {},
      frames: { A1: { cols: 40, offset: 0, changed: { 5: "✻ Working" } } },
    });
    // Two frames before the client reads: the rows differ from what it was sent last.
    room.getState().setFrames({ A1: screen(...lines.map((l, i) => (i === 6 ? "six" : l))) });
    room.getState().setFrames({ A1: screen(...lines.map((l, i) => (i === 7 ? "seven" : l))) });
    await until(() => got.length === 3);
    expect((got[2] as unknown as { frames: Record<string, unknown> }).frames.A1).toEqual({
      cols: 40,
      offset: 0,
      changed: { 5: "line 5", 7: "seven" },
    });
    // A scroll changes every row: the frame goes whole.
    const scrolled = screen(...lines.slice(1), "line 24");
    room.getState().setFrames({ A1: scrolled });
    await until(() => got.length === 4);
    expect((got[3] as unknown as { frames: Record<string, unknown> }).frames.A1).toEqual(scrolled);

    const mirror = createRoomStore();
    for (const message of got) {
      mirror.setState(statePatch(message as never, mirror.getState()));
    }
    expect(mirror.getState().frames).toEqual(room.getState().frames);
    // Changed rows of a pane the client does not have are refused, not guessed.
    expect(() =>
      statePatch(
        { type: "patch", data: {}, frames: { B1: { cols: 40, offset: 0, changed: { 0: "x" } } } },
        { frames: {}, activity: [] },
      ),
    ).toThrow(/B1/);
  });

  it("keeps only the latest frame for a client that does not read, and catches it up", async () => {
    const room = createRoomStore();
    room.getState().upsertAgent(agent("A1"));
    const [server, client] = inProcessPair({ highWaterMark: 2_000 });
    client.pause();
    const got: Message[] = [];
    client.on("message", (m) => got.push(m));
    const feed = new ClientFeed(server, room);
    for (let i = 0; i < 2_000; i++) {
      room.getState().setFrames({ A1: frame(`${"x".repeat(200)} ${i}`) });
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      // However many frames the room makes, one pane's latest is all that waits.
      expect(feed.waiting).toBeLessThanOrEqual(1);
    }
    // The connection held back once the reader was behind: far fewer than 2000 frames sent.
    expect(server.buffered).toBeLessThan(4_000);
    client.resume();
    await until(() => {
      const last = got.at(-1) as { frames?: Record<string, PaneFrame> } | undefined;
      return last?.frames?.A1?.rows[0]?.endsWith(" 1999") === true;
    });
    expect(got.length).toBeLessThan(20);
  });

  it("sends the state changed in consecutive turns in one patch, and a frame at once", async () => {
    // A lock taken is two reads of the room's (the locks, then the activity line), in two
    // turns of the event loop: one patch, so that each client redraws once.
    const room = createRoomStore();
    room.getState().upsertAgent(agent("A1"));
    room.getState().setFrames({ A1: frame("one") });
    const [server, client] = inProcessPair();
    const got: Message[] = [];
    client.on("message", (m) => got.push(m));
    const feed = new ClientFeed(server, room);
    await until(() => got.length === 1);
    room.getState().setProblem("first");
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    room.getState().setHandoffs([]);
    await until(() => got.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got).toHaveLength(2);
    expect(got[1]).toEqual({ type: "patch", data: { problem: "first", handoffs: [] } });

    // A pane's frame does not wait (an echo, copy mode's cursor), and takes the state with it.
    room.getState().setProblem("second");
    room.getState().setFrames({ A1: frame("two") });
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toHaveLength(3);
    expect(got[2]).toEqual({
      type: "patch",
      data: { problem: "second" },
      frames: { A1: frame("two") },
    });
    expect(feed.waiting).toBe(0);
    feed.stop();
  });

  it("sends a frame before what already waits in the event loop (a turn of the parse queue), the frames of one go in one patch", async () => {
    const room = createRoomStore();
    room.getState().upsertAgent(agent("A1"));
    room.getState().upsertAgent(agent("A2"));
    room.getState().setFrames({ A1: frame("one"), A2: frame("two") });
    const [server, client] = inProcessPair();
    const order: string[] = [];
    const send = server.send.bind(server);
    server.send = (message) => {
      order.push(`sent ${message.type}`);
      return send(message);
    };
    const got: Message[] = [];
    client.on("message", (m) => got.push(m));
    const feed = new ClientFeed(server, room);
    await until(() => got.length === 1);
    order.length = 0;
    // The parse queue's next turn, already scheduled when a keystroke's echo is parsed: with
    // seven panes flooding, a turn is milliseconds of parsing the echo must not wait behind.
    setImmediate(() => order.push("turn"));
    room.getState().setFrames({ A1: frame("echo") });
    room.getState().setFrames({ A2: frame("tick") });
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["sent patch", "turn"]);
    await until(() => got.length === 2);
    expect(got[1]).toEqual({
      type: "patch",
      data: {},
      frames: { A1: frame("echo"), A2: frame("tick") },
    });
    feed.stop();
  });

  it("sends the activity lines added, not the whole list, and the list stays the room's", async () => {
    // Up to 500 lines, some 60 KB of JSON: sent whole to every client at every lock taken.
    const room = createRoomStore();
    const line = (i: number) => ({
      timestamp: `2026-12-03T10:00:${i}`,
      agent: "A1",
      action: "lock",
    });
    room.getState().setActivity([line(0), line(1)]);
    const [server, client] = inProcessPair();
    const got: Message[] = [];
    client.on("message", (m) => got.push(m));
    new ClientFeed(server, room);
    await until(() => got.length === 1);
    const mirror = createRoomStore();
    const apply = (message: Message) =>
      mirror.setState(statePatch(message as never, mirror.getState()));
    apply(got[0] as Message);

    // The watcher appends to the list it has (a new array, the same entries).
    const add = (...lines: ReturnType<typeof line>[]) =>
      room.getState().setActivity([...room.getState().activity, ...lines] as never);
    add(line(2), line(3));
    await until(() => got.length === 2);
    expect(got[1]).toEqual({
      type: "patch",
      data: {},
      append: { activity: { drop: 0, add: [line(2), line(3)] } },
    });
    apply(got[1] as Message);
    expect(mirror.getState().activity).toEqual(room.getState().activity);

    // At the room's limit the first lines drop off: said as a count.
    const full = Array.from({ length: ACTIVITY_LIMIT }, (_, i) => line(100 + i));
    room.getState().setActivity(full as never);
    await until(() => got.length === 3);
    expect((got[2] as unknown as { data: { activity?: unknown[] } }).data.activity).toHaveLength(
      ACTIVITY_LIMIT,
    );
    apply(got[2] as Message);
    add(line(9_000));
    await until(() => got.length === 4);
    expect((got[3] as { append?: unknown }).append).toEqual({
      activity: { drop: 1, add: [line(9_000)] },
    });
    apply(got[3] as Message);
    expect(mirror.getState().activity).toEqual(room.getState().activity);
    expect(mirror.getState().activity).toHaveLength(ACTIVITY_LIMIT);

    // Lines to append to a list the client does not have: an error, not a wrong list.
    expect(() =>
      statePatch(
        { type: "patch", data: {}, append: { activity: { drop: 3, add: [] } } },
        { frames: {}, activity: [] },
      ),
    ).toThrow(/activity/);
  });
});

describe("a room too big for one frame", () => {
  const LIMIT = 64 * 1024;
  /** 100 rows of 24-bit colour, about 80 KB: more than a frame of LIMIT holds. */
  const colourful = (mark: string): PaneFrame => ({
    rows: Array.from({ length: 100 }, (_, i) =>
      `\x1b[38;2;${i};2;3m${mark}${String(i).padStart(3, "0")}`.repeat(30),
    ),
    cols: 400,
    offset: 0,
  });

  function mirrored(room: ReturnType<typeof createRoomStore>) {
    const [server, client] = inProcessPair({ maxFrameBytes: LIMIT });
    const mirror = createRoomStore();
    const got: Message[] = [];
    client.on("message", (m) => {
      got.push(m);
      if (m.type === "snapshot" || m.type === "patch")
        mirror.setState(statePatch(m as never, mirror.getState()));
    });
    const feed = new ClientFeed(server, room);
    return { server, client, mirror, got, feed };
  }
  const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

  // A snapshot or patch over the 16 MiB a frame holds (a huge layout of full-colour cells) could
  // not be sent: the throw ended the server, and every agent with it.
  it("goes in pieces that give the client the same screens: the snapshot, then a patch", async () => {
    const room = createRoomStore();
    room.getState().upsertAgent(agent("A1"));
    room.getState().upsertAgent(agent("A2"));
    room.getState().setFrames({ A1: colourful("a"), A2: frame("small") });
    const { server, mirror, got } = mirrored(room);
    await until(() => same(mirror.getState().frames, room.getState().frames));
    expect(got[0]).toMatchObject({ type: "snapshot", data: { agentOrder: ["A1", "A2"] } });
    expect(got.length).toBeGreaterThan(3);

    room.getState().setFrames({ A1: colourful("b") });
    await until(() => same(mirror.getState().frames, room.getState().frames));
    // One row changed: one small patch, as before.
    const rows = colourful("b").rows.slice();
    rows[7] = "seven";
    const count = got.length;
    room.getState().setFrames({ A1: { ...colourful("b"), rows } });
    await until(() => same(mirror.getState().frames, room.getState().frames));
    expect(got.length).toBe(count + 1);
    expect(server.closed).toBe(false);
  });

  it("a row too big even alone ends that client's connection, saying why", async () => {
    const room = createRoomStore();
    room.getState().upsertAgent(agent("A1"));
    room.getState().setFrames({ A1: frame("x".repeat(LIMIT)) });
    const { client } = mirrored(room);
    const reason = await new Promise<string>((resolve) => client.on("close", resolve));
    expect(reason).toContain("the room's snapshot could not be sent to this client");
  });
});
