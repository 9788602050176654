/**
 * `tower attach`'s first frame (src/ui/paint.ts) is the control room's own picture: painted
 * from the same store as the App draws with Ink, over a real repository with fake agents in
 * real pseudo-terminals, the two screens read the same, row by row.
 */
import path from "node:path";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/engine/project.js";
import { App } from "../../src/ui/components/App.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { paintScreen } from "../../src/ui/paint.js";
import { type Services, startServices } from "../../src/ui/services/index.js";
import { StoreContext } from "../../src/ui/store/context.js";
import { createAppStore } from "../../src/ui/store/index.js";
import { makeRepo, PROJECT_ROOT, type TempRepo, tower } from "../helpers/repo.js";

const FAKE = path.join(PROJECT_ROOT, "dist/fake-agent/main.js");
const plan = `version: 1
project: rig
agent: [node, ${JSON.stringify(FAKE)}, --step, "banner\\nask Do you want to proceed?\\necho"]
streams:
  A:
    name: Foundation
    agents: [{ id: A1, task: "Base" }, { id: A2, task: "More" }]
  B:
    name: Billing
    agents: [{ id: B1, task: "Billing" }]
`;

let repo: TempRepo | undefined;
let services: Services | undefined;
afterEach(async () => {
  await services?.close(500);
  services = undefined;
  repo?.cleanup();
});

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
      repo = await makeRepo({ plan });
      expect((await tower(repo.root, ["start", "A", "B"])).code).toBe(0);
      const project = await openProject(repo.root);
      const store = createAppStore();
      store.getState().setSize(cols, rows);
      services = await startServices(project, store, { resume: false });
      store.getState().select("A2");
      const ui = render(
        <StoreContext.Provider value={store}>
          <App table={KEY_TABLE} />
        </StoreContext.Provider>,
      );
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
      ui.unmount();
    });
  }
});
