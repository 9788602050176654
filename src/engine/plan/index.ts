export { BUILTIN_ROLE_IDS, BUILTIN_ROLES } from "./builtin-roles.js";
export {
  compileMetric,
  type Expectation,
  meetsExpectation,
  parseExpect,
  parseWithin,
  readMetric,
  type Tolerance,
  toleranceText,
  withinTolerance,
} from "./criteria.js";
export { mergeOrder, phases, startability } from "./dag.js";
export { LOCK_TTL_RANGE, MAX_LOCK_TTL_MS, parseDuration, parseLockTtl } from "./duration.js";
export { formatIssue, PlanError, type PlanIssue, PlanNotFoundError } from "./issues.js";
export { renderStreamsJsonSchema, streamsJsonSchema } from "./json-schema.js";
export { loadPlan, parsePlan } from "./parse.js";
export { PLACEHOLDERS, shellQuote, substituteCommand, withoutTask } from "./placeholders.js";
export {
  DEFAULT_AGENT,
  ID_PATTERN,
  LOCK_MODES,
  PRESETS,
  PRIORITIES,
  SCOPE_MODES,
} from "./schema.js";
export type {
  AgentCommand,
  AgentSpec,
  CheckpointSpec,
  CriterionSpec,
  LockMode,
  NotifyEvent,
  Plan,
  Preset,
  Priority,
  RoleSpec,
  ScopeMode,
  Startability,
  StreamSpec,
  StreamStatus,
  TaskSpec,
} from "./types.js";
export { KEY_NAME_HELP, KEY_NAME_PATTERN, UI_COMMAND_IDS, type UiCommandId } from "./ui-keys.js";
