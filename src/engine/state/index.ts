export { LockTimeoutError } from "./flock.js";
export * from "./formats.js";
export {
  backupPath,
  readJsonFile,
  ShapeError,
  StateFileError,
  updateJsonFile,
} from "./json-file.js";
export {
  appendJsonl,
  formatJsonlWarning,
  type JsonlRead,
  type JsonlWarning,
  parseJsonl,
  readJsonl,
} from "./jsonl.js";
export { DEFAULT_STATE_DIR, resolveStateDir } from "./locate.js";
export { type NewActivity, StateStore, TOWER_AGENT } from "./store.js";
export { parseTimestamp, toNaiveLocal, toUtcIso } from "./time.js";
