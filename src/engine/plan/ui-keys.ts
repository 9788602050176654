/**
 * The control room's commands, as `ui.keys` in streams.yaml names them to change their keys.
 * The key table in src/ui builds on this list (a test keeps them equal).
 */
export const UI_COMMAND_IDS = [
  "pane.left",
  "pane.down",
  "pane.up",
  "pane.right",
  "tab.next",
  "tab.previous",
  "row.next",
  "row.previous",
  "mode.insert",
  "mode.normal",
  "pane.zoom",
  "pane.scrollUp",
  "pane.scrollDown",
  "prompt.approve",
  "prompt.deny",
  "agent.nextWaiting",
  "stream.start",
  "stream.complete",
  "stream.merge",
  "stream.cleanup",
  "agent.handoff",
  "checkpoint.approve",
  "checkpoint.reject",
  "checkpoint.run",
  "task.done",
  "task.block",
  "stream.diff",
  "diff.down",
  "diff.up",
  "diff.pageDown",
  "diff.pageUp",
  "diff.nextHunk",
  "diff.previousHunk",
  "diff.nextFile",
  "diff.previousFile",
  "diff.comment",
  "diff.send",
  "diff.uncomment",
  "diff.help",
  "diff.close",
  "agent.stopOrRestart",
  "lock.release",
  "app.help",
  "app.palette",
  "app.messages",
  "app.detach",
  "app.quit",
] as const;

export type UiCommandId = (typeof UI_COMMAND_IDS)[number];

/** `j`, `H`, `?`, `ctrl+]`, `shift+tab`, `left`, `pageup`, `enter`... */
export const KEY_NAME_PATTERN =
  /^(?:(?:ctrl|shift|alt)\+)*(?:[!-~]|left|right|up|down|tab|enter|escape|pageup|pagedown|home|end|backspace|delete|space)$/;

export const KEY_NAME_HELP =
  "a key name: one printable character (j, H, ?), or left, right, up, down, tab, enter, escape, pageup, pagedown, home, end, backspace, delete, space, with ctrl+, shift+ or alt+ before it (ctrl+], shift+tab)";
