/**
 * The main worktree from any folder of the repository without loading the git library: for
 * `tower attach` (cli/attach-main.ts), which a user waits on. The same answer as `locateRepo`
 * (repo.ts) gives.
 */
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { childProcess } from "../child-process.js";
import { TargetError } from "../errors.js";

/**
 * The main worktree's root from any folder of the repository, as engine/git/repo.ts finds it,
 * read from the `.git` found upwards: a folder (the main worktree), or a linked worktree's file
 * naming its git folder, whose `commondir` leads to the main one. Anything else (GIT_DIR set,
 * a submodule, a bare repository, an unreadable file) asks git.
 */
export async function mainRootOf(cwd: string): Promise<string> {
  if (process.env.GIT_DIR === undefined && process.env.GIT_COMMON_DIR === undefined) {
    let found: string | undefined;
    try {
      found = fromDotGit(path.resolve(cwd));
    } catch {}
    if (found) return found;
  }
  return askGit(cwd);
}

/**
 * Read with the file system's synchronous calls: a few small reads, and in a fresh process each
 * asynchronous one waits on libuv's thread pool (started by the first): about 3 ms of `tower
 * attach`'s start-up for this, roomDir and readToken together.
 */
function fromDotGit(cwd: string): string | undefined {
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const dotGit = dotGitFolder(dir);
    if (dotGit?.kind === "folder") return realpathSync.native(dir);
    if (dotGit?.kind === "file") {
      const common = readFileSync(path.join(dotGit.gitDir, "commondir"), "utf8").trim();
      const commonDir = path.resolve(dotGit.gitDir, common);
      if (path.basename(commonDir) !== ".git") return undefined;
      return realpathSync.native(path.dirname(commonDir));
    }
    if (dotGit) return undefined;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** What `dir/.git` is: absent (undefined), the git folder, a file naming one, or anything else. */
export type DotGit =
  | { kind: "folder"; gitDir: string }
  | { kind: "file"; gitDir: string }
  | { kind: "other" };

/**
 * `dir/.git`, read as git reads it: a folder is the git folder; a file's `gitdir:` line names
 * it (a linked worktree, `git init --separate-git-dir`), relative to `dir`. A file without that
 * line, a symlink or anything else is "other". Throws when `.git` cannot be read.
 */
export function dotGitFolder(dir: string): DotGit | undefined {
  const dotGit = path.join(dir, ".git");
  const stat = lstatSync(dotGit, { throwIfNoEntry: false });
  if (!stat) return undefined;
  if (stat.isDirectory()) return { kind: "folder", gitDir: dotGit };
  if (stat.isFile()) {
    const match = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"));
    if (match?.[1]) return { kind: "file", gitDir: path.resolve(dir, match[1].trim()) };
  }
  return { kind: "other" };
}

function askGit(cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    childProcess().execFile(
      "git",
      ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir"],
      { cwd },
      (error, stdout) => {
        const [top, common] = String(stdout).trim().split("\n");
        if (error || !top || !common) {
          reject(
            new TargetError(
              `${cwd} is not inside a git repository: run tower from your project's repository (or \`git init\` first)`,
            ),
          );
          return;
        }
        resolve(path.resolve(path.basename(common) === ".git" ? path.dirname(common) : top));
      },
    );
  });
}
