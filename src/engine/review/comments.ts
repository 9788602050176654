/**
 * A review's comments, kept until they are sent to the stream's agent: one file per stream,
 * `<state_dir>/reviews/<stream>.json`, written whole to a temporary file and renamed over the old
 * one (Tower alone writes it; a crash leaves the old file or the new, never half of one). Changes
 * to one stream's review are made one at a time within the process.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ID_PATTERN } from "../plan/schema.js";
import { checkStateFolder, readStateFile, StateFileError } from "../state/safe-fs.js";
import { toUtcIso } from "../state/time.js";

export const REVIEWS_FOLDER = "reviews";

const commentSchema = z.object({
  id: z.string().min(1),
  file: z.string().min(1),
  /** The line's number in the new file (`side: "new"`), or in the old one for a removed line. */
  line: z.number().int().positive(),
  side: z.enum(["new", "old"]),
  /** The code line the comment is on, as it reads. */
  code: z.string(),
  text: z.string().min(1),
  created_at: z.string(),
});

const reviewSchema = z.object({
  version: z.literal(1),
  stream: z.string(),
  comments: z.array(commentSchema),
});

export type ReviewComment = z.infer<typeof commentSchema>;
export type NewReviewComment = Omit<ReviewComment, "id" | "created_at">;

export const reviewFile = (stateDir: string, stream: string): string => {
  if (!ID_PATTERN.test(stream)) throw new Error(`"${stream}" is not a stream id`);
  return path.join(stateDir, REVIEWS_FOLDER, `${stream}.json`);
};

/** The stream's comments, oldest first; none when it has no review file. */
export async function readReview(stateDir: string, stream: string): Promise<ReviewComment[]> {
  const file = reviewFile(stateDir, stream);
  await checkStateFolder(path.dirname(file));
  const text = await readStateFile(file);
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(
      file,
      `${file} is not valid JSON (${(error as Error).message}): move it away`,
    );
  }
  const parsed = reviewSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateFileError(
      file,
      `${file}: ${issue?.path.join(".") || "the file"}: ${issue?.message ?? "invalid"}; expected {"version": 1, "stream", "comments": [{id, file, line, side, code, text, created_at}]}`,
    );
  }
  return parsed.data.comments;
}

const queues = new Map<string, Promise<unknown>>();

/** Runs `change` on the stream's comments and writes the result (one change at a time per file). */
function changeReview(
  stateDir: string,
  stream: string,
  change: (comments: ReviewComment[]) => ReviewComment[],
): Promise<ReviewComment[]> {
  const file = reviewFile(stateDir, stream);
  const run = (queues.get(file) ?? Promise.resolve())
    .catch(() => {})
    .then(async () => {
      const next = change(await readReview(stateDir, stream));
      await writeReview(file, stream, next);
      return next;
    });
  queues.set(file, run);
  return run;
}

async function writeReview(file: string, stream: string, comments: ReviewComment[]) {
  const dir = path.dirname(file);
  if (comments.length === 0) {
    await fsp.rm(file, { force: true });
    return;
  }
  await fsp.mkdir(dir, { recursive: true });
  await checkStateFolder(dir);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const body = { version: 1, stream, comments };
  await fsp.writeFile(temp, `${JSON.stringify(body, null, 2)}\n`, { flag: "wx" });
  await fsp.rename(temp, file);
}

/** Adds a comment; returns the review's comments. */
export function addComment(
  stateDir: string,
  stream: string,
  comment: NewReviewComment,
  now = new Date(),
): Promise<ReviewComment[]> {
  const entry: ReviewComment = {
    id: randomBytes(6).toString("hex"),
    ...comment,
    created_at: toUtcIso(now),
  };
  return changeReview(stateDir, stream, (comments) => [...comments, entry]);
}

/** Removes the comments with these ids (sent, or deleted); returns those left. */
export function removeComments(
  stateDir: string,
  stream: string,
  ids: readonly string[],
): Promise<ReviewComment[]> {
  return changeReview(stateDir, stream, (comments) => comments.filter((c) => !ids.includes(c.id)));
}
