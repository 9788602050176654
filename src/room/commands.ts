/**
 * The room's boundary as plain data: the commands a client sends (a key in the control room, a
 * remote client over the socket, a test), and what comes back. The same objects travel in the
 * same process and over the wire (see docs/protocol.md).
 */
import type { HandoffFacts } from "../engine/handoff-git.js";
import type { NewAgent } from "../engine/plan/edit.js";
import type { NotifyEvent } from "../engine/plan/index.js";
import type { NewReviewComment, ReviewComment, ReviewDiff } from "../engine/review/index.js";
import type { TaskAction } from "../engine/tasks/index.js";
import type { CopyAction, CopyStatus } from "./copy-mode.js";

export type RoomCommand =
  /** The client's screen and what it shows: the agents' programs are sized for its panes. */
  | {
      type: "layout";
      cols: number;
      rows: number;
      zoomed: boolean;
      selected?: string | undefined;
      /** The client types into the selected agent (only its pane shows a cursor). */
      insert?: boolean | undefined;
      /** The rows its bottom panel needs, tab bar included (absent: the most it may take). */
      panel?: number | undefined;
    }
  /** Keyboard bytes for the agent (the client keeps its own escape key). */
  | { type: "input"; agent: string; data: string }
  | { type: "paste"; agent: string; text: string }
  | { type: "approve"; agent: string }
  | { type: "deny"; agent: string }
  /** Scrolls the agent's pane back (positive) or forward (negative). */
  | { type: "scroll"; agent: string; lines: number }
  /** Copy mode on the agent's pane: move, search, select, yank (the value: `CopyValue`). */
  | { type: "copy"; agent: string; action: CopyAction }
  | { type: "stop"; agent: string }
  | { type: "restart"; agent: string }
  | { type: "stream.start"; stream: string }
  | { type: "stream.complete"; stream: string }
  /** What merging the stream would do (order, predicted conflicts, validation), changing nothing. */
  | { type: "merge.plan"; stream: string }
  | { type: "merge"; stream: string }
  /** A merged stream: its agents stopped, then its worktree and branch removed where safe. */
  | { type: "stream.cleanup"; stream: string }
  /** What git says of the agent's work, to prefill a handoff. */
  | { type: "handoff.prefill"; agent: string }
  | {
      type: "handoff";
      from: string;
      to: string[];
      completedTasks: string[];
      newInterfaces: string[];
      breakingChanges: string[];
      testStatus: string;
      note?: string | undefined;
    }
  | { type: "checkpoint.approve"; id: string; by: string }
  | { type: "checkpoint.reject"; id: string; by: string; reason: string }
  | { type: "checkpoint.run"; id: string }
  | { type: "task.move"; id: string; action: TaskAction; note?: string | undefined }
  | { type: "lock.release"; path: string }
  /** Brings a stream worktree's snapshot's files back into it (engine/git/snapshot.ts). */
  | { type: "snapshot.restore"; stream: string; commit: string }
  | { type: "diff"; stream: string }
  /**
   * A pane of the user's own beside an agent, in its worktree: a shell (`!`, the room's $SHELL
   * when no command is given) or an editor (`e` in the review). Its reply's value: the pane id.
   */
  | { type: "pane.open"; beside: string; label: string; command?: string[] | undefined }
  /** A new agent written into streams.yaml (in a stream, or in a new stream). */
  | { type: "agent.add"; agent: NewAgent }
  /** The stream's worktree against its merge base with the base, and its review's comments. */
  | { type: "review.open"; stream: string }
  | { type: "review.comment"; stream: string; comment: NewReviewComment }
  /** Pastes the review's comments with these ids into the agent as one prompt, then drops them. */
  | { type: "review.send"; stream: string; agent: string; ids: string[] }
  /** Drops the review's comments with these ids, unsent. */
  | { type: "review.uncomment"; stream: string; ids: string[] }
  /** The user trusts the plan's commands (after being shown them): recorded, agents start. */
  | { type: "trust" }
  /**
   * A stream removed from streams.yaml while its agents run (the store's `orphans`): keep them
   * running until stopped (not asked again for this stream), or stop them gracefully. Neither
   * touches the stream's worktree or branch.
   */
  | { type: "orphans.keep"; stream: string }
  | { type: "orphans.stop"; stream: string }
  /** Which agents are running now. */
  | { type: "running" }
  /** Stops every agent and the room (a server then exits). */
  | { type: "shutdown" };

export type RoomCommandType = RoomCommand["type"];

/** A command's outcome: a sentence for the message line, and data for the commands that return some. */
export type RoomReply =
  | { ok: true; text?: string | undefined; value?: unknown }
  | { ok: false; error: string };

/** What a copy command returns: the pane's copy status, or a yank's text (copy mode ended). */
export interface CopyValue {
  status?: CopyStatus;
  text?: string;
}

export interface MergePlanValue {
  id: string;
  name: string;
  base: string;
  mergeOrder: string[];
  predictedConflicts: string[];
  validate: string[];
  blockers: string[];
}

export interface MergeValue {
  outcome: "merged" | "conflict" | "validation_failed" | "refused" | string;
  /** Tower's sentences about it (wrapped by the client), then the commands' last lines. */
  said: string[];
  tail: string[];
}

export interface HandoffPrefillValue {
  from: string;
  stream: string;
  facts: HandoffFacts | undefined;
  /** The agents of the streams that depend on this one. */
  dependents: string[];
}

/** A stream's diff for review (`review.open`). */
export interface ReviewOpenValue extends ReviewDiff {
  stream: string;
  /** The stream's worktree, where the diff's paths are (`e` opens an editor there). */
  worktree: string;
  comments: ReviewComment[];
}

/** After a task is marked done: its agent's next task, when the agent runs here. */
export interface TaskMoveValue {
  next?: { agent: string; id: string; title: string; prompt: string };
}

export interface HandoffValue {
  /** The handoff as the receivers read it. */
  text: string;
  to: string[];
  /** The receivers running now (the client may offer to paste the handoff into them). */
  running: string[];
}

/** What the room says besides its state: a line for the message line, a merge's output. */
export type RoomEvent =
  | { type: "message"; text: string }
  /** Something the user should know of while looking elsewhere (see room/notify.ts). */
  | {
      type: "notify";
      event: NotifyEvent;
      text: string;
      agent?: string;
      stream?: string;
    }
  | { type: "merge.output"; stream: string; line: string };
