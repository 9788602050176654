/**
 * The conflict scanner: what the active streams changed, and what may go wrong when they merge
 * (overlapping changes, changes outside scope or under another stream's lock, predicted textual
 * conflicts, imports of modules another stream changed).
 */
export { buildChanges, collectChanges, StreamScanError } from "./changes.js";
export {
  extractJsSpecifiers,
  extractPythonImports,
  importedModules,
  importWarnings,
  isImportSource,
  type PythonImport,
  resolveJsImport,
  resolvePythonImport,
} from "./imports.js";
export { lockWarnings } from "./locks.js";
export {
  clearMergeMemo,
  type FileSets,
  type MergeCandidate,
  mergeWarnings,
  type PairPrediction,
  type PredictedMerge,
  predictMergeOrder,
  predictPairwise,
} from "./merge.js";
export { hunkSpan, hunksOverlap, overlapWarnings, rangesOverlap } from "./overlap.js";
export {
  ACTIVE_CONFLICTS_FILE,
  type ActiveConflictsFile,
  type RecordResult,
  recordConflicts,
  type StandingWarning,
} from "./record.js";
export {
  activeStreams,
  ConflictScanError,
  predictStreamMerges,
  readActiveStreams,
  scanConflicts,
  sortWarnings,
} from "./scan.js";
export { scopeMatcher, scopeWarnings } from "./scope.js";
export {
  type ActiveStream,
  branchRef,
  type ConflictWarning,
  type FileChange,
  type ScanInput,
  type Severity,
  type StreamChanges,
  type WarningKind,
  warningKey,
} from "./types.js";
