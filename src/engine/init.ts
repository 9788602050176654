/**
 * `tower init`: a commented `streams.yaml` when there is none, the state directory with every
 * file in its empty form, and the state directory listed in `.git/info/exclude`. Running it
 * again changes nothing. A `state_dir` that holds the repository's files is refused
 * (state-place.ts).
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { infoExcludePath } from "./git/index.js";
import { loadPlan, type Plan } from "./plan/index.js";
import { PLAN_FILE } from "./project.js";
import { stateStoreFor } from "./state/store.js";
import { requireOwnStateDir } from "./state-place.js";

export function planTemplate(project: string): string {
  return `# Tower's plan: the work streams of this repository, what each depends on, and its agents.
# Check it with \`tower check\`; see the README for every key. For completion in your editor,
# run \`tower schema > streams.schema.json\` and add: # yaml-language-server: $schema=./streams.schema.json
version: 1
project: ${JSON.stringify(project)}
# base: main                  # branch the streams start from and merge into (default: the current branch)
# worktrees: ..               # folder that holds the stream worktrees
# branch_prefix: feature/stream-
# state_dir: .claude/state    # shared coordination files (locks, activity, handoffs)
lock_ttl: 60m                 # how long a file lock lasts unless renewed
agent: claude {task}          # default agent command; {task} {agent} {stream} {worktree} are filled in
validate: []                  # commands run after each merge, e.g. [npm test]
checkpoints:
  design_review: { approval: human }
streams:
  A:
    name: Foundation
    scope: ["src/**"]
    agents:
      - { id: A1, task: "Describe the first task here" }
  B:
    name: Follow-up
    depends_on: [A]
    requires: [design_review]
    scope: ["docs/**"]
    agents:
      - { id: B1, task: "Describe the task that builds on A" }
`;
}

export interface InitResult {
  plan: Plan;
  planCreated: boolean;
  stateDir: string;
  filesCreated: string[];
  excludeAdded: string | undefined;
}

/**
 * `relativePath` as an ignore pattern that matches that one path: anchored ("/" first), without
 * a trailing slash, and with what git would read as a pattern or strip escaped (`*`, `?`, `[`,
 * `\`, a trailing space). The plan refuses a `state_dir` with such characters (places.ts); this
 * keeps any other path Tower lists to itself.
 */
export function exactIgnorePattern(relativePath: string): string {
  const posix = relativePath.split(path.sep).join("/").replace(/\/+$/, "");
  return `/${posix.replace(/[*?[\\]/g, "\\$&").replace(/ $/, "\\ ")}`;
}

/**
 * Lists `relativePath` in the repository's `.git/info/exclude` (shared by every worktree) as a
 * pattern for that path alone (exactIgnorePattern), so it matches the state folder in the main
 * worktree and the symbolic link to it in each stream worktree, and nothing else. Returns the
 * pattern when it was added.
 */
export async function excludeFromGit(
  mainRoot: string,
  relativePath: string,
): Promise<string | undefined> {
  const outside =
    relativePath === ".." ||
    relativePath.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relativePath);
  if (relativePath === "" || outside) return undefined;
  const pattern = exactIgnorePattern(relativePath);
  const excludeFile = await infoExcludePath(mainRoot);
  if (/[\r\n]/.test(relativePath)) {
    throw new Error(
      `${JSON.stringify(relativePath)} has a line break: it cannot be listed in ${excludeFile}`,
    );
  }
  let current = "";
  try {
    current = await fsp.readFile(excludeFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const listed = (line: string) => line.replace(/\r$/, "") === pattern || line.trim() === pattern;
  if (current.split("\n").some(listed)) return undefined;
  await fsp.mkdir(path.dirname(excludeFile), { recursive: true });
  const separator = current === "" || current.endsWith("\n") ? "" : "\n";
  await fsp.appendFile(excludeFile, `${separator}# Tower's shared state\n${pattern}\n`);
  return pattern;
}

export async function initProject(
  mainRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InitResult> {
  const planFile = path.join(mainRoot, PLAN_FILE);
  let planCreated = false;
  try {
    await fsp.writeFile(planFile, planTemplate(path.basename(mainRoot)), { flag: "wx" });
    planCreated = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const plan = await loadPlan(planFile);
  // A state_dir of the project's own is refused before anything is made or listed in the
  // exclude file.
  await requireOwnStateDir(plan, mainRoot);
  const store = stateStoreFor(mainRoot, plan.stateDir, env);
  const stateDir = store.dir;
  const filesCreated = await store.init();
  const excludeAdded = await excludeFromGit(mainRoot, path.relative(mainRoot, stateDir));
  return { plan, planCreated, stateDir, filesCreated, excludeAdded };
}
