/**
 * src/pty: agent sessions in pseudo-terminals, their screens as rows, keyboard input, status
 * detection and the presets of known agent CLIs. No Ink or React here (see biome.json).
 */
export {
  createEmulator,
  DEFAULT_SCROLLBACK,
  displayWidth,
  type EmulatorOptions,
  parsed,
} from "./emulator.js";
export {
  DEFAULT_ESCAPE_KEY,
  encodeKey,
  encodeKeys,
  encodePaste,
  type KeyboardOptions,
  keyboardInput,
  PASTE_END,
  PASTE_START,
  parseEscapeKey,
  type SplitInput,
  splitInput,
  translateCursorKeys,
} from "./keys.js";
export {
  type AgentProcess,
  findAgentProcess,
  holdsTerminal,
  isAlive,
  runningTower,
  stopLeftover,
} from "./leftovers.js";
export {
  AgentLog,
  type AgentLogOptions,
  DEFAULT_LOG_MAX_BYTES,
  LOG_TICK_MS,
  ScreenLogger,
} from "./log.js";
export {
  type AnnouncedStatus,
  inferPreset,
  PRESET_SPECS,
  type Preset,
  type PresetSpec,
  presetSpec,
  STATUS_LINES,
  withResume,
} from "./presets.js";
export {
  type CursorPosition,
  type Frame,
  type FrameOptions,
  RESET,
  renderLine,
  Screen,
  type ScreenOptions,
  type Style,
  sgr,
} from "./screen.js";
export {
  agentEnv,
  DEFAULT_COLS,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LOW_WATER_MARK,
  DEFAULT_ROWS,
  DEFAULT_STOP_GRACE_MS,
  guardTail,
  hasVisibleText,
  killRunningSessions,
  type Launch,
  Session,
  type SessionEvents,
  type SessionNotification,
  type SessionOptions,
} from "./session.js";
export {
  type AttentionKind,
  type ExitInfo,
  lastLines,
  parseOsc7501,
  promptLines,
  RUNNING_MS,
  type SessionStatus,
  type StatusChange,
  type StatusSource,
  StatusTracker,
  type StatusTrackerOptions,
  screenBusy,
  screenWaiting,
} from "./status.js";
