/**
 * The room folder's hash in JavaScript (src/room/sha256.ts) is SHA-256: the same digest as
 * Node's, so a room keeps the folder an earlier Tower named, including at the padding's edges
 * (55, 56, 63, 64 bytes), for paths with any characters and for long ones.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/room/sha256.js";

const node = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

describe("sha256Hex", () => {
  it("is SHA-256: the standard's examples", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("gives Node's digest at every length around a block's edges and for any characters", () => {
    for (let length = 0; length <= 200; length++) {
      const text = "x".repeat(length);
      expect(sha256Hex(text), `${length} bytes`).toBe(node(text));
    }
    for (const text of ["/tmp/repo", "/home/ünïcödé/塔 tower/🙂", "/a\nb\tc", "\u0000"]) {
      expect(sha256Hex(text), JSON.stringify(text)).toBe(node(text));
    }
    for (let i = 0; i < 200; i++) {
      const text = randomBytes(1 + (i % 97) * 7).toString("latin1");
      expect(sha256Hex(text)).toBe(node(text));
    }
    const long = "/very/long/path/".repeat(5000);
    expect(sha256Hex(long)).toBe(node(long));
  });
});
