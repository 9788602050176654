/**
 * The parse queue (src/pty/parse-queue.ts): every emulator's output parsed in turns of a bounded
 * budget, a slice per feed in turn, the event loop free between two turns; the echo of a
 * keystroke parsed at once; nothing lost, split or reordered on the way (xterm's real parser).
 */
import { describe, expect, it } from "vitest";
import { createEmulator, parsed, type Terminal } from "../../src/pty/emulator.js";
import { ParseQueue } from "../../src/pty/parse-queue.js";

const screenOf = (terminal: Terminal): string[] => {
  const rows: string[] = [];
  const buffer = terminal.buffer.active;
  for (let y = 0; y < buffer.length; y++)
    rows.push(buffer.getLine(y)?.translateToString(true) ?? "");
  return rows;
};

/** Output that breaks wherever it is cut: colours, cursor moves, wide and combining characters. */
function output(seed: number, lines: number): Buffer {
  let text = "";
  for (let i = 0; i < lines; i++) {
    const n = (seed * 31 + i * 17) % 7;
    text +=
      n === 0
        ? `\x1b[38;5;${(i * 13) % 256}mcolour ${i}\x1b[0m\r\n`
        : n === 1
          ? `wide 漢字 ${i} 🙂\r\n`
          : n === 2
            ? `acce\u0301nt ${i}\r\n`
            : n === 3
              ? `\x1b[2Aup\x1b[2B\r${i} moved\r\n`
              : n === 4
                ? `${"long ".repeat(12)}${i}\r\n`
                : `plain line ${seed}.${i}\r\n`;
  }
  return Buffer.from(text, "utf8");
}

/** Cuts `data` into pieces of 1-9 bytes (through escape sequences and UTF-8 characters). */
function pieces(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = 1 + ((i * 5) % 9);
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

const emulator = () => createEmulator({ cols: 30, rows: 8, scrollback: 500 });

describe("the parse queue", () => {
  it("parses every feed's output whole and in order, cut anywhere into slices", async () => {
    const queue = new ParseQueue({ sliceBytes: 7 });
    const feeds = [1, 2, 3].map((seed) => {
      const terminal = emulator();
      const reference = emulator();
      const data = output(seed, 120);
      reference.write(data);
      return { terminal, reference, data, feed: queue.feed(terminal) };
    });
    // Interleaved, as the ptys deliver it.
    const cut = feeds.map((f) => pieces(f.data));
    for (let i = 0; cut.some((c) => i < c.length); i++) {
      feeds.forEach((f, k) => {
        const piece = cut[k]?.[i];
        if (piece) f.feed.push(piece);
      });
    }
    for (const f of feeds) {
      await f.feed.drained();
      await parsed(f.reference);
      expect(screenOf(f.terminal)).toEqual(screenOf(f.reference));
      expect(f.feed.unparsed).toBe(0);
    }
    expect(queue.turns).toBeGreaterThan(1);
  });

  it("stops a turn at its budget, goes on with the next feed in the next turn, and lets the event loop run between turns", async () => {
    // A clock that moves one millisecond each time it is read: a turn of 3 ms hands 3 slices.
    let clock = 0;
    const queue = new ParseQueue({ budgetMs: 3, sliceBytes: 4, now: () => clock++ });
    const events: string[] = [];
    const a = queue.feed(emulator(), () => events.push("A"));
    const b = queue.feed(emulator(), () => events.push("B"));
    a.push(Buffer.from("a".repeat(20)));
    b.push(Buffer.from("b".repeat(20)));
    // Something else the event loop has to do, once per pass.
    let stop = false;
    const tick = () => {
      events.push("|");
      if (!stop) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all([a.drained(), b.drained()]);
    stop = true;
    const turns = events
      .join("")
      .split("|")
      .filter((t) => t !== "");
    // Three slices a turn, A and B in turn, each turn going on from where the last stopped.
    expect(turns).toEqual(["ABA", "BAB", "ABA", "B"]);
    expect(queue.turns).toBe(4);
  });

  it("takes shorter turns and slices while someone types, and goes back to its own after", async () => {
    // A clock that moves one millisecond each time it is read, and jumps when told.
    let clock = 0;
    const queue = new ParseQueue({
      budgetMs: 3,
      sliceBytes: 4,
      typing: { budgetMs: 1, sliceBytes: 2, forMs: 500 },
      now: () => clock++,
    });
    const events: string[] = [];
    const a = queue.feed(emulator(), (bytes) => events.push(`A${bytes}`));
    const b = queue.feed(emulator(), (bytes) => events.push(`B${bytes}`));
    const typedInto = queue.feed(emulator());
    let stop = false;
    const tick = () => {
      events.push("|");
      if (!stop) setImmediate(tick);
    };
    const turns = async (bytes: number) => {
      events.length = 0;
      stop = false;
      a.push(Buffer.from("a".repeat(bytes)));
      b.push(Buffer.from("b".repeat(bytes)));
      setImmediate(tick);
      await Promise.all([a.drained(), b.drained()]);
      stop = true;
      return events
        .join(" ")
        .split("|")
        .map((t) => t.trim())
        .filter((t) => t !== "");
    };
    // A keystroke into a third pane: turns of one slice of 2 bytes.
    typedInto.typed();
    expect(await turns(6)).toEqual(["A2", "B2", "A2", "B2", "A2", "B2"]);
    // The typing is over: three slices of 4 bytes a turn again.
    clock += 1_000;
    expect(await turns(16)).toEqual(["A4 B4 A4", "B4 A4 B4", "A4 B4"]);
  });

  it("lets the event loop read once before the turn that comes after a keystroke", async () => {
    const queue = new ParseQueue();
    const events: string[] = [];
    const flood = queue.feed(emulator(), () => events.push("turn"));
    const typedInto = queue.feed(emulator());
    // A turn is due (output waits), then a keystroke is sent, then the event loop has more to
    // read (as a pty's echo would be): that goes first.
    flood.push(Buffer.from("output\r\n"));
    typedInto.typed();
    setImmediate(() => events.push("read"));
    await flood.drained();
    expect(events).toEqual(["read", "turn"]);
    // Without a keystroke, the turn that was due comes first.
    events.length = 0;
    flood.push(Buffer.from("more\r\n"));
    setImmediate(() => events.push("read"));
    await flood.drained();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(["turn", "read"]);
  });

  it("parses a pane's few lines within the first turn while another has megabytes waiting", async () => {
    const queue = new ParseQueue();
    const busy = emulator();
    const quiet = emulator();
    let seenWhile: number | undefined;
    const big = queue.feed(busy);
    const small = queue.feed(quiet, () => {
      seenWhile ??= big.unparsed;
    });
    const flood = output(9, 60_000);
    big.push(flood);
    small.push(Buffer.from("hello from the quiet pane\r\n"));
    await small.drained();
    expect(screenOf(quiet)[0]).toBe("hello from the quiet pane");
    // The busy pane's output was still waiting when the quiet one's was parsed.
    expect(seenWhile).toBeGreaterThan(flood.length / 2);
    await big.drained();
    expect(big.unparsed).toBe(0);
  });

  it("parses the output after a keystroke before push returns, when none of its own waits", async () => {
    const queue = new ParseQueue();
    const terminal = emulator();
    const feed = queue.feed(terminal);
    feed.push(Buffer.from("waits for its turn"));
    expect(screenOf(terminal)[0]).toBe("");
    await feed.drained();
    expect(screenOf(terminal)[0]).toBe("waits for its turn");
    feed.typed();
    feed.push(Buffer.from("!"));
    expect(screenOf(terminal)[0]).toBe("waits for its turn!");
    // Only the next output: the one after that waits for a turn again.
    feed.push(Buffer.from("?"));
    expect(screenOf(terminal)[0]).toBe("waits for its turn!");
    await feed.drained();
    expect(screenOf(terminal)[0]).toBe("waits for its turn!?");
  });

  it("keeps the order when a keystroke's echo comes behind output still waiting", async () => {
    const queue = new ParseQueue({ sliceBytes: 3 });
    const terminal = emulator();
    const feed = queue.feed(terminal);
    feed.push(Buffer.from("first "));
    feed.typed();
    feed.push(Buffer.from("echo"));
    expect(screenOf(terminal)[0]).toBe("");
    await feed.drained();
    expect(screenOf(terminal)[0]).toBe("first echo");
  });

  it("drops the waiting output when closed, and its waiters resolve", async () => {
    const queue = new ParseQueue();
    const terminal = emulator();
    const feed = queue.feed(terminal);
    feed.push(output(4, 5_000));
    const waiting = feed.drained();
    feed.close();
    await waiting;
    expect(feed.unparsed).toBe(0);
    feed.push(Buffer.from("after the close"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screenOf(terminal).join("\n")).not.toContain("after the close");
  });

  it("writes straight to an emulator it cannot have parse at once, in order", async () => {
    const queue = new ParseQueue({ sliceBytes: 5 });
    const terminal = emulator();
    const reference = emulator();
    // An xterm whose write buffer has no `handleUserInput`: not the shape the queue knows.
    const core = (terminal as unknown as { _core: { _writeBuffer: Record<string, unknown> } })
      ._core;
    core._writeBuffer.handleUserInput = undefined;
    const feed = queue.feed(terminal);
    const data = output(6, 200);
    reference.write(data);
    for (const piece of pieces(data)) feed.push(piece);
    await feed.drained();
    await parsed(reference);
    expect(screenOf(terminal)).toEqual(screenOf(reference));
    expect(queue.turns).toBe(0);
  });
});
