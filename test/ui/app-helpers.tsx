/**
 * The whole app over a real temporary repository: streams A (A1, A2) and B (B1) started, fake
 * agents that ask and wait, the room's services feeding the store, ink-testing-library drawing
 * the App. Closed after each test (`closeApps` in afterEach).
 */
import path from "node:path";
import { render } from "ink-testing-library";
import { expect } from "vitest";
import { openProject } from "../../src/engine/project.js";
import { App } from "../../src/ui/components/App.js";
import { KEY_TABLE } from "../../src/ui/keys/table.js";
import { type ServicesOptions, startServices } from "../../src/ui/services/index.js";
import { StoreContext } from "../../src/ui/store/context.js";
import { createAppStore } from "../../src/ui/store/index.js";
import { makeRepo, PROJECT_ROOT, tower } from "../helpers/repo.js";

const FAKE = path.join(PROJECT_ROOT, "dist/fake-agent/main.js");
export const RIG_PLAN = `version: 1
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

const open: (() => Promise<void>)[] = [];

export async function closeApps(): Promise<void> {
  for (const close of open.splice(0).reverse()) await close();
}

/** The app at `cols` x `rows` over a new repository with A and B started. */
export async function openApp(
  cols: number,
  rows: number,
  options: ServicesOptions & { select?: string } = {},
) {
  const repo = await makeRepo({ plan: RIG_PLAN });
  open.push(async () => repo.cleanup());
  expect((await tower(repo.root, ["start", "A", "B"])).code).toBe(0);
  const project = await openProject(repo.root);
  const store = createAppStore();
  store.getState().setSize(cols, rows);
  const { select, ...services } = options;
  const room = await startServices(project, store, { resume: false, ...services });
  open.push(() => room.close(500));
  if (select) store.getState().select(select);
  const ui = render(
    <StoreContext.Provider value={store}>
      <App table={KEY_TABLE} />
    </StoreContext.Provider>,
  );
  open.push(async () => ui.unmount());
  return { repo, store, services: room, ui };
}
