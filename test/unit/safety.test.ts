/**
 * Tower never runs a git command that can throw away work on its own: no `branch -D`, no
 * `worktree remove --force`, no `reset --hard`, no `clean`. This reads the git module, where every
 * git call lives, and fails if one of them appears.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../helpers/repo.js";

const sources = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));

describe("destructive git commands", () => {
  // Tower itself; src/fake-agent stands in for an AI agent and commits in its worktree as one would.
  const files = ["engine", "pty", "cli", "ui"].flatMap((dir) => {
    const full = path.join(PROJECT_ROOT, "src", dir);
    return existsSync(full) ? sources(full) : [];
  });
  it("are not run anywhere in the engine, where all git calls are", () => {
    const forbidden = [/"-D"/, /"--force"/, /"-f"/, /"--hard"/, /"clean"/, /"-d",\s*"-f"/];
    const found: string[] = [];
    for (const file of files.filter((f) => f.includes(`${path.sep}engine${path.sep}`))) {
      const text = readFileSync(file, "utf8");
      for (const pattern of forbidden)
        if (pattern.test(text)) found.push(`${path.relative(PROJECT_ROOT, file)}: ${pattern}`);
    }
    expect(found).toEqual([]);
  });
  it("git runs only from src/engine/git", () => {
    const outside = files.filter(
      (f) =>
        !f.includes(`${path.sep}engine${path.sep}git${path.sep}`) &&
        /simple-git|from "node:child_process"|execFile\(\s*"git"/.test(readFileSync(f, "utf8")),
    );
    expect(outside.map((f) => path.relative(PROJECT_ROOT, f))).toEqual([]);
  });
});
