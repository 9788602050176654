/**
 * Auto gates (`auto: true`): run by themselves, once, as soon as what they wait for has passed.
 * Follows the store's checkpoints and streams; at most one run of the due gates at a time, and
 * one more when something changed meanwhile. Says in the message line what ran and how it ended.
 */
import { runDueGates } from "../engine/gates/index.js";
import type { Project } from "../engine/project.js";
import { errorMessage } from "./serial.js";
import type { RoomStore } from "./state.js";

export interface GateRunner {
  close(): void;
}

export function startGateRunner(
  project: Project,
  store: RoomStore,
  say: (message: string) => void,
  /** Told of each auto gate's outcome (the notifier). */
  onGate?: (id: string, passed: boolean, text: string) => void,
): GateRunner {
  const hasAuto = () => project.plan.checkpoints.some((c) => c.auto);
  let running = false;
  let again = false;
  let closed = false;
  let skippedShown = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const result = await runDueGates(project);
        if (closed) return;
        if (result.skipped && !skippedShown) {
          skippedShown = true;
          say(`an auto gate is due, but ${result.skipped.split("\n")[0]}`);
        }
        for (const gate of result.results) {
          const text = `gate ${gate.id} ${gate.passed ? "passed" : `failed: ${gate.note}`}`;
          say(text);
          onGate?.(gate.id, gate.passed, text);
        }
        for (const error of result.errors) say(`gate ${error.id}: ${error.message}`);
      } while (again && !closed);
    } catch (error) {
      if (!closed) say(`auto gates: ${errorMessage(error)}`);
    } finally {
      running = false;
    }
  };
  const unsubscribe = store.subscribe((s, previous) => {
    if (closed || !hasAuto()) return;
    if (s.checkpoints !== previous.checkpoints || s.status?.streams !== previous.status?.streams) {
      void run();
    }
  });
  if (hasAuto()) void run();
  return {
    close() {
      closed = true;
      unsubscribe();
    },
  };
}
