/** Keyboard input: the escape key in every encoding, pastes, cursor keys, named keys. */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ESCAPE_KEY,
  encodeKey,
  encodeKeys,
  encodePaste,
  keyboardInput,
  PASTE_END,
  PASTE_START,
  parseEscapeKey,
  splitInput,
  translateCursorKeys,
} from "../../src/pty/index.js";

describe("splitInput", () => {
  it("forwards everything when there is no escape key", () => {
    expect(splitInput("ls -la\r\x1b[A\x03")).toEqual({
      forward: "ls -la\r\x1b[A\x03",
      escape: false,
      rest: "",
    });
  });

  it.each([
    ["raw byte", "\x1d"],
    ["CSI-u", "\x1b[93;5u"],
    ["CSI-u with event type press", "\x1b[93;5:1u"],
    ["CSI-u with repeat", "\x1b[93;5:2u"],
    ["CSI-u with Caps Lock on", "\x1b[93;69u"],
    ["CSI-u with Num Lock on", "\x1b[93;133u"],
    ["CSI-u with alternate key", "\x1b[93:125;5u"],
    ["modifyOtherKeys", "\x1b[27;5;93~"],
  ])("recognises Ctrl-] as %s", (_name, key) => {
    expect(splitInput(`abc${key}def`)).toEqual({ forward: "abc", escape: true, rest: "def" });
    expect(splitInput(key)).toEqual({ forward: "", escape: true, rest: "" });
  });

  it("drops a CSI-u key release of the escape key without escaping", () => {
    expect(splitInput("a\x1b[93;5:3ub")).toEqual({ forward: "ab", escape: false, rest: "" });
  });

  it("forwards the same key with other modifiers and other keys' encodings", () => {
    for (const other of [
      "\x1b[93;6u",
      "\x1b[93;3u",
      "\x1b[27;6;93~",
      "\x1b[94;5u",
      "\x1b[27;5;94~",
      "]",
    ]) {
      expect(splitInput(`x${other}y`)).toEqual({ forward: `x${other}y`, escape: false, rest: "" });
    }
  });

  it("stops at the first escape and hands the rest to Tower", () => {
    expect(splitInput("1\x1b[27;5;93~2\x1d3")).toEqual({
      forward: "1",
      escape: true,
      rest: "2\x1d3",
    });
  });

  it("takes another escape key in all three encodings", () => {
    const ctrlB = parseEscapeKey("ctrl-b");
    expect(ctrlB).toBe(0x02);
    for (const key of ["\x02", "\x1b[98;5u", "\x1b[66;5u", "\x1b[27;5;98~"]) {
      expect(splitInput(`q${key}w`, ctrlB)).toEqual({ forward: "q", escape: true, rest: "w" });
    }
    // With Ctrl-B as the escape, Ctrl-] is an ordinary key.
    expect(splitInput("\x1d\x1b[93;5u", ctrlB).escape).toBe(false);
  });
});

describe("parseEscapeKey", () => {
  it("reads names, numbers and hex", () => {
    expect(DEFAULT_ESCAPE_KEY).toBe(0x1d);
    expect(parseEscapeKey("ctrl-]")).toBe(0x1d);
    expect(parseEscapeKey("C-]")).toBe(0x1d);
    expect(parseEscapeKey("^]")).toBe(0x1d);
    expect(parseEscapeKey("Ctrl+A")).toBe(0x01);
    expect(parseEscapeKey("0x1d")).toBe(0x1d);
    expect(parseEscapeKey("29")).toBe(0x1d);
    expect(parseEscapeKey(0x1c)).toBe(0x1c);
  });

  it("refuses what is not a control key", () => {
    expect(() => parseEscapeKey("x")).toThrow(/unknown escape key/);
    expect(() => parseEscapeKey(65)).toThrow(/control character/);
    expect(() => parseEscapeKey("ctrl-1")).toThrow(/unknown escape key/);
  });
});

describe("cursor keys", () => {
  it("follow the program's cursor-key mode", () => {
    expect(translateCursorKeys("\x1b[A\x1b[B\x1bOC\x1bOD", true)).toBe("\x1bOA\x1bOB\x1bOC\x1bOD");
    expect(translateCursorKeys("\x1bOA\x1b[B\x1bOH\x1bOF", false)).toBe("\x1b[A\x1b[B\x1b[H\x1b[F");
  });

  it("leave modified arrows and other sequences alone", () => {
    const other = "\x1b[1;5A\x1bOP\x1b[3~x";
    expect(translateCursorKeys(other, true)).toBe(other);
    expect(translateCursorKeys(other, false)).toBe(other);
  });

  it("are translated by keyboardInput along with the escape split", () => {
    expect(keyboardInput("\x1b[Ak\x1dz", { applicationCursor: true })).toEqual({
      forward: "\x1bOAk",
      escape: true,
      rest: "z",
    });
  });
});

describe("encodePaste", () => {
  it("wraps in bracketed-paste markers only when the mode is on", () => {
    expect(encodePaste("one\ntwo\r\nthree", true)).toBe("\x1b[200~one\rtwo\rthree\x1b[201~");
    expect(encodePaste("one\ntwo", false)).toBe("one\rtwo");
  });

  it("removes markers inside the pasted text", () => {
    expect(encodePaste("a\x1b[201~rm -rf\x1b[200~b", true)).toBe("\x1b[200~arm -rfb\x1b[201~");
    // Removed once, a marker split by another made a new one: the paste ended early and the
    // rest arrived as typed keys.
    const nested = encodePaste("x\x1b[20\x1b[201~1~\rrm -rf ~\r", true);
    expect(nested.slice(PASTE_START.length, -PASTE_END.length)).not.toContain(PASTE_END);
    expect(nested.slice(PASTE_START.length, -PASTE_END.length)).not.toContain(PASTE_START);
    expect(encodePaste("\x1b[20\x1b[200~0~x", true)).toBe(`${PASTE_START}x${PASTE_END}`);
  });
});

describe("encodeKey", () => {
  it("encodes the keys the presets approve and deny with", () => {
    expect(encodeKeys(["1"])).toBe("1");
    expect(encodeKeys(["y", "enter"])).toBe("y\r");
    expect(encodeKeys(["n", "Enter"])).toBe("n\r");
    expect(encodeKey("esc")).toBe("\x1b");
    expect(encodeKey("Escape")).toBe("\x1b");
  });

  it("encodes control keys, digits and editing keys", () => {
    expect(encodeKey("ctrl-c")).toBe("\x03");
    expect(encodeKey("C-a")).toBe("\x01");
    expect(encodeKey("^Z")).toBe("\x1a");
    expect(encodeKey("ctrl-]")).toBe("\x1d");
    expect(encodeKey("7")).toBe("7");
    expect(encodeKey("tab")).toBe("\t");
    expect(encodeKey("backspace")).toBe("\x7f");
    expect(encodeKey("shift-tab")).toBe("\x1b[Z");
    expect(encodeKey("pagedown")).toBe("\x1b[6~");
  });

  it("encodes arrows in the program's cursor-key mode", () => {
    expect(encodeKey("up")).toBe("\x1b[A");
    expect(encodeKey("up", { applicationCursor: true })).toBe("\x1bOA");
    expect(encodeKeys(["left", "right", "down", "home", "end"], { applicationCursor: true })).toBe(
      "\x1bOD\x1bOC\x1bOB\x1bOH\x1bOF",
    );
  });

  it("refuses unknown names", () => {
    expect(() => encodeKey("hyper-x")).toThrow(/unknown key/);
  });
});
