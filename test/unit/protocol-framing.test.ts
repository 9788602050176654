/** The frame format: every split point, several frames a chunk, and every kind of broken frame. */
import { describe, expect, it } from "vitest";
import {
  encodeFrame,
  FrameDecoder,
  MAX_FRAME_BYTES,
  type Message,
  ProtocolError,
} from "../../src/room/protocol/index.js";

const MESSAGES: Message[] = [
  { type: "hello", protocol: 1, token: "ab", client: { cols: 80, rows: 24, name: "t" } },
  { type: "event", event: { text: "héllo wörld ✓ 𝄞 日本語", empty: "" } },
  { type: "command", id: 7, command: { name: "lock", path: "a/b.ts" } },
];

function header(length: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length, 0);
  return b;
}

function rawFrame(body: string | Buffer): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return Buffer.concat([header(bytes.length), bytes]);
}

describe("framing", () => {
  const stream = Buffer.concat(MESSAGES.map((m) => encodeFrame(m)));

  it("round-trips messages, all in one chunk", () => {
    const result = new FrameDecoder().push(stream);
    expect(result.error).toBeNull();
    expect(result.messages).toEqual(MESSAGES);
  });

  it("decodes the same messages whatever two points the stream is split at", () => {
    // Every pair of cut points over three frames: headers, multi-byte characters, boundaries.
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j += 7) {
        const decoder = new FrameDecoder();
        const out: Message[] = [];
        for (const part of [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]) {
          const result = decoder.push(part);
          expect(result.error).toBeNull();
          out.push(...result.messages);
        }
        expect(out, `split at ${i} and ${j}`).toEqual(MESSAGES);
        expect(decoder.buffered).toBe(0);
      }
    }
  });

  it("decodes a stream fed one byte at a time (a slow writer)", () => {
    const decoder = new FrameDecoder();
    const out: Message[] = [];
    for (const byte of stream) out.push(...decoder.push(Buffer.from([byte])).messages);
    expect(out).toEqual(MESSAGES);
  });

  it("does not copy a large frame fed in small pieces more than once (linear time)", () => {
    const big = encodeFrame({ type: "event", event: "x".repeat(4 * 1024 * 1024) });
    const decoder = new FrameDecoder();
    let got: Message[] = [];
    for (let at = 0; at < big.length; at += 1024) {
      got = got.concat(decoder.push(big.subarray(at, at + 1024)).messages);
    }
    expect(got).toHaveLength(1);
    expect((got[0]!.event as string).length).toBe(4 * 1024 * 1024);
  });

  it("refuses a declared length over the limit at once, without waiting for or keeping the body", () => {
    const decoder = new FrameDecoder();
    const result = decoder.push(header(0xffffffff));
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect(result.error!.message).toBe(
      "frame 1 declares 4294967295 bytes, more than the 16 MiB a frame may hold",
    );
    expect(decoder.buffered).toBe(0);
    // One byte over the limit is refused too; exactly the limit is a valid declaration.
    expect(new FrameDecoder().push(header(MAX_FRAME_BYTES + 1)).error).not.toBeNull();
    expect(new FrameDecoder().push(header(MAX_FRAME_BYTES)).error).toBeNull();
  });

  it("says when the other side writes text instead of frames (a login banner over SSH)", () => {
    const result = new FrameDecoder().push(Buffer.from("Welcome to Ubuntu\n"));
    expect(result.error!.message).toContain('the bytes read as text: "Welc"');
    expect(result.error!.message).toContain("login script");
  });

  it("names what is wrong with a broken frame, and keeps the messages before it", () => {
    const cases: [Buffer, string][] = [
      [rawFrame("{not json"), "frame 2 is not valid JSON"],
      [rawFrame(""), "frame 2 is not valid JSON"],
      [rawFrame("[1,2]"), "frame 2 is an array, not a JSON object (a message)"],
      [rawFrame("null"), "frame 2 is null, not a JSON object (a message)"],
      [rawFrame('"text"'), "frame 2 is a string, not a JSON object (a message)"],
      [rawFrame("42"), "frame 2 is a number, not a JSON object (a message)"],
      [rawFrame('{"id":1}'), 'frame 2 has no "type"'],
      [rawFrame('{"type":""}'), 'frame 2 has no "type"'],
      [rawFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), "frame 2 is not valid UTF-8"],
    ];
    for (const [bad, why] of cases) {
      const decoder = new FrameDecoder();
      const good = encodeFrame(MESSAGES[0]!);
      const result = decoder.push(Buffer.concat([good, bad, encodeFrame(MESSAGES[1]!)]));
      expect(result.messages, why).toEqual([MESSAGES[0]]);
      expect(result.error?.message, why).toContain(why);
      // Nothing after a broken frame is read: the decoder does not guess where the next starts.
      expect(decoder.push(encodeFrame(MESSAGES[2]!)).messages).toEqual([]);
      expect(decoder.error).toBe(result.error);
    }
  });

  it("quotes the start of a body that is not JSON, to help find who wrote it", () => {
    const result = new FrameDecoder().push(rawFrame("<html>oops</html>"));
    expect(result.error!.message).toMatch(/^frame 1 is not valid JSON \(.*\): it starts "<html>/);
  });

  it("refuses to encode a message over the limit or one that is not plain JSON", () => {
    expect(() => encodeFrame({ type: "event", event: "x".repeat(100) }, 64)).toThrow(
      /a "event" message of .* cannot be sent: a frame holds at most/,
    );
    const circular: Record<string, unknown> = { type: "event" };
    circular.self = circular;
    expect(() => encodeFrame(circular as Message)).toThrow(/not plain JSON/);
    expect(() => encodeFrame({ type: "event", event: 1n })).toThrow(ProtocolError);
  });

  it("honours a smaller limit given to the decoder", () => {
    const result = new FrameDecoder(10).push(encodeFrame({ type: "event", event: "long enough" }));
    expect(result.error!.message).toMatch(
      /^frame 1 declares \d+ bytes, more than the 10 bytes a frame may hold$/,
    );
  });
});
