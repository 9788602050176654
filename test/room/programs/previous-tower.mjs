// A Tower without its screen: the control room's services (state watcher, agents' sessions,
// conflict scanner) on the project in the working directory, as `tower` runs them, until it is
// killed. Prints "started" once the agents of the streams in progress are started. For the tests
// of what a Tower finds when it starts after another. Needs `npm run build` (it runs dist/).
import { openProject } from "../../../dist/engine/project.js";
import { startServices } from "../../../dist/ui/services/index.js";
import { createAppStore } from "../../../dist/ui/store/index.js";

const project = await openProject(process.cwd());
const store = createAppStore();
store.getState().setSize(200, 50);
await startServices(project, store, { session: { stopGraceMs: 1000 } });
process.stdout.write("started\n");
