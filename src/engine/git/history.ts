/** What a stream's branch did since it left the base: its commits and its diff. */
import { git, lines } from "./run.js";

/** Subjects of the commits on `branch` that are not on `base`, oldest first. */
export async function commitSubjects(cwd: string, base: string, branch: string): Promise<string[]> {
  return lines(
    await git(cwd, ["log", "--reverse", "--no-merges", "--format=%s", `${base}..${branch}`, "--"]),
  );
}

/** The commits of `branch` since `base` (oldest first, no merges): hash and subject. */
export async function commitsSince(
  cwd: string,
  base: string,
  branch: string,
): Promise<{ commit: string; subject: string }[]> {
  return lines(
    await git(cwd, [
      "log",
      "--reverse",
      "--no-merges",
      "--format=%H %s",
      `${base}..${branch}`,
      "--",
    ]),
  ).map((line) => {
    const space = line.indexOf(" ");
    return space < 0
      ? { commit: line, subject: "" }
      : { commit: line.slice(0, space), subject: line.slice(space + 1) };
  });
}

/** The diff of `branch` against its merge base with `base`, without context lines. */
export async function branchDiff(cwd: string, base: string, branch: string): Promise<string> {
  return git(cwd, ["diff", "-U0", "--no-color", "--no-ext-diff", `${base}...${branch}`, "--"]);
}

/** A readable diff of `branch` against its merge base with `base`: the stat, then the patch. */
export async function streamDiff(cwd: string, base: string, branch: string): Promise<string> {
  return git(cwd, [
    "diff",
    "--stat",
    "--patch",
    "--no-color",
    "--no-ext-diff",
    `${base}...${branch}`,
    "--",
  ]);
}
