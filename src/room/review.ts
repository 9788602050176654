/**
 * The room's side of a review (`d` in the control room): a stream's work against what merging it
 * would bring, comments kept in the state directory until sent, and sending them to the stream's
 * agent as one prompt, pasted into its terminal.
 */
import { existsSync } from "node:fs";
import type { Project } from "../engine/project.js";
import {
  addComment,
  readReview,
  removeComments,
  reviewDiff,
  reviewPrompt,
} from "../engine/review/index.js";
import type { ReviewOpenValue, RoomCommand, RoomReply } from "./commands.js";
import type { SessionManager } from "./sessions.js";

type ReviewCommand = Extract<RoomCommand, { type: `review.${string}` }>;

export async function runReviewCommand(
  project: Project,
  sessions: SessionManager,
  command: ReviewCommand,
): Promise<RoomReply> {
  const dir = project.store.dir;
  switch (command.type) {
    case "review.open": {
      const entry = (await project.store.read("orchestrator")).streams[command.stream];
      const worktree = entry?.worktree ?? undefined;
      if (!worktree || !existsSync(worktree)) {
        return { ok: false, error: `${command.stream} has no worktree to review: start it with s` };
      }
      if (!project.base)
        return { ok: false, error: "the plan names no base branch to compare with" };
      const diff = await reviewDiff(worktree, project.base);
      const comments = await readReview(dir, command.stream);
      const value: ReviewOpenValue = { stream: command.stream, worktree, ...diff, comments };
      return { ok: true, value };
    }
    case "review.comment": {
      if (!command.comment.text.trim()) return { ok: false, error: "a comment needs some text" };
      const comments = await addComment(dir, command.stream, command.comment);
      return { ok: true, value: comments };
    }
    case "review.uncomment": {
      const left = await removeComments(dir, command.stream, command.ids);
      return { ok: true, text: `comment deleted (${left.length} left in the review)`, value: left };
    }
    case "review.send": {
      if (!sessions.running().includes(command.agent)) {
        return {
          ok: false,
          error: `${command.agent} is not running: the review is kept (restart it with x, then S)`,
        };
      }
      const chosen = (await readReview(dir, command.stream)).filter((c) =>
        command.ids.includes(c.id),
      );
      if (chosen.length === 0) return { ok: false, error: "the review has no comments to send" };
      sessions.prompt(
        command.agent,
        reviewPrompt(command.stream, project.base ?? "its base", chosen),
      );
      const left = await removeComments(
        dir,
        command.stream,
        chosen.map((c) => c.id),
      );
      const n = chosen.length;
      return {
        ok: true,
        text: `sent ${n} comment${n === 1 ? "" : "s"} to ${command.agent}`,
        value: left,
      };
    }
  }
}
