// Owns one agent session, as Tower does, so that a test can kill this process (kill -9) and look at
// what it left: runs argv[3..] as the agent with its log in the state directory argv[2], and
// prints the agent's pid as JSON once started. Needs `npm run build` (it runs dist/).
import { Session } from "../../../dist/pty/index.js";

const [, , stateDir, ...command] = process.argv;
const session = new Session({
  agent: "K1",
  stream: "K",
  task: "killed owner",
  command,
  worktree: stateDir,
  repoRoot: stateDir,
  stateDir,
});
session.start();
process.stdout.write(`${JSON.stringify({ pid: session.pid })}\n`);
