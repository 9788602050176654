/**
 * Append-only JSON Lines files: one `write` call per complete line, so lines from several
 * writers never interleave; readers skip a broken line, say so, and go on. Opened like every
 * state file: never through a symbolic link, only when it is a regular file.
 */
import { constants } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { describeIssues } from "./formats.js";
import { parseJsonText } from "./json-text.js";
import { makeFolder } from "./locate.js";
import { openStateFile, readStateFile } from "./safe-fs.js";

export interface JsonlWarning {
  file: string;
  line: number;
  message: string;
}

export interface JsonlRead<T> {
  entries: T[];
  warnings: JsonlWarning[];
  /** Bytes consumed: complete lines only, so a follower can continue from here. */
  end: number;
  /** The number of the first line not consumed. */
  nextLine: number;
}

export async function appendJsonl(file: string, entry: object): Promise<void> {
  const line = Buffer.from(`${JSON.stringify(entry)}\n`, "utf8");
  await makeFolder(path.dirname(file), file);
  const handle = await openStateFile(
    file,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
  );
  try {
    const { bytesWritten } = await handle.write(line, 0, line.length);
    if (bytesWritten !== line.length) {
      throw new Error(
        `${file}: only ${bytesWritten} of ${line.length} bytes of a line were appended`,
      );
    }
  } finally {
    await handle.close();
  }
}

/**
 * Parses the complete lines of `text` (a trailing line without its newline is left for later
 * unless `final`). `firstLine` is the 1-based number of the first line, for warnings.
 */
export function parseJsonl<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
  firstLine = 1,
  final = true,
): JsonlRead<z.infer<S>> {
  const entries: z.infer<S>[] = [];
  const warnings: JsonlWarning[] = [];
  let start = 0;
  let lineNo = firstLine;
  while (start < text.length) {
    const newline = text.indexOf("\n", start);
    if (newline === -1 && !final) break;
    const stop = newline === -1 ? text.length : newline;
    const line = text.slice(start, stop).trim();
    if (line !== "") {
      const problem = parseLine(line, schema, entries);
      if (problem)
        warnings.push({ file, line: lineNo, message: `skipped a broken line: ${problem}` });
    }
    start = stop + 1;
    lineNo++;
  }
  const end = Buffer.byteLength(text.slice(0, Math.min(start, text.length)), "utf8");
  return { entries, warnings, end, nextLine: lineNo };
}

function parseLine<S extends z.ZodType>(
  line: string,
  schema: S,
  into: z.infer<S>[],
): string | undefined {
  let raw: unknown;
  try {
    raw = parseJsonText(line);
  } catch (error) {
    return (error as Error).message;
  }
  const result = schema.safeParse(raw);
  if (!result.success) return describeIssues(result.error);
  into.push(result.data);
  return undefined;
}

/** Reads the whole file; a missing file has no entries. */
export async function readJsonl<S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<JsonlRead<z.infer<S>>> {
  const text = await readStateFile(file);
  if (text === undefined) return { entries: [], warnings: [], end: 0, nextLine: 1 };
  return parseJsonl(text, schema, file);
}

export const formatJsonlWarning = (w: JsonlWarning): string =>
  `warning: ${path.basename(w.file)}:${w.line}: ${w.message}`;
