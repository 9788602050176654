/**
 * One contending process of the `locks` benchmark, started by bench/locks.ts with an IPC channel.
 * It loads the engine, says "ready", waits for "go" (the barrier), then takes and releases the
 * same path `pairs` times, retrying at once whenever the acquire is refused, and reports back.
 *
 * argv: <stateDir> <agent> <stream> <path> <pairs>
 */
import { loadEngine } from "./engine.js";

export type ToWorker = { type: "go"; budgetMs: number };
export type FromWorker =
  | { type: "ready" }
  | {
      type: "done";
      agent: string;
      pairs: number;
      refusals: number;
      /** Per pair: first acquire attempt (refused retries included) to the end of the release. */
      pairMs: number[];
      /** Per pair: the successful acquire call plus the release call only. */
      okPairMs: number[];
      errors: string[];
      stoppedByBudget: boolean;
    };

const send = (message: FromWorker): Promise<void> =>
  new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error("lock-worker must be started with an IPC channel (child_process.fork)"));
      return;
    }
    process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });

const [stateDir, agent, stream, lockPath, pairsArg] = process.argv.slice(2);
if (!stateDir || !agent || !stream || !lockPath || !pairsArg) {
  process.stderr.write("usage: lock-worker <stateDir> <agent> <stream> <path> <pairs>\n");
  process.exit(2);
}
const target = Number(pairsArg);

const { acquireLocks, releaseLocks, StateStore } = await loadEngine();
const store = new StateStore(stateDir);
const go = new Promise<ToWorker>((resolve) =>
  process.once("message", (m) => resolve(m as ToWorker)),
);
await send({ type: "ready" });
const { budgetMs } = await go;

const deadline = performance.now() + budgetMs;
const pairMs: number[] = [];
const okPairMs: number[] = [];
const errors: string[] = [];
let refusals = 0;
let stoppedByBudget = false;

outer: for (let i = 0; i < target; i++) {
  if (performance.now() > deadline) {
    stoppedByBudget = true;
    break;
  }
  const first = performance.now();
  let start: number;
  for (;;) {
    start = performance.now();
    const taken = await acquireLocks(store, { paths: [lockPath], agent, stream, task: "bench" });
    if (taken.ok) break;
    refusals++;
    if (performance.now() > deadline) {
      stoppedByBudget = true;
      break outer;
    }
  }
  const released = await releaseLocks(store, { paths: [lockPath], agent, stream });
  const end = performance.now();
  if (!released.ok || released.results[0]?.outcome !== "released") {
    errors.push(`pair ${i}: release gave ${JSON.stringify(released.results)}`);
    break;
  }
  pairMs.push(end - first);
  okPairMs.push(end - start);
}

await send({
  type: "done",
  agent,
  pairs: pairMs.length,
  refusals,
  pairMs,
  okPairMs,
  errors,
  stoppedByBudget,
});
process.disconnect();
