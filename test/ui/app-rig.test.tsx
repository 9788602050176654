/**
 * The whole app over a real temporary repository, real state files and fake agents in real
 * pseudo-terminals: ink-testing-library renders it, the services feed it.
 */
import path from "node:path";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/engine/project.js";
import { App } from "../../src/ui/components/App.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
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

const strip = (text: string) => text.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "");

async function frameWith(
  ui: ReturnType<typeof render>,
  check: (frame: string) => boolean,
  what: string,
): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const frame = strip(ui.lastFrame() ?? "");
    if (check(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`the app never showed ${what}:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the app over a real repository", () => {
  it("starts the agents of the streams in progress, shows their screens, waiting flags and live locks", async () => {
    repo = await makeRepo({ plan });
    expect((await tower(repo.root, ["start", "A", "B"])).code).toBe(0);
    const project = await openProject(repo.root);
    const store = createAppStore();
    store.getState().setSize(160, 48);
    services = await startServices(project, store, { resume: false });
    const ui = render(
      <StoreContext.Provider value={store}>
        <App table={KEY_TABLE} />
      </StoreContext.Provider>,
    );
    // Each agent's banner names it on its second row (written after the first).
    const frame = await frameWith(
      ui,
      (f) =>
        ["A1 · stream A", "A2 · stream A", "B1 · stream B"].every((t) => f.includes(`agent ${t}`)),
      "three agents",
    );
    expect((frame.match(/Welcome to Fake Agent/g) ?? []).length).toBe(3);
    await frameWith(ui, (f) => f.includes("3 waiting"), "three waiting agents");
    expect(
      (await tower(repo.root, ["lock", "src/x.ts", "--agent", "B1", "--task", "rig"])).code,
    ).toBe(0);
    await frameWith(ui, (f) => /src\/x\.ts\s+B1/.test(f), "the lock");
    ui.unmount();
  });
});
