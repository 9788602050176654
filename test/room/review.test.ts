/**
 * The review (`d`): a started stream's worktree against its merge base with the base, in the
 * control room's review view over a real room, real git and the fake agent on a real
 * pseudo-terminal. Comments are kept in the state directory and sent as one prompt, pasted into
 * the agent, which echoes what it reads.
 */
import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { handleInput } from "../../src/ui/input/dispatch.js";
import { diffViewLines } from "../../src/ui/view/diff.js";
import { lineText } from "../../src/ui/view/types.js";
import { git, readJson, tower, waitFor } from "../helpers/repo.js";
import { cleanup, fakeAgent, roomWithKeys, yamlArgv } from "./helpers.js";

afterEach(cleanup);

const plan = (agent: readonly string[]) => `version: 1
project: demo
agent: ${yamlArgv(agent)}
streams:
  A:
    name: Foundation
    agents:
      - { id: A1, task: "Build the app" }
`;

async function open() {
  const f = await roomWithKeys(plan(fakeAgent("banner\necho")), { cols: 160, rows: 40 });
  const { ctl } = f;
  expect((await tower(f.repo.root, ["start", "A"])).code).toBe(0);
  await waitFor(
    () => (f.store.getState().agents.A1?.status === "running" ? true : undefined),
    20_000,
    "A1 running",
  );
  f.store.getState().select("A1");
  const orchestrator = (await readJson(path.join(f.repo.stateDir, "orchestrator_state.json"))) as {
    streams: Record<string, { worktree: string }>;
  };
  const worktree = orchestrator.streams.A?.worktree ?? "";
  return { ...f, ctl, worktree };
}

describe("the review view", () => {
  it("shows the worktree against the merge base, moves by line, hunk and file, keeps comments (x deletes one) and sends them to the agent", async () => {
    const { repo, store, ctl, worktree } = await open();
    // Committed on the branch, changed but not committed, and untracked: all three are listed.
    await fsp.mkdir(path.join(worktree, "src"));
    await fsp.writeFile(path.join(worktree, "src/app.ts"), "a\nb\nc\nd\ne\n");
    git(worktree, "add", "src/app.ts");
    git(worktree, "commit", "-q", "-m", "Add the app");
    await fsp.writeFile(path.join(worktree, "README.md"), "# demo app\nmore\n");
    await fsp.writeFile(path.join(worktree, "notes.txt"), "one\ntwo\nthree\n");
    // The base moved on after the branch point: merging would not bring that, so it is not shown.
    await fsp.writeFile(path.join(repo.root, "main-only.txt"), "main\n");
    git(repo.root, "add", "main-only.txt");
    git(repo.root, "commit", "-q", "-m", "Main moves on");

    handleInput(ctl, "d");
    const view = await waitFor(() => store.getState().review, 10_000, "the review view");
    expect(store.getState().mode).toBe("diff");
    const listed = view.files.map((f) => [f.path, f.status, f.added, f.removed]);
    expect(listed).toEqual(
      expect.arrayContaining([
        ["README.md", "M", 2, 1],
        ["src/app.ts", "A", 5, 0],
        ["notes.txt", "?", 3, 0],
      ]),
    );
    expect(listed.map(([p]) => p).sort()).toEqual(["README.md", "notes.txt", "src/app.ts"]);
    const names = view.files.map((f) => f.path);
    // Rows: README.md's header, hunk, 3 lines; src/app.ts's header, hunk, 5 lines; ...
    const fileRow = (name: string) =>
      view.rows.findIndex((r) => r.kind === "file" && view.files[r.file]?.path === name);
    const cursor = () => store.getState().review?.cursor;
    expect(cursor()).toBe(0);
    handleInput(ctl, "j");
    handleInput(ctl, "j");
    expect(cursor()).toBe(2);
    handleInput(ctl, "k");
    expect(cursor()).toBe(1);
    handleInput(ctl, "]");
    expect(cursor()).toBe(fileRow(names[1] ?? "") + 1);
    handleInput(ctl, "[");
    expect(cursor()).toBe(1);
    handleInput(ctl, "}");
    expect(cursor()).toBe(fileRow(names[1] ?? ""));
    handleInput(ctl, "{");
    expect(cursor()).toBe(0);
    handleInput(ctl, "\t");
    expect(cursor()).toBe(fileRow(names[1] ?? ""));
    // ? shows every key over the view; Esc comes back to it.
    handleInput(ctl, "?");
    expect(store.getState().helpOpen).toBe(true);
    handleInput(ctl, "\x1b");
    expect(store.getState()).toMatchObject({ helpOpen: false, mode: "diff" });

    // A comment on src/app.ts's third line.
    const appRow = fileRow("src/app.ts");
    while ((cursor() ?? 0) < appRow + 4) handleInput(ctl, "j");
    handleInput(ctl, "c");
    expect(store.getState().modal).toMatchObject({
      kind: "input",
      title: "Comment on src/app.ts, line 3",
    });
    handleInput(ctl, "say what c is\r");
    const reviewFile = path.join(repo.stateDir, "reviews", "A.json");
    await waitFor(() => (existsSync(reviewFile) ? true : undefined), 10_000, "the review file");
    expect(await readJson(reviewFile)).toMatchObject({
      version: 1,
      stream: "A",
      comments: [{ file: "src/app.ts", line: 3, side: "new", code: "c", text: "say what c is" }],
    });
    await waitFor(
      () => (store.getState().review?.comments.length === 1 ? true : undefined),
      5_000,
      "the comment in the view",
    );
    const screen = diffViewLines(store.getState().review ?? view, 160, 38).map(lineText);
    expect(screen.some((l) => l.includes("◆+c"))).toBe(true);

    // A second comment, on the next line, deleted again with x after confirming.
    handleInput(ctl, "j");
    handleInput(ctl, "c");
    handleInput(ctl, "drop me\r");
    await waitFor(
      () => (store.getState().review?.comments.length === 2 ? true : undefined),
      5_000,
      "the second comment",
    );
    handleInput(ctl, "x");
    expect(store.getState().modal).toMatchObject({
      kind: "confirm",
      title: "Delete this comment? It is not sent.",
      lines: ["◆ drop me"],
    });
    handleInput(ctl, "y");
    await waitFor(
      () => (store.getState().review?.comments.length === 1 ? true : undefined),
      5_000,
      "the comment deleted",
    );
    expect(((await readJson(reviewFile)) as { comments: unknown[] }).comments).toHaveLength(1);
    handleInput(ctl, "x");
    expect(store.getState().flash?.text).toBe("no comment on this line");

    // Leaving the view keeps the review; opening it again shows the comment.
    handleInput(ctl, "q");
    expect(store.getState().review).toBeUndefined();
    expect(store.getState().mode).toBe("normal");
    handleInput(ctl, "d");
    const again = await waitFor(() => store.getState().review, 10_000, "the view again");
    expect(again.comments).toHaveLength(1);

    // S: the whole prompt first, then pasted into A1, and the review is cleared.
    handleInput(ctl, "S");
    const modal = store.getState().modal;
    expect(modal).toMatchObject({ kind: "confirm", title: "Send the review to A1?" });
    const shown = modal?.kind === "confirm" ? modal.lines.join("\n") : "";
    expect(shown).toContain("1. src/app.ts, line 3:");
    expect(shown).toContain("   > c");
    expect(shown).toContain("   say what c is");
    handleInput(ctl, "y");
    await waitFor(
      () =>
        (store.getState().frames.A1?.rows ?? []).some((row) => row.includes("say what c is"))
          ? true
          : undefined,
      10_000,
      "the review in A1's input",
    );
    // Pasted, not submitted: the last line waits at the agent's prompt for the user's Enter.
    const rows = store.getState().frames.A1?.rows ?? [];
    expect(rows.some((row) => row.includes("You said: 1. src/app.ts, line 3:"))).toBe(true);
    expect(rows.some((row) => row.includes("You said: Review of your work on stream A"))).toBe(
      true,
    );
    await waitFor(
      () => (store.getState().review?.comments.length === 0 ? true : undefined),
      5_000,
      "the review cleared",
    );
    expect(existsSync(reviewFile)).toBe(false);
  });
});
