/**
 * The one key table. Every command the control room knows: its id, default keys, description,
 * category, and why it cannot run right now. The footer hints, the help screen and
 * docs/keybindings.md are all generated from it.
 */

import type { UiCommandId } from "../../engine/plan/index.js";
import type { Tab } from "../view/model.js";

/** Normal: keys are commands; insert: keys go to the agent; copy: the pane's copy mode;
 * diff: the review view (`d`) is open, its keys move in the diff. */
export type Mode = "normal" | "insert" | "copy" | "diff";

/** The command ids are the plan's (`ui.keys` in streams.yaml names them). */
export type CommandId = UiCommandId;

export type Category =
  | "Panes"
  | "Copy mode"
  | "Agents"
  | "Streams"
  | "Review"
  | "Checkpoints and locks"
  | "General";

/** What the table needs to know to say why a command does not apply now. */
export interface KeyContext {
  mode: Mode;
  agentCount: number;
  selectedAgent?: {
    id: string;
    stream: string;
    status: "starting" | "running" | "idle" | "waiting" | "exited";
    streamStatus: string;
  };
  /** The stream `m` merges: the selected agent's when completed, else the next completed one in merge order. */
  mergeTarget?: string;
  /** Why no stream can be merged now. */
  mergeBlocker?: string;
  waitingCount: number;
  startableStreams: string[];
  /** Why each pending stream cannot start, for the footer. */
  startBlocker?: string;
  activeTab: Tab;
  selectedCheckpoint?: {
    id: string;
    kind: "approval" | "run" | "gate";
    status: string;
    waitingFor: string[];
  };
  selectedLock?: { path: string };
  /** The row selected in the Snapshots tab, when it is open. */
  selectedSnapshot?: { stream: string; commit: string };
  selectedTask?: { id: string; status: string; waitingFor: string[] };
  zoomed: boolean;
  /** Whether a server hosts the room, so that leaving keeps the agents running. */
  canDetach: boolean;
  /** Rows in the active bottom tab. */
  tabRows?: number;
  /** Whether copy mode copied something that `p` can paste. */
  pasteBuffer?: boolean;
  /** The review view, when open: whether the cursor is on a code line, the comments to send. */
  diff?: { onLine: boolean; onComment: boolean; comments: number; agent: string | undefined };
}

export interface KeyCommand {
  id: CommandId;
  /** Key names as `keyName` produces them: `h`, `H`, `left`, `tab`, `shift+tab`, `ctrl+]`, `pageup`. */
  keys: string[];
  description: string;
  category: Category;
  mode: Mode;
  /** A word or two for the help's summary of copy mode's keys. */
  short?: string;
  /** Undefined when the command applies now; otherwise one sentence that says why not. */
  disabledReason?(context: KeyContext): string | undefined;
}

const needAgent = (c: KeyContext) =>
  c.selectedAgent ? undefined : "no agent is selected: start a stream with s";
const needWaiting = (c: KeyContext) =>
  needAgent(c) ??
  (c.selectedAgent?.status !== "waiting"
    ? `${c.selectedAgent?.id} is not waiting for an answer`
    : undefined);

const needDiff = (c: KeyContext) =>
  c.mode === "diff" ? undefined : "open the selected stream's diff first (d)";

export const KEY_TABLE: readonly KeyCommand[] = [
  {
    id: "pane.left",
    keys: ["left", "h"],
    description: "select the pane to the left",
    category: "Panes",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "pane.down",
    keys: ["down", "j"],
    description: "select the pane below",
    category: "Panes",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "pane.up",
    keys: ["up", "k"],
    description: "select the pane above",
    category: "Panes",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "pane.right",
    keys: ["right", "l"],
    description: "select the pane to the right",
    category: "Panes",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "tab.next",
    keys: ["tab"],
    description: "next bottom tab",
    category: "Panes",
    mode: "normal",
  },
  {
    id: "tab.previous",
    keys: ["shift+tab"],
    description: "previous bottom tab",
    category: "Panes",
    mode: "normal",
  },
  {
    id: "row.next",
    keys: ["J"],
    description: "select the next row of the bottom tab (a lock, a checkpoint)",
    category: "Panes",
    mode: "normal",
  },
  {
    id: "row.previous",
    keys: ["K"],
    description: "select the previous row of the bottom tab",
    category: "Panes",
    mode: "normal",
  },
  {
    id: "row.open",
    keys: ["o"],
    description:
      "open the selected row of the bottom tab whole (also Enter, once J/K moved into the tab)",
    category: "Panes",
    mode: "normal",
    disabledReason: (c) => (c.tabRows ? undefined : `the ${c.activeTab} tab is empty`),
  },
  {
    id: "mode.insert",
    keys: ["enter", "i"],
    description: "insert mode: keys go to the selected agent",
    category: "Agents",
    mode: "normal",
    disabledReason: (c) =>
      needAgent(c) ??
      (c.selectedAgent?.status === "exited"
        ? `${c.selectedAgent.id} has exited: restart it with x`
        : undefined),
  },
  {
    id: "mode.normal",
    keys: ["ctrl+]"],
    description: "back to normal mode",
    category: "Agents",
    mode: "insert",
  },
  {
    id: "pane.zoom",
    keys: ["z"],
    description: "zoom / unzoom the selected pane",
    category: "Panes",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "pane.scrollUp",
    keys: ["pageup"],
    description: "copy mode, a page back in the selected pane's history",
    category: "Panes",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "pane.scrollDown",
    keys: ["pagedown"],
    description: "scroll the selected pane forward",
    category: "Panes",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "pane.copy",
    keys: ["v", "["],
    description: "copy mode: move a cursor through the pane's history, search it, select and copy",
    category: "Copy mode",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "pane.search",
    keys: ["/"],
    description: "search the selected pane's history (copy mode)",
    category: "Copy mode",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "paste.buffer",
    keys: ["p"],
    description: "paste what copy mode copied last into the selected agent",
    category: "Copy mode",
    mode: "normal",
    disabledReason: (c) =>
      needAgent(c) ??
      (c.pasteBuffer ? undefined : "nothing copied yet: copy with v (copy mode), then y"),
  },
  {
    id: "copy.up",
    keys: ["k", "up"],
    description: "cursor up a line",
    short: "up",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.down",
    keys: ["j", "down"],
    description: "cursor down a line",
    short: "down",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.left",
    keys: ["h", "left"],
    description: "cursor left",
    short: "left",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.right",
    keys: ["l", "right"],
    description: "cursor right",
    short: "right",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.halfUp",
    keys: ["ctrl+u"],
    description: "half a page up",
    short: "½ page up",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.halfDown",
    keys: ["ctrl+d"],
    description: "half a page down",
    short: "½ page down",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.pageUp",
    keys: ["pageup", "ctrl+b"],
    description: "a page up",
    short: "page up",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.pageDown",
    keys: ["pagedown", "ctrl+f"],
    description: "a page down",
    short: "page down",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.top",
    keys: ["g", "home"],
    description: "to the top of the history",
    short: "top",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.bottom",
    keys: ["G", "end"],
    description: "to the bottom",
    short: "bottom",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.lineStart",
    keys: ["0"],
    description: "to the start of the line",
    short: "line start",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.lineEnd",
    keys: ["$"],
    description: "to the end of the line",
    short: "line end",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.searchForward",
    keys: ["/"],
    description: "search down (as you type; Enter keeps it, Esc goes back)",
    short: "search",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.searchBackward",
    keys: ["?"],
    description: "search up",
    short: "search up",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.next",
    keys: ["n"],
    description: "next match",
    short: "next",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.previous",
    keys: ["N"],
    description: "previous match",
    short: "previous",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.select",
    keys: ["v"],
    description: "select a block from the cursor (again: no selection)",
    short: "block",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.selectLines",
    keys: ["V"],
    description: "select whole lines from the cursor",
    short: "lines",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.yank",
    keys: ["y", "enter"],
    description:
      "copy the selection (or the line) to the clipboard (OSC 52) and the paste buffer; leave copy mode",
    short: "copy",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "copy.exit",
    keys: ["q", "escape"],
    description: "leave copy mode (back to the live screen)",
    short: "leave",
    category: "Copy mode",
    mode: "copy",
  },
  {
    id: "prompt.approve",
    keys: ["y"],
    description: "approve the selected agent's waiting prompt",
    category: "Agents",
    mode: "normal",
    disabledReason: needWaiting,
  },
  {
    id: "prompt.deny",
    keys: ["n"],
    description: "deny the selected agent's waiting prompt",
    category: "Agents",
    mode: "normal",
    disabledReason: needWaiting,
  },
  {
    id: "agent.nextWaiting",
    keys: ["w"],
    description: "select the next waiting agent",
    category: "Agents",
    mode: "normal",
    disabledReason: (c) => (c.waitingCount === 0 ? "no agent is waiting" : undefined),
  },
  {
    id: "stream.start",
    keys: ["s"],
    description: "start a stream (pick among those that can start)",
    category: "Streams",
    mode: "normal",
    disabledReason: (c) =>
      c.startableStreams.length === 0 ? (c.startBlocker ?? "no stream can start now") : undefined,
  },
  {
    id: "stream.complete",
    keys: ["c"],
    description: "mark the selected agent's stream completed",
    category: "Streams",
    mode: "normal",
    disabledReason: (c) =>
      needAgent(c) ??
      (c.selectedAgent && c.selectedAgent.streamStatus !== "in_progress"
        ? `${c.selectedAgent.stream} is ${c.selectedAgent.streamStatus}, not in progress`
        : undefined),
  },
  {
    id: "stream.merge",
    keys: ["m"],
    description:
      "merge the selected stream, or the next completed one in merge order (confirm first)",
    category: "Streams",
    mode: "normal",
    disabledReason: (c) =>
      c.mergeTarget ? undefined : (c.mergeBlocker ?? "no stream is completed yet"),
  },
  {
    id: "stream.cleanup",
    keys: ["X"],
    description:
      "clean up the selected merged stream: stop its agents, remove its worktree and branch where nothing is lost (confirm first)",
    category: "Streams",
    mode: "normal",
    disabledReason: (c) =>
      !c.selectedAgent
        ? "no agent selected"
        : c.selectedAgent.streamStatus === "merged"
          ? undefined
          : `${c.selectedAgent.stream} is ${c.selectedAgent.streamStatus.replace("_", " ")}, not merged: merge it first (m)`,
  },
  {
    id: "agent.handoff",
    keys: ["H"],
    description: "handoff from the selected agent (form prefilled from git)",
    category: "Streams",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "agent.add",
    keys: ["A"],
    description:
      "add an agent to the selected stream, or a new stream (a form; written into streams.yaml, comments kept)",
    category: "Streams",
    mode: "normal",
  },
  {
    id: "agent.shell",
    keys: ["!"],
    description:
      "a shell in the selected agent's worktree, as a pane of its own (not in the plan; gone when it exits)",
    category: "Streams",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "checkpoint.approve",
    keys: ["a"],
    description: "approve the selected checkpoint",
    category: "Checkpoints and locks",
    mode: "normal",
    disabledReason: (c) => checkpointReason(c, "approved"),
  },
  {
    id: "checkpoint.reject",
    keys: ["r"],
    description: "reject the selected checkpoint (asks for a reason)",
    category: "Checkpoints and locks",
    mode: "normal",
    disabledReason: (c) => checkpointReason(c, "rejected"),
  },
  {
    id: "checkpoint.run",
    keys: ["R"],
    description: "run the selected checkpoint's command, or its gate's criteria",
    category: "Checkpoints and locks",
    mode: "normal",
    disabledReason: (c) => {
      if (c.activeTab !== "checkpoints") return "open the Checkpoints tab first (Tab)";
      const cp = c.selectedCheckpoint;
      if (!cp) return "the plan has no checkpoints";
      if (cp.kind !== "run") return `${cp.id} has no command to run`;
      if (cp.waitingFor.length) return `${cp.id} waits for ${cp.waitingFor.join(", ")}`;
      return undefined;
    },
  },
  {
    id: "task.done",
    keys: ["space"],
    description: "mark the selected task done (in the Tasks tab)",
    category: "Streams",
    mode: "normal",
    disabledReason: (c) => taskReason(c, "done"),
  },
  {
    id: "task.block",
    keys: ["b"],
    description: "mark the selected task blocked, with a note (in the Tasks tab)",
    category: "Streams",
    mode: "normal",
    disabledReason: (c) => taskReason(c, "blocked"),
  },
  {
    id: "stream.diff",
    keys: ["d"],
    description:
      "review the selected stream's diff against its merge base with the base: files, hunks, comments to its agent",
    category: "Streams",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "diff.down",
    keys: ["j", "down"],
    description: "next line of the diff",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.up",
    keys: ["k", "up"],
    description: "previous line of the diff",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.pageDown",
    keys: ["pagedown", "space"],
    description: "a screen down the diff",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.pageUp",
    keys: ["pageup"],
    description: "a screen up the diff",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.nextHunk",
    keys: ["]"],
    description: "next hunk",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.previousHunk",
    keys: ["["],
    description: "previous hunk",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.nextFile",
    keys: ["}", "tab"],
    description: "next file",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.previousFile",
    keys: ["{", "shift+tab"],
    description: "previous file",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.comment",
    keys: ["c"],
    description: "comment on the diff line under the cursor (kept until sent)",
    category: "Review",
    mode: "diff",
    disabledReason: (c) =>
      needDiff(c) ?? (c.diff?.onLine ? undefined : "move to a line of the diff first (j/k, ])"),
  },
  {
    id: "diff.uncomment",
    keys: ["x"],
    description: "delete the comments on the diff line under the cursor (confirm first)",
    category: "Review",
    mode: "diff",
    disabledReason: (c) =>
      needDiff(c) ?? (c.diff?.onComment ? undefined : "no comment on this line"),
  },
  {
    id: "diff.send",
    keys: ["S"],
    description:
      "send every comment of the review to the stream's agent as one prompt (confirm first)",
    category: "Review",
    mode: "diff",
    disabledReason: (c) =>
      needDiff(c) ??
      (!c.diff?.comments
        ? "the review has no comments yet: c comments on a line"
        : c.diff.agent
          ? undefined
          : "the stream has no agent to send the review to"),
  },
  {
    id: "diff.help",
    keys: ["?"],
    description: "help: every key (back to the diff with Esc)",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.close",
    keys: ["escape", "q"],
    description: "leave the diff (its comments are kept until sent)",
    category: "Review",
    mode: "diff",
    disabledReason: needDiff,
  },
  {
    id: "diff.edit",
    keys: ["e"],
    description:
      "open the file under the cursor in $EDITOR, at its line, as a pane in the worktree",
    category: "Review",
    mode: "diff",
  },
  {
    id: "agent.stopOrRestart",
    keys: ["x"],
    description: "stop the selected agent (confirm); restart it when it has exited",
    category: "Agents",
    mode: "normal",
    disabledReason: needAgent,
  },
  {
    id: "lock.release",
    keys: ["u"],
    description: "release the selected lock in the Locks tab (confirm; forced)",
    category: "Checkpoints and locks",
    mode: "normal",
    disabledReason: (c) =>
      c.activeTab !== "locks"
        ? "open the Locks tab first (Tab)"
        : c.selectedLock
          ? undefined
          : "no lock is held",
  },
  {
    id: "snapshot.restore",
    keys: ["B"],
    description:
      "bring back the selected snapshot's files into its stream's worktree, what is there kept in a snapshot first (confirm)",
    category: "Checkpoints and locks",
    mode: "normal",
    disabledReason: (c) =>
      c.activeTab !== "snapshots"
        ? "open the Snapshots tab first (Tab)"
        : c.selectedSnapshot
          ? undefined
          : "no snapshot yet",
  },
  {
    id: "app.help",
    keys: ["?"],
    description: "help: every key",
    category: "General",
    mode: "normal",
  },
  {
    id: "app.palette",
    keys: [":"],
    description: "command palette: every command by name, with its key and whether it applies now",
    category: "General",
    mode: "normal",
  },
  {
    id: "app.messages",
    keys: ["M"],
    description: "messages: every message shown, with its time",
    category: "General",
    mode: "normal",
  },
  {
    id: "app.detach",
    keys: ["D"],
    description: "detach: leave the control room, the agents go on (tower attach comes back)",
    category: "General",
    mode: "normal",
    disabledReason: (c) =>
      c.canDetach ? undefined : "this control room hosts its agents itself: q quits",
  },
  {
    id: "app.quit",
    keys: ["q"],
    description: "quit: detach, or stop every agent (asks first while agents run)",
    category: "General",
    mode: "normal",
  },
];

function taskReason(c: KeyContext, status: string): string | undefined {
  if (c.activeTab !== "tasks") return "open the Tasks tab first (Tab)";
  const task = c.selectedTask;
  if (!task) return "the plan has no tasks";
  if (task.status === status) return `${task.id} is ${status} already`;
  if (status === "done" && task.waitingFor.length)
    return `${task.id} waits for ${task.waitingFor.join(", ")}`;
  return undefined;
}

function checkpointReason(c: KeyContext, verb: string): string | undefined {
  if (c.activeTab !== "checkpoints") return "open the Checkpoints tab first (Tab)";
  const cp = c.selectedCheckpoint;
  if (!cp) return "the plan has no checkpoints";
  if (cp.kind === "run") return `${cp.id} passes by its command, it cannot be ${verb} by hand`;
  if (cp.kind === "gate") return `${cp.id} passes by itself when its dependencies pass`;
  if (cp.waitingFor.length) return `${cp.id} waits for ${cp.waitingFor.join(", ")}`;
  return undefined;
}

/** The command a key runs in a mode, if any. */
export function commandForKey(
  key: string,
  mode: Mode,
  table: readonly KeyCommand[] = KEY_TABLE,
): KeyCommand | undefined {
  return table.find((c) => c.mode === mode && c.keys.includes(key));
}

/** The table with keys overridden (from streams.yaml `ui.keys`: command id -> keys). */
export function withOverrides(
  overrides: Readonly<Record<string, readonly string[]>>,
  table: readonly KeyCommand[] = KEY_TABLE,
): KeyCommand[] {
  return table.map((c) => (overrides[c.id] ? { ...c, keys: [...(overrides[c.id] ?? [])] } : c));
}

/** `ctrl+]` -> `Ctrl-]`, `left` -> `←`, `shift+tab` -> `Shift-Tab`: how keys are shown. */
export function displayKey(key: string): string {
  const names: Record<string, string> = {
    left: "←",
    right: "→",
    up: "↑",
    down: "↓",
    enter: "Enter",
    tab: "Tab",
    pageup: "PgUp",
    pagedown: "PgDn",
    escape: "Esc",
  };
  if (names[key]) return names[key];
  return key
    .split("+")
    .map((part, i, all) =>
      i < all.length - 1 ? part[0]?.toUpperCase() + part.slice(1) : (names[part] ?? part),
    )
    .join("-");
}
