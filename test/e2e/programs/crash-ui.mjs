// The control room exactly as `tower ui --no-resume` opens it (from dist/), plus one defect: typing
// "!" throws an uncaught exception from a timer, as a bug in Tower would. For the crash test.
import { loadControlRoom } from "../../../dist/cli/control-room.js";
import { openProject } from "../../../dist/engine/project.js";

process.stdin.on("data", (data) => {
  if (String(data).includes("!")) {
    setTimeout(() => {
      throw new Error("boom: a defect for the crash test");
    }, 0);
  }
});
const { runControlRoom } = await loadControlRoom();
await runControlRoom(await openProject(process.cwd()), { resume: false });
