/**
 * `tower attach`'s first frame (src/ui/paint.ts) is the control room's own picture: painted
 * from the same store as the App draws with Ink, over a real repository with fake agents in
 * real pseudo-terminals, the two screens read the same, row by row.
 */
import { afterEach, describe, expect, it } from "vitest";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { paintScreen } from "../../src/ui/paint.js";
import { closeApps, openApp } from "./app-helpers.js";

afterEach(closeApps);

const strip = (text: string) =>
  text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").replace(/\x1b[78]/g, "");

/** The painted screen's rows as text (it places each row with a cursor move). */
function paintedRows(painted: string, rows: number): string[] {
  const out = Array.from({ length: rows }, () => "");
  for (const part of painted.split(/(?=\x1b\[\d+;1H)/)) {
    const at = /^\x1b\[(\d+);1H/.exec(part);
    if (at) out[Number(at[1]) - 1] = strip(part.slice(at[0].length));
  }
  return out.map((r) => r.trimEnd());
}

describe("the painted first frame", () => {
  for (const [cols, rows] of [
    [160, 48],
    [80, 24],
  ] as const) {
    it(`reads as the control room draws it, at ${cols}x${rows}`, async () => {
      const { store, ui } = await openApp(cols, rows, { select: "A2" });
      const deadline = Date.now() + 20_000;
      let ink: string[] = [];
      let painted: string[] = [];
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ink = strip(ui.lastFrame() ?? "")
          .split("\n")
          .map((r) => r.trimEnd());
        painted = paintedRows(paintScreen(store.getState(), KEY_TABLE), rows);
        const waiting = ink.join("\n").includes("3 wait");
        if (waiting && ink.join("\n") === painted.join("\n")) break;
        if (Date.now() > deadline) break;
      }
      expect(painted.join("\n")).toContain("▶ A2 waiting");
      expect(painted).toEqual(ink);
    });
  }
});
