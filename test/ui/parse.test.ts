import { describe, expect, it } from "vitest";
import { parseKeys } from "../../src/ui/input/parse.js";

describe("parseKeys", () => {
  it("names letters, arrows, tab, shift-tab, enter, paging and the escape key in all its encodings", () => {
    expect(parseKeys("hjkl")).toEqual(["h", "j", "k", "l"]);
    expect(parseKeys("\x1b[A\x1b[B\x1bOC\x1b[D")).toEqual(["up", "down", "right", "left"]);
    expect(parseKeys("\t\x1b[Z\r")).toEqual(["tab", "shift+tab", "enter"]);
    expect(parseKeys("\x1b[5~\x1b[6~")).toEqual(["pageup", "pagedown"]);
    expect(parseKeys("\x1d\x1b[93;5u\x1b[27;5;93~")).toEqual(["ctrl+]", "ctrl+]", "ctrl+]"]);
    expect(parseKeys("\x03?H")).toEqual(["ctrl+c", "?", "H"]);
  });
  it("keeps a lone Esc and skips escape sequences it does not bind", () => {
    expect(parseKeys("\x1b")).toEqual(["escape"]);
    expect(parseKeys("\x1b[1;5Cq")).toEqual(["q"]);
    expect(parseKeys("é🚀")).toEqual(["é", "🚀"]);
  });
});
