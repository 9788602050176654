/**
 * Auto gates (`auto: true`): run by themselves, once, as soon as what they wait for has passed.
 * Follows the store's checkpoints and streams; at most one run of the due gates at a time, and
 * one more when something changed meanwhile. Says in the message line what ran and how it ended.
 */
import { runDueGates } from "../../engine/gates/index.js";
import type { Project } from "../../engine/project.js";
import type { AppStore } from "../store/index.js";
import { errorMessage } from "./serial.js";

export interface GateRunner {
  close(): void;
}

export function startGateRunner(project: Project, store: AppStore): GateRunner {
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
        const s = store.getState();
        if (result.skipped && !skippedShown) {
          skippedShown = true;
          s.showFlash(`an auto gate is due, but ${result.skipped.split("\n")[0]}`, 10_000);
        }
        for (const gate of result.results) {
          s.showFlash(`gate ${gate.id} ${gate.passed ? "passed" : `failed: ${gate.note}`}`, 8_000);
        }
        for (const error of result.errors) s.showFlash(`gate ${error.id}: ${error.message}`, 8_000);
      } while (again && !closed);
    } catch (error) {
      if (!closed) store.getState().showFlash(`auto gates: ${errorMessage(error)}`);
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
