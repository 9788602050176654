export { AUTO_CLAIM_NOTE, type DueGatesResult, dueGates, runDueGates } from "./auto.js";
export {
  type CriterionResult,
  type CriterionRun,
  evaluateCriterion,
  gateNote,
} from "./evaluate.js";
export { type GateHooks, type GateResult, runGate, TAIL_LINES } from "./run.js";
export { gateResultText, recordedGate, recordedGateText } from "./text.js";
