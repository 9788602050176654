export { LockTimeoutError } from "./flock.js";
export * from "./formats.js";
export {
  backupPath,
  readJsonFile,
  ShapeError,
  type SnapshotResult,
  StateFileError,
  snapshotGoodCopy,
  updateJsonFile,
} from "./json-file.js";
export { emptyMap, MAX_JSON_DEPTH } from "./json-text.js";
export {
  appendJsonl,
  formatJsonlWarning,
  type JsonlRead,
  type JsonlWarning,
  parseJsonl,
  readJsonl,
} from "./jsonl.js";
export { DEFAULT_STATE_DIR, resolveStateDir, verifyStateDir } from "./locate.js";
export {
  appendStateFile,
  checkStateFile,
  checkStateFolder,
  chmodStateFile,
  makeStateFolder,
  openStateFile,
  readStateFile,
  writeStateFile,
} from "./safe-fs.js";
export {
  MERGE_LOCK_FILE,
  type NewActivity,
  StateStore,
  stateStoreFor,
  TOWER_AGENT,
} from "./store.js";
export { parseTimestamp, parseUtcOffset, toNaiveLocal, toUtcIso, utcOffset } from "./time.js";
