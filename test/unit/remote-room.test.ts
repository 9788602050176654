/** A client of a room over a connection: how it says the ways a connection ends. */
import { describe, expect, it } from "vitest";
import { inProcessPair, type WelcomeMessage } from "../../src/room/protocol/index.js";
import { createRoomStore } from "../../src/room/state.js";
import { RemoteRoom } from "../../src/server/remote.js";

const welcome = { type: "welcome" } as unknown as WelcomeMessage;

async function attached(limits: { highWaterMark: number; maxBuffered: number }) {
  const [server, client] = inProcessPair(limits);
  const room = RemoteRoom.attach(
    {
      transport: client,
      welcome,
      whenLost: (said) => `lost: ${said}`,
      reopen: "tower attach /work/shop",
    },
    createRoomStore(),
  );
  server.send({ type: "snapshot", data: {} });
  const remote = await room;
  const ended = new Promise<string>((resolve) => remote.onClose(resolve));
  return { server, client, remote, ended };
}

describe("a remote room's end", () => {
  it("dropped for reading too slowly: says so, that the agents go on, and the way back", async () => {
    const { server, client, remote, ended } = await attached({
      highWaterMark: 1000,
      maxBuffered: 2 * 1024 * 1024,
    });
    // The control room stops reading (a stopped process, a stalled link).
    client.pause();
    while (!server.closed) server.send({ type: "event", event: { pad: "p".repeat(64 * 1024) } });
    client.resume();
    expect(await ended).toMatch(
      /^the Tower server dropped this control room for reading too slowly \(2(\.\d)? MiB of the room's messages waited for it: a stopped terminal or a stalled link\); the agents go on, and `tower attach \/work\/shop` opens the room again$/,
    );
    expect(remote.lost).toBe(false);
  });

  it("a server gone without a word is said as the connection says; a bye as the server said it", async () => {
    const lost = await attached({ highWaterMark: 1000, maxBuffered: 10_000 });
    // The in-process end closing without a farewell is a crash's close.
    lost.server.close("crash");
    expect(await lost.ended).toBe("lost: the other side closed the connection");

    const bye = await attached({ highWaterMark: 1000, maxBuffered: 10_000 });
    bye.server.send({ type: "bye", reason: "the server stopped" });
    bye.server.close("stopped");
    expect(await bye.ended).toBe("the server stopped");
    expect(bye.remote.lost).toBe(false);
  });

  it("a server that lets the client in but sends no room: attach gives up in the time allowed, and says so", async () => {
    const [server, client] = inProcessPair();
    const attaching = RemoteRoom.attach(
      {
        transport: client,
        welcome: { type: "welcome", protocol: 1, server: { pid: 4242 } } as WelcomeMessage,
      },
      createRoomStore(),
      { snapshotTimeoutMs: 200 },
    );
    const said = await Promise.race([
      attaching.then(
        () => "attached",
        (error: Error) => error.message,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve("still waiting"), 3_000)),
    ]);
    expect(said).toBe(
      "the Tower server (pid 4242) let this client in but sent no room within 0.2 s: it is hung, or still opening its room (its log, server.log in its room folder, says which)",
    );
    // The connection is left, not kept open.
    expect(client.closed).toBe(true);
    expect(server.closed).toBe(true);
  });
});
