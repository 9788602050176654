/**
 * The review view's keys (mode `diff`): open a stream's diff, move in it, comment on a line, and
 * send the comments to the stream's agent after a confirmation showing the prompt. The comments
 * live in the room (the state directory); the view keeps the copy the room last returned.
 */
import type { ReviewComment } from "../../engine/review/index.js";
import { reviewPrompt } from "../../engine/review/prompt.js";
import type { ReviewOpenValue } from "../../room/commands.js";
import type { CommandId } from "../keys/table.js";
import type { InputPurpose } from "../store/slices.js";
import {
  commentsAtCursor,
  cursorLine,
  type DiffView,
  diffBodyHeight,
  findRow,
  lineAnchor,
  moveCursor,
  openDiffView,
} from "../view/diff.js";
import { ask, type Controller, flash } from "./controller.js";

/** `d`: the stream's diff against its merge base, full screen. */
export async function openReview(ctl: Controller, stream: string, agent: string | undefined) {
  ctl.store.getState().showFlash(`reading the diff of ${stream}…`, 60_000);
  const value = await ask<ReviewOpenValue>(ctl, { type: "review.open", stream });
  if (!value) return;
  ctl.store.setState({ flash: undefined });
  ctl.store.getState().setReview(openDiffView(value, agent));
}

export function runDiffCommand(ctl: Controller, id: CommandId) {
  const s = ctl.store.getState();
  const view = s.review;
  if (!view) return;
  const height = diffBodyHeight(s.size.rows);
  const move = (row: number | undefined, toTop = false) => {
    if (row !== undefined) s.setReview(moveCursor(view, row, height, toTop));
  };
  switch (id) {
    case "diff.down":
      return move(view.cursor + 1);
    case "diff.up":
      return move(view.cursor - 1);
    case "diff.pageDown":
      return s.setReview({
        ...moveCursor(view, view.cursor + height, height),
        top: Math.min(Math.max(0, view.rows.length - height), view.top + height),
      });
    case "diff.pageUp":
      return s.setReview({
        ...moveCursor(view, view.cursor - height, height),
        top: Math.max(0, view.top - height),
      });
    case "diff.nextHunk":
      return move(findRow(view, "hunk", 1) ?? flashEnd(ctl, "no hunk after this one"));
    case "diff.previousHunk":
      return move(findRow(view, "hunk", -1) ?? flashEnd(ctl, "no hunk before this one"));
    case "diff.nextFile":
      return move(findRow(view, "file", 1) ?? flashEnd(ctl, "this is the last file"), true);
    case "diff.previousFile":
      return move(findRow(view, "file", -1) ?? flashEnd(ctl, "this is the first file"), true);
    case "diff.comment":
      return askComment(ctl, view);
    case "diff.send":
      return confirmSend(ctl, view);
    case "diff.uncomment":
      return confirmDelete(ctl, view);
    case "diff.help":
      return s.setHelpOpen(true);
    case "diff.close":
      return s.setReview(undefined);
    case "diff.edit":
      return void editAtCursor(ctl, view);
  }
}

/** The user's editor, as `$VISUAL` or `$EDITOR` say (with their arguments), else vi. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.VISUAL || env.EDITOR || "vi").trim().split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : ["vi"];
}

/**
 * `e`: the file under the cursor in the user's editor, at the cursor's line, as a pane beside
 * the stream's agent (in its worktree); the review closes and keys go to the editor. The pane
 * goes when the editor exits.
 */
async function editAtCursor(ctl: Controller, view: DiffView): Promise<void> {
  const row = view.rows[view.cursor];
  const file = row ? view.files[row.file] : undefined;
  if (!file) return flash(ctl, "no file under the cursor");
  if (file.status === "D") return flash(ctl, `${file.path} is deleted in the worktree`);
  const at = cursorLine(view);
  const line = at?.line.newLine ?? at?.line.oldLine ?? 1;
  const s = ctl.store.getState();
  const beside =
    view.agent ??
    s.agentOrder.find((id) => s.agents[id]?.stream === view.stream && !id.includes("+"));
  if (!beside) return flash(ctl, `no agent of ${view.stream} runs: its worktree has no pane`);
  const id = await ask<string>(ctl, {
    type: "pane.open",
    beside,
    label: "editor",
    command: [...editorCommand(), `+${line}`, file.path],
  });
  if (!id) return;
  ctl.store.setState({ review: undefined, selected: id, mode: "insert" });
}

function flashEnd(ctl: Controller, text: string): undefined {
  flash(ctl, text);
  return undefined;
}

function askComment(ctl: Controller, view: DiffView) {
  const at = cursorLine(view);
  const anchor = at && lineAnchor(at.line);
  if (!at || !anchor) return flash(ctl, "move to a line of the diff first (j/k, ])");
  const where = anchor.side === "new" ? `line ${anchor.line}` : `removed line ${anchor.line}`;
  ctl.store.getState().openModal({
    kind: "input",
    title: `Comment on ${at.file.path}, ${where}`,
    lines: [`${at.line.kind} ${at.line.text}`],
    label: `Your comment (kept with the review of ${view.stream} until S sends it):`,
    value: "",
    purpose: {
      do: "review.comment",
      stream: view.stream,
      file: at.file.path,
      line: anchor.line,
      side: anchor.side,
      code: at.line.text,
    },
  });
}

/** Enter in the comment dialog: the room keeps it; the view shows it marked. */
export async function submitComment(
  ctl: Controller,
  purpose: Extract<InputPurpose, { do: "review.comment" }>,
  text: string,
) {
  if (!text.trim()) return flash(ctl, "an empty comment is not kept");
  const { do: _do, stream, ...where } = purpose;
  const comments = await ask<ReviewComment[]>(ctl, {
    type: "review.comment",
    stream,
    comment: { ...where, text: text.trim() },
  });
  if (!comments) return;
  updateComments(ctl, stream, comments);
  flash(ctl, `comment kept (${comments.length} in the review): S sends them`);
}

function updateComments(ctl: Controller, stream: string, comments: ReviewComment[]) {
  const view = ctl.store.getState().review;
  if (view?.stream === stream) ctl.store.getState().setReview({ ...view, comments });
}

function confirmSend(ctl: Controller, view: DiffView) {
  if (!view.agent) return flash(ctl, "the stream has no agent to send the review to");
  if (view.comments.length === 0) return flash(ctl, "the review has no comments yet");
  const text = reviewPrompt(view.stream, view.base, view.comments);
  ctl.store.getState().openModal({
    kind: "confirm",
    title: `Send the review to ${view.agent}?`,
    lines: [`Pasted as ${view.agent}'s next prompt:`, "", ...text.split("\n").map((l) => `  ${l}`)],
    choices: [
      {
        keys: ["y", "enter"],
        label: `send to ${view.agent}`,
        action: {
          do: "review.send",
          stream: view.stream,
          agent: view.agent,
          ids: view.comments.map((c) => c.id),
        },
      },
    ],
  });
}

/** The confirmed send: the room pastes the prompt and drops the comments sent. */
export async function sendReview(
  ctl: Controller,
  action: { stream: string; agent: string; ids: string[] },
) {
  const reply = await ctl.client.run({ type: "review.send", ...action });
  if (!reply.ok) return flash(ctl, reply.error);
  updateComments(ctl, action.stream, (reply.value as ReviewComment[] | undefined) ?? []);
  if (reply.text) flash(ctl, reply.text);
}

function confirmDelete(ctl: Controller, view: DiffView) {
  const comments = commentsAtCursor(view);
  if (comments.length === 0) return flash(ctl, "no comment on this line");
  const n = comments.length;
  ctl.store.getState().openModal({
    kind: "confirm",
    title: `Delete ${n === 1 ? "this comment" : `these ${n} comments`}? It is not sent.`,
    lines: comments.map((c) => `◆ ${c.text}`),
    choices: [
      {
        keys: ["y", "enter"],
        label: "delete",
        action: { do: "review.uncomment", stream: view.stream, ids: comments.map((c) => c.id) },
      },
    ],
  });
}

/** The confirmed deletion: the room drops the comments; the view shows those left. */
export async function deleteComments(ctl: Controller, action: { stream: string; ids: string[] }) {
  const reply = await ctl.client.run({ type: "review.uncomment", ...action });
  if (!reply.ok) return flash(ctl, reply.error);
  updateComments(ctl, action.stream, (reply.value as ReviewComment[] | undefined) ?? []);
  if (reply.text) flash(ctl, reply.text);
}
