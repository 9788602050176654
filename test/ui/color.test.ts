import { describe, expect, it } from "vitest";
import { adaptRow, colorModeFromEnv, nearest16 } from "../../src/ui/view/color.js";

describe("colour fallbacks", () => {
  it("reads the mode from the environment", () => {
    expect(colorModeFromEnv({ NO_COLOR: "1", TERM: "xterm-256color" })).toBe("none");
    expect(colorModeFromEnv({ NO_COLOR: "" })).toBe("none");
    expect(colorModeFromEnv({ TERM: "xterm-256color" })).toBe("full");
    expect(colorModeFromEnv({ TERM: "xterm", COLORTERM: "truecolor" })).toBe("full");
    expect(colorModeFromEnv({ TERM: "xterm" })).toBe("16");
    expect(colorModeFromEnv({ TERM: "screen" })).toBe("16");
  });
  it("NO_COLOR drops colours and keeps attributes", () => {
    expect(
      adaptRow(
        "\x1b[1;31mred bold\x1b[0m \x1b[38;5;208;4mo\x1b[0m \x1b[48;2;1;2;3mx\x1b[0m",
        "none",
      ),
    ).toBe("\x1b[1mred bold\x1b[0m \x1b[4mo\x1b[0m x\x1b[0m");
  });
  it("brings 256 and truecolor down to the 16 standard colours", () => {
    expect(nearest16([250, 5, 5])).toBe(9);
    expect(adaptRow("\x1b[38;5;196mA\x1b[48;2;0;0;0mB\x1b[31mC", "16")).toBe(
      "\x1b[91mA\x1b[40mB\x1b[31mC",
    );
    expect(adaptRow("\x1b[38;5;196mA", "full")).toBe("\x1b[38;5;196mA");
  });
});
